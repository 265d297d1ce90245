package bearer

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/cache"
	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// ErrTokenInvalid is what a TokenFunc returns (or wraps) for a token it
// does not accept: unknown, revoked, expired. The request is rejected with
// token_invalid (401).
var ErrTokenInvalid = errors.New("bearer: token not valid")

// TokenFunc checks an opaque token, typically with the issuer's
// introspection endpoint (RFC 7662) or a token store, and returns who it
// belongs to. It returns:
//
//   - an identity, for a valid token;
//   - ErrTokenInvalid, wrapped or not, for a token it does not accept
//     (the error text is logged: it must not hold the token);
//   - a *verifiers.Rejection, for a rejection with its own reason, detail
//     and hint;
//   - any other error when it could not check (the store is down): the
//     request gets 503, never 401.
//
// The identity's Scheme and Source are set by the verifier. An exp claim
// in Claims (seconds since the epoch, as float64 or int64) bounds how
// long the cache keeps it.
type TokenFunc func(ctx context.Context, token string) (*verifiers.Identity, error)

// OpaqueVerifier checks opaque Bearer tokens with a TokenFunc. It
// implements verifiers.Verifier; make one with NewOpaque. It is safe for
// concurrent use.
type OpaqueVerifier struct {
	extractor
	fn    TokenFunc
	cache *idCache
	meta  *Metadata // WithProtectedResource's, nil without
}

// NewOpaque returns a verifier that passes each Bearer token to fn. It
// takes the SharedOptions (WithRealm, WithResourceMetadata,
// WithProtectedResource, WithMaxTokenBytes, WithQueryTokens, WithFormTokens, WithFingerprinter,
// WithClock) and WithCache.
func NewOpaque(fn TokenFunc, opts ...OpaqueOption) (*OpaqueVerifier, error) {
	if fn == nil {
		return nil, errors.New("bearer: NewOpaque needs a TokenFunc")
	}
	c := defaultConfig()
	if err := c.applyOpaque(opts); err != nil {
		return nil, err
	}
	meta, err := buildMetadata(&c, "", nil)
	if err != nil {
		return nil, err
	}
	x, err := newExtractor(&c)
	if err != nil {
		return nil, err
	}
	v := &OpaqueVerifier{extractor: x, fn: fn, meta: meta}
	if c.cacheSize > 0 {
		v.cache = newIDCache(c.cacheSize, c.cacheTTL, c.now)
	}
	return v, nil
}

// Challenge returns `Bearer realm="REALM"`, with resource_metadata when
// configured.
func (v *OpaqueVerifier) Challenge() challenge.Challenge { return v.ch }

// Verify checks the request's Bearer token with the TokenFunc. Tokens
// outside the RFC 6750 §2.1 b64token syntax are refused as token_malformed
// without calling it. Rejections carry the token's keyed fingerprint as
// the "fingerprint" attribute.
func (v *OpaqueVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, src, err := v.token(r)
	if err != nil {
		return nil, err
	}
	if m := checkB64Token(tok); m != nil {
		return nil, malformedRejection(v.fp, tok, m)
	}
	var ck cacheKey
	if v.cache != nil {
		ck = v.cache.key(tok)
		if id := v.cache.get(ck); id != nil {
			return withSource(id, src), nil
		}
	}
	id, err := v.fn(r.Context(), tok)
	if err != nil {
		return nil, v.fnError(tok, err)
	}
	if id == nil {
		return nil, verifiers.Unavailable("the TokenFunc returned neither an identity nor an error; this is a bug in it", nil)
	}
	cp := *id
	cp.Scheme = verifiers.SchemeBearer
	cp.Source = verifiers.Source{}
	if v.cache != nil {
		v.cache.put(ck, &cp)
	}
	return withSource(&cp, src), nil
}

func withSource(id *verifiers.Identity, src verifiers.Source) *verifiers.Identity {
	if id.Source == src {
		return id
	}
	cp := *id
	cp.Source = src
	return &cp
}

func (v *OpaqueVerifier) fnError(tok string, err error) error {
	fp := v.fp.Fingerprint(tok)
	var rej *verifiers.Rejection
	var ue *verifiers.UnavailableError
	switch {
	case errors.As(err, &rej):
		// A copy: the function may return the same Rejection every time.
		cp := *rej
		cp.Attrs = append(slices.Clip(rej.Attrs), verifiers.Attr{Key: verifiers.AttrFingerprint, Value: fp})
		return &cp
	case errors.Is(err, ErrTokenInvalid):
		return verifiers.Reject(verifiers.TokenInvalid, "the token function did not accept the token: "+err.Error()).
			WithHint("the token is unknown to the issuer, revoked or expired, or it belongs to another environment").
			With(verifiers.AttrFingerprint, fp)
	case errors.As(err, &ue):
		return ue
	}
	return &verifiers.UnavailableError{Detail: "the token function failed", Err: err}
}

// checkB64Token checks RFC 6750 §2.1's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func checkB64Token(tok string) *jose.MalformedError {
	i := 0
	for i < len(tok) && (jose.IsBase64URL(tok[i]) || strings.IndexByte(".~+/", tok[i]) >= 0) {
		i++
	}
	if i == 0 {
		return jose.SyntaxError(tok, 0)
	}
	for j := i; j < len(tok); j++ {
		if tok[j] != '=' {
			return jose.SyntaxError(tok, j)
		}
	}
	return nil
}

// cacheKey is HMAC-SHA256 of a whole token under the cache's random key.
type cacheKey [sha256.Size]byte

// idCache remembers the identities of accepted tokens, keyed by
// cacheKey: a bounded LRU with a TTL (internal/cache), and the key
// function.
type idCache struct {
	key     func(string) cacheKey
	entries *cache.Cache[cacheKey, *verifiers.Identity]
}

func newIDCache(size int, ttl time.Duration, now func() time.Time) *idCache {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
	pool := sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }}
	return &idCache{
		entries: cache.New[cacheKey, *verifiers.Identity](size, ttl, now),
		key: func(tok string) cacheKey {
			m := pool.Get().(interface {
				Reset()
				Write([]byte) (int, error)
				Sum([]byte) []byte
			})
			m.Reset()
			_, _ = m.Write([]byte(tok))
			var k cacheKey
			m.Sum(k[:0])
			pool.Put(m)
			return k
		},
	}
}

func (c *idCache) get(k cacheKey) *verifiers.Identity {
	id, _ := c.entries.Get(k)
	return id
}

// put remembers id for the cache's TTL, and never past an exp claim in
// it.
func (c *idCache) put(k cacheKey, id *verifiers.Identity) {
	if exp, ok := claimTime(id.Claims, "exp"); ok {
		c.entries.PutUntil(k, id, exp)
		return
	}
	c.entries.Put(k, id)
}

// claimTime reads a time claim set by a TokenFunc: float64, int64, int or
// time.Time.
func claimTime(claims map[string]any, name string) (time.Time, bool) {
	switch x := claims[name].(type) {
	case float64:
		t, ok, m := numericDate(map[string]any{name: x}, name)
		return t, ok && m == nil
	case int64:
		return time.Unix(x, 0), true
	case int:
		return time.Unix(int64(x), 0), true
	case time.Time:
		return x, true
	}
	return time.Time{}, false
}
