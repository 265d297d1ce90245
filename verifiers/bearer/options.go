package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// Defaults of the options.
const (
	DefaultRealm = "api"
	// DefaultMaxTokenBytes caps the token's size; larger ones are
	// refused with credentials_too_large before any parsing.
	DefaultMaxTokenBytes = 8 << 10
	// DefaultLeeway is the clock tolerance for exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway is the largest leeway New accepts: RFC 7519 speaks of "a
	// few minutes" at most.
	MaxLeeway = 5 * time.Minute
	// DefaultMinRefresh and DefaultMaxRefresh bound the background
	// refresh of fetched key sets: the set's Cache-Control max-age is
	// honoured within them, and DefaultMaxRefresh applies when the
	// response has none.
	DefaultMinRefresh = 5 * time.Minute
	DefaultMaxRefresh = time.Hour
	// DefaultUnknownKeyRefresh is how often, at most, a token with an
	// unknown kid makes an issuer's key set be fetched again.
	DefaultUnknownKeyRefresh = 30 * time.Second
	// DefaultFetchTimeout bounds each HTTP request for keys or discovery.
	DefaultFetchTimeout = 10 * time.Second
	// DefaultMaxResponseBytes caps a JWKS or discovery response.
	DefaultMaxResponseBytes = 1 << 20
	// DefaultMaxFormBytes is how much of a form body is read looking for
	// access_token when form tokens are on.
	DefaultMaxFormBytes = 64 << 10
)

// Option configures a Verifier: New takes the options marked "JWT only"
// and every SharedOption. An option of the wrong verifier does not
// compile: WithLeeway is no OpaqueOption, WithCache no Option.
type Option interface {
	applyJWT(*config) error
}

// OpaqueOption configures an OpaqueVerifier: NewOpaque takes WithCache
// and every SharedOption.
type OpaqueOption interface {
	applyOpaque(*config) error
}

// SharedOption configures where either verifier reads the token and how
// it answers: WithRealm, WithResourceMetadata, WithProtectedResource,
// WithMaxTokenBytes, WithQueryTokens, WithFormTokens, WithFingerprinter
// and WithClock. It is both an Option and an OpaqueOption.
type SharedOption func(*config) error

func (o SharedOption) applyJWT(c *config) error    { return callOption(o, c) }
func (o SharedOption) applyOpaque(c *config) error { return callOption(o, c) }

// jwtOption is an option of New only.
type jwtOption func(*config) error

func (o jwtOption) applyJWT(c *config) error { return callOption(o, c) }

// opaqueOption is an option of NewOpaque only.
type opaqueOption func(*config) error

func (o opaqueOption) applyOpaque(c *config) error { return callOption(o, c) }

func callOption[F ~func(*config) error](f F, c *config) error {
	if f == nil {
		return errNilOption
	}
	return f(c)
}

var errNilOption = errors.New("bearer: nil Option")

type config struct {
	// token extraction and the challenge (SharedOption)
	realm            string
	resourceMetadata string
	protected        *ProtectedResource // WithProtectedResource's
	maxTokenBytes    int
	query            bool
	form             bool
	maxFormBytes     int64
	fingerprinter    *verifiers.Fingerprinter
	now              func() time.Time

	// JWT (Option)
	allow          allowList
	leeway         time.Duration
	types          []string
	idTokenAllowed []string
	requiredClaims []string
	scopeClaims    []string
	httpClient     *http.Client
	fetchTimeout   time.Duration
	maxResponse    int64
	minRefresh     time.Duration
	maxRefresh     time.Duration
	unknownRefresh time.Duration
	logger         zerolog.Logger
	plainHTTP      bool
	observer       Observer

	tokenCacheEntries int
	tokenCacheBytes   int64

	dpop *DPoPOptions // WithDPoP

	// opaque (OpaqueOption)
	cacheSize int
	cacheTTL  time.Duration
}

func defaultConfig() config {
	return config{
		realm:             DefaultRealm,
		maxTokenBytes:     DefaultMaxTokenBytes,
		maxFormBytes:      DefaultMaxFormBytes,
		now:               time.Now,
		leeway:            DefaultLeeway,
		scopeClaims:       []string{"scope", "scp"},
		fetchTimeout:      DefaultFetchTimeout,
		maxResponse:       DefaultMaxResponseBytes,
		minRefresh:        DefaultMinRefresh,
		maxRefresh:        DefaultMaxRefresh,
		unknownRefresh:    DefaultUnknownKeyRefresh,
		tokenCacheEntries: DefaultTokenCacheEntries,
		tokenCacheBytes:   DefaultTokenCacheBytes,
		logger:            zerolog.New(os.Stderr).With().Timestamp().Logger(),
	}
}

func (c *config) applyJWT(opts []Option) error {
	for _, o := range opts {
		if o == nil {
			return errNilOption
		}
		if err := o.applyJWT(c); err != nil {
			return err
		}
	}
	return nil
}

func (c *config) applyOpaque(opts []OpaqueOption) error {
	for _, o := range opts {
		if o == nil {
			return errNilOption
		}
		if err := o.applyOpaque(c); err != nil {
			return err
		}
	}
	return nil
}

// WithRealm sets the realm of the challenge, `Bearer realm="REALM"`. The
// default is DefaultRealm. It must be non-empty printable ASCII.
func WithRealm(realm string) SharedOption {
	return func(c *config) error {
		if realm == "" {
			return errors.New("bearer: WithRealm: empty realm")
		}
		c.realm = realm
		return nil
	}
}

// WithResourceMetadata adds `resource_metadata="URL"` to the challenge
// (RFC 9728 §5.1), so that clients can discover which authorization
// server to ask for a token. url must be an absolute https URL.
func WithResourceMetadata(url string) SharedOption {
	return func(c *config) error { c.resourceMetadata = url; return nil }
}

// WithMaxTokenBytes sets the largest token accepted; larger ones are
// refused with credentials_too_large (431) before any parsing. The default
// is DefaultMaxTokenBytes.
func WithMaxTokenBytes(n int) SharedOption {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("bearer: WithMaxTokenBytes(%d): must be positive", n)
		}
		c.maxTokenBytes = n
		return nil
	}
}

// WithQueryTokens also accepts the token in the access_token query
// parameter (RFC 6750 §2.3). It is off by default, and should stay off:
// URLs end up in logs, browser history and Referer headers (RFC 6750
// §5.3). Responses to requests authenticated this way are marked
// Cache-Control: private by the gate.
func WithQueryTokens() SharedOption {
	return func(c *config) error { c.query = true; return nil }
}

// WithFormTokens also accepts the token in the access_token field of an
// application/x-www-form-urlencoded body (RFC 6750 §2.2), on POST, PUT and
// PATCH requests only. Off by default. The verifier reads at most
// DefaultMaxFormBytes of the body (a larger body is not searched for a
// token) and puts back what it read, so handlers still see the whole body.
func WithFormTokens() SharedOption {
	return func(c *config) error { c.form = true; return nil }
}

// WithFingerprinter sets the Fingerprinter used for the "fingerprint"
// attribute of rejected malformed or opaque tokens. Share one between
// verifiers to correlate a token across them. By default each verifier has
// its own.
func WithFingerprinter(f *verifiers.Fingerprinter) SharedOption {
	return func(c *config) error {
		if f == nil {
			return errors.New("bearer: WithFingerprinter(nil)")
		}
		c.fingerprinter = f
		return nil
	}
}

// WithClock sets the function that tells the current time, for tests and
// for servers with a better clock. The default is time.Now.
func WithClock(now func() time.Time) SharedOption {
	return func(c *config) error {
		if now == nil {
			return errors.New("bearer: WithClock(nil)")
		}
		c.now = now
		return nil
	}
}

// WithCache remembers the identities the token function returned for up
// to size tokens, for at most ttl each and never past an exp claim in the
// identity (opaque only; the JWT verifier's cache is WithTokenCache).
// Entries are keyed by an HMAC-SHA256 of the whole token under a random
// per-verifier key, so the cache holds no token; least recently used
// entries go first. Rejections are not cached. Off by default.
func WithCache(size int, ttl time.Duration) OpaqueOption {
	return opaqueOption(func(c *config) error {
		if size <= 0 || ttl <= 0 {
			return fmt.Errorf("bearer: WithCache(%d, %v): size and ttl must be positive", size, ttl)
		}
		c.cacheSize, c.cacheTTL = size, ttl
		return nil
	})
}
