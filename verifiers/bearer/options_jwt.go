package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/rs/zerolog"
)

// This file holds the options of New only (Option): which tokens the
// JWT verifier accepts, how it fetches key sets, and its token cache.

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
