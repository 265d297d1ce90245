package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/jose"
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
// it answers: WithRealm, WithResourceMetadata, WithMaxTokenBytes,
// WithQueryTokens, WithFormTokens, WithFingerprinter and WithClock. It
// is both an Option and an OpaqueOption.
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

	tokenCacheEntries int
	tokenCacheBytes   int64

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

// WithAlgorithms sets the JWS algorithms accepted (JWT only). Without it,
// a token's alg must be the one its key is bound to, which is the key's
// alg member or the algorithm implied by its type. With it, the token's
// alg must also be in algs. "none" is refused, as is a list that mixes
// HMAC (HS256, HS384, HS512) with asymmetric algorithms (RFC 8725 §2.1).
// Known names: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA
// Ed25519 HS256 HS384 HS512.
func WithAlgorithms(algs ...string) Option {
	return jwtOption(func(c *config) error {
		if len(algs) == 0 {
			return errors.New("bearer: WithAlgorithms: empty list")
		}
		var l allowList
		hmacs := 0
		for _, name := range algs {
			if strings.EqualFold(name, "none") {
				return errors.New(`bearer: WithAlgorithms: "none" is never allowed (RFC 8725 §3.1)`)
			}
			a := jose.LookupAlg(name)
			if a == nil {
				return fmt.Errorf("bearer: WithAlgorithms: unknown algorithm %s", quote(name))
			}
			if a.HMAC() {
				hmacs++
			}
			if !l.Has(a) {
				l = append(l, a)
			}
		}
		if hmacs > 0 && hmacs < len(algs) {
			return errors.New("bearer: WithAlgorithms: HMAC and asymmetric algorithms in one list would allow algorithm confusion (RFC 8725 §2.1); use two verifiers")
		}
		c.allow = l
		return nil
	})
}

// WithLeeway sets the clock tolerance applied to exp, nbf and iat (JWT
// only). The default is DefaultLeeway; at most MaxLeeway is accepted.
func WithLeeway(d time.Duration) Option {
	return jwtOption(func(c *config) error {
		if d < 0 || d > MaxLeeway {
			return fmt.Errorf("bearer: WithLeeway(%v): must be between 0 and %v", d, MaxLeeway)
		}
		c.leeway = d
		return nil
	})
}

// WithTypes requires the token's typ header to be one of types (JWT only),
// compared case-insensitively and with or without the "application/"
// prefix (RFC 7515 §4.1.9). WithTypes("at+jwt") is the check of RFC 9068
// §4. Without it, typ is not checked.
func WithTypes(types ...string) Option {
	return jwtOption(func(c *config) error {
		if len(types) == 0 {
			return errors.New("bearer: WithTypes: empty list")
		}
		for _, t := range types {
			if t == "" {
				return errors.New("bearer: WithTypes: empty type")
			}
		}
		c.types = types
		return nil
	})
}

// WithIDTokenClaimsAllowed lets tokens carry the named claims, which
// otherwise mark an OpenID Connect ID token (JWT only). By default a token
// with nonce, at_hash, c_hash or s_hash is refused with token_is_id_token:
// a client that sends its ID token instead of its access token, and an
// ID token whose aud happens to be this API's audience, are turned away.
// Use it for an issuer that puts such a claim in its access tokens too
// (Keycloak before version 24 copies nonce into them), naming only that
// claim: WithIDTokenClaimsAllowed("nonce"). auth_time is never a marker
// (RFC 9068 §2.2.1 allows it in access tokens).
func WithIDTokenClaimsAllowed(names ...string) Option {
	return jwtOption(func(c *config) error {
		if len(names) == 0 {
			return errors.New("bearer: WithIDTokenClaimsAllowed: empty list")
		}
		for _, n := range names {
			if !slices.Contains(idTokenClaims[:], n) {
				return fmt.Errorf("bearer: WithIDTokenClaimsAllowed: %s is not a claim that marks an ID token (those are %s)", quote(n), strings.Join(idTokenClaims[:], ", "))
			}
		}
		c.idTokenAllowed = append(c.idTokenAllowed, names...)
		return nil
	})
}

// WithRequiredClaims requires the named claims to be present (JWT only).
// iss, aud and exp are always required.
func WithRequiredClaims(names ...string) Option {
	return jwtOption(func(c *config) error {
		c.requiredClaims = append(c.requiredClaims, names...)
		return nil
	})
}

// WithAccessTokenProfile applies the JWT access token profile of RFC 9068
// (JWT only): typ must be at+jwt, and iss, exp, aud, sub, client_id, iat
// and jti are required (§2.2, §4).
func WithAccessTokenProfile() Option {
	return jwtOption(func(c *config) error {
		c.types = []string{"at+jwt"}
		c.requiredClaims = append(c.requiredClaims, "sub", "client_id", "iat", "jti")
		return nil
	})
}

// WithScopeClaims names the claims scopes are read from, in order; the
// first present wins (JWT only). A claim may hold a space-separated string
// (RFC 8693 §4.2 "scope") or an array of strings ("scp", as some
// providers send). The default is "scope", then "scp".
func WithScopeClaims(names ...string) Option {
	return jwtOption(func(c *config) error {
		if len(names) == 0 {
			return errors.New("bearer: WithScopeClaims: empty list")
		}
		c.scopeClaims = names
		return nil
	})
}

// WithHTTPClient sets the client that fetches key sets and discovery
// documents (JWT only). Each request is still bounded by the fetch
// timeout. The default is a client with no other settings.
func WithHTTPClient(client *http.Client) Option {
	return jwtOption(func(c *config) error {
		if client == nil {
			return errors.New("bearer: WithHTTPClient(nil)")
		}
		c.httpClient = client
		return nil
	})
}

// WithFetchTimeout bounds each request for keys or discovery (JWT only).
// The default is DefaultFetchTimeout.
func WithFetchTimeout(d time.Duration) Option {
	return jwtOption(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("bearer: WithFetchTimeout(%v): must be positive", d)
		}
		c.fetchTimeout = d
		return nil
	})
}

// WithMaxResponseBytes caps the size of a fetched key set or discovery
// document (JWT only); a larger response is refused. The default is
// DefaultMaxResponseBytes.
func WithMaxResponseBytes(n int64) Option {
	return jwtOption(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("bearer: WithMaxResponseBytes(%d): must be positive", n)
		}
		c.maxResponse = n
		return nil
	})
}

// WithRefreshInterval bounds the background refresh of fetched key sets
// (JWT only): the response's Cache-Control max-age is honoured but never
// below min nor above max; max applies when there is none. Defaults:
// DefaultMinRefresh, DefaultMaxRefresh.
func WithRefreshInterval(min, max time.Duration) Option {
	return jwtOption(func(c *config) error {
		if min <= 0 || max < min {
			return fmt.Errorf("bearer: WithRefreshInterval(%v, %v): need 0 < min <= max", min, max)
		}
		c.minRefresh, c.maxRefresh = min, max
		return nil
	})
}

// WithUnknownKeyRefresh sets how often, at most, a token whose kid is not
// in its issuer's key set makes the set be fetched again (JWT only).
// Concurrent requests share one fetch. The default is
// DefaultUnknownKeyRefresh.
func WithUnknownKeyRefresh(d time.Duration) Option {
	return jwtOption(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("bearer: WithUnknownKeyRefresh(%v): must be positive", d)
		}
		c.unknownRefresh = d
		return nil
	})
}

// WithLogger sets where key-set events are logged (JWT only): a refused or
// failed fetch at error level, a new key set at info. The default writes
// JSON to standard error. Rejected requests are not logged here; the gate
// logs those.
func WithLogger(l zerolog.Logger) Option {
	return jwtOption(func(c *config) error { c.logger = l; return nil })
}

// WithPlainHTTP allows http:// issuer, discovery and JWKS URLs on hosts
// other than loopback (JWT only). Without it, only https URLs and
// http://127.0.0.1, http://[::1] and http://localhost are accepted, since
// keys fetched in the clear can be swapped by anyone on the path.
func WithPlainHTTP() Option {
	return jwtOption(func(c *config) error { c.plainHTTP = true; return nil })
}

// WithTokenCache bounds the verified-token cache of a JWT verifier (JWT
// only; the opaque verifier's cache is WithCache): at most maxEntries
// tokens, taking at most maxBytes bytes (each token's length plus an
// estimate of its identity's size). WithTokenCache(0, 0) turns the cache
// off, so that every request verifies its token's signature. The cache is
// on by default, with DefaultTokenCacheEntries and
// DefaultTokenCacheBytes. Remembered rejections have a cache of their
// own, bounded to an eighth of both, in addition. See the package
// documentation for what the caches keep and when they let go.
func WithTokenCache(maxEntries int, maxBytes int64) Option {
	return jwtOption(func(c *config) error {
		if maxEntries < 0 || maxBytes < 0 || (maxEntries == 0) != (maxBytes == 0) {
			return fmt.Errorf("bearer: WithTokenCache(%d, %d): both bounds must be positive, or both 0 to turn the cache off", maxEntries, maxBytes)
		}
		c.tokenCacheEntries, c.tokenCacheBytes = maxEntries, maxBytes
		return nil
	})
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
