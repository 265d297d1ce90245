package benchmarks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/go-chi/jwtauth/v5"
	gojwt "github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	jwxv2jwt "github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/rs/zerolog"
	"gopkg.in/go-jose/go-jose.v2"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// A JWT implementation under test: a handler for GET /x that answers 204
// when the request carries a valid token whose sub it could read, and the
// library's own refusal otherwise.
type jwtImpl struct {
	name string
	// build returns the handler for tokens of alg a, with jwks as the key
	// set (for the implementations that take one).
	build func(tb testing.TB, a *alg, jwks []byte) http.Handler
	// kid reports whether the implementation selects keys by kid. Without
	// it the unknown-key token is checked against the one configured key
	// and fails its signature check.
	kid bool
}

var jwtImpls = []jwtImpl{
	{"authgate-nocache", func(tb testing.TB, _ *alg, jwks []byte) http.Handler {
		return authgateBearer(tb, jwks, noTokenCache()...)
	}, true},
	{"authgate-cache", func(tb testing.TB, _ *alg, jwks []byte) http.Handler {
		return authgateBearer(tb, jwks)
	}, true},
	{"jwtauth", jwtauthHandler, false},
	{"auth0", auth0Handler, true},
	{"echojwt", echojwtHandler, true},
}

// authgateBearer is authgate's gate and Bearer verifier on a static JWK
// set, mounted on a chi route. Every rejection writes its log event (to a
// discarding writer): log sampling is off, so no event is skipped.
func authgateBearer(tb testing.TB, jwks []byte, opts ...bearer.Option) http.Handler {
	return authgateBearerGate(tb, newGate(), jwks, opts...)
}

// authgateBearerGate is authgateBearer behind gate g.
func authgateBearerGate(tb testing.TB, g *middleware.Gate, jwks []byte, opts ...bearer.Option) http.Handler {
	v, err := bearer.New(context.Background(), testAud,
		[]bearer.Issuer{{URL: testIss, Keys: bearer.JWKS(jwks)}},
		append([]bearer.Option{bearer.WithLogger(discardLogger())}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return chiRoute(g.Require(v), authgateHandler)
}

// newGate is the gate as the issue specifies it, a zerolog logger on
// io.Discard, with log sampling off so that every rejection is logged.
func newGate(opts ...middleware.Option) *middleware.Gate {
	return middleware.New(append([]middleware.Option{
		middleware.WithLogger(discardLogger()), middleware.WithLogSampling(0, 0),
	}, opts...)...)
}

func authgateHandler(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok || id.Subject != testSub {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// jwtauthHandler is go-chi/jwtauth (jwx v2 underneath) as its README
// shows it: Verifier then Authenticator on a chi route, with validate
// options for iss, aud, a required exp and the same 30 s of leeway as
// authgate. jwtauth takes one key and ignores kid.
func jwtauthHandler(_ testing.TB, a *alg, _ []byte) http.Handler {
	ja := jwtauth.New(a.name, nil, a.pub,
		jwxv2jwt.WithIssuer(testIss), jwxv2jwt.WithAudience(testAud),
		jwxv2jwt.WithRequiredClaim("exp"), jwxv2jwt.WithAcceptableSkew(leeway))
	r := chiRouter()
	r.With(jwtauth.Verifier(ja), jwtauth.Authenticator(ja)).Get("/x", func(w http.ResponseWriter, r *http.Request) {
		// The token itself, not jwtauth.FromContext, which would copy
		// every claim into a map: the handler must not be what is slow.
		tok, ok := r.Context().Value(jwtauth.TokenCtxKey).(jwxv2jwt.Token)
		if !ok || tok.Subject() != testSub {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return r
}

// auth0Claims decodes scope, as authgate does.
type auth0Claims struct {
	Scope string `json:"scope"`
}

func (*auth0Claims) Validate(context.Context) error { return nil }

// auth0Handler is auth0/go-jwt-middleware v2 (go-jose v2 underneath) on a
// chi route: its validator with the key set as go-jose's JSONWebKeySet
// (keys picked by kid, as its JWKS provider does), the expected iss and
// aud, scope as a custom claim, and 30 s of clock skew.
func auth0Handler(tb testing.TB, a *alg, jwks []byte) http.Handler {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		tb.Fatal(err)
	}
	v, err := validator.New(func(context.Context) (any, error) { return &set, nil },
		validator.SignatureAlgorithm(a.name), testIss, []string{testAud},
		validator.WithCustomClaims(func() validator.CustomClaims { return &auth0Claims{} }),
		validator.WithAllowedClockSkew(leeway))
	if err != nil {
		tb.Fatal(err)
	}
	mw := jwtmiddleware.New(v.ValidateToken)
	r := chiRouter()
	r.With(mw.CheckJWT).Get("/x", func(w http.ResponseWriter, r *http.Request) {
		c, ok := r.Context().Value(jwtmiddleware.ContextKey{}).(*validator.ValidatedClaims)
		if !ok || c.RegisteredClaims.Subject != testSub {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return r
}

// echoClaims are the claims echo-jwt decodes into; Validate (called by
// golang-jwt after exp, nbf and iat) checks iss, aud and that exp is
// present, since echo-jwt's default parser does not.
type echoClaims struct {
	gojwt.RegisteredClaims
	Scope string `json:"scope"`
}

func (c *echoClaims) Validate() error {
	switch {
	case c.Issuer != testIss:
		return gojwt.ErrTokenInvalidIssuer
	case !slices.Contains(c.Audience, testAud):
		return gojwt.ErrTokenInvalidAudience
	case c.ExpiresAt == nil:
		return gojwt.ErrTokenRequiredClaimMissing
	}
	return nil
}

// echojwtHandler is labstack/echo-jwt v4 (golang-jwt v5 underneath) on
// echo's own router, as its users run it: SigningKeys by kid,
// SigningMethod, and the claims above.
func echojwtHandler(_ testing.TB, a *alg, _ []byte) http.Handler {
	e := echo.New()
	e.GET("/x", func(c echo.Context) error {
		tok, ok := c.Get("user").(*gojwt.Token)
		if !ok {
			return c.NoContent(http.StatusInternalServerError)
		}
		if cl, ok := tok.Claims.(*echoClaims); !ok || cl.Subject != testSub {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusNoContent)
	}, echojwt.WithConfig(echojwt.Config{
		SigningKeys:   echoKeys(),
		SigningMethod: a.name,
		NewClaimsFunc: func(echo.Context) gojwt.Claims { return &echoClaims{} },
	}))
	return e
}

// echoKeys is the key set as echo-jwt takes it: kid → public key.
func echoKeys() map[string]any {
	m := map[string]any{}
	for _, a := range getFixture().algs {
		m[a.kid] = a.pub
	}
	return m
}

// jwxAlg is the jwx v3 algorithm of a.
func jwxAlg(a *alg) jwa.SignatureAlgorithm {
	switch a.name {
	case "ES256":
		return jwa.ES256()
	case "RS256":
		return jwa.RS256()
	}
	return jwa.EdDSA()
}

// BenchmarkJWT: one token per request through each implementation, per
// algorithm and outcome, and the two floors: jwx v3's own parse, verify
// and validate (no HTTP), and the bare signature check (no HTTP).
func BenchmarkJWT(b *testing.B) {
	f := getFixture()
	for _, a := range f.algs {
		handlers := make([]http.Handler, len(jwtImpls))
		for i, im := range jwtImpls {
			handlers[i] = im.build(b, a, f.jwks)
		}
		for _, p := range paths {
			tok := f.tokens[a.name][p]
			for i, im := range jwtImpls {
				b.Run(fmt.Sprintf("alg=%s/path=%s/impl=%s", a.name, p, im.name), func(b *testing.B) {
					serve(b, handlers[i], bearerRequest(tok), wantStatus(p))
				})
			}
			b.Run(fmt.Sprintf("alg=%s/path=%s/impl=floor-jwx", a.name, p), func(b *testing.B) {
				benchJWX(b, a, tok, p == "success")
			})
			if p == "success" || p == "bad_signature" {
				b.Run(fmt.Sprintf("alg=%s/path=%s/impl=floor-bare", a.name, p), func(b *testing.B) {
					c := newBareCheck(tok, a.pub)
					b.ReportAllocs()
					for b.Loop() {
						if c.verify() != (p == "success") {
							b.Fatal("bare check: wrong answer")
						}
					}
				})
			}
		}
	}
}

// benchJWX is jwx v3's jwt.Parse with the key (WithKey, so kid is not
// used: the unknown-key token fails its signature check) and validation
// of iss, aud, exp, nbf and iat with 30 s of skew, then reading sub.
func benchJWX(b *testing.B, a *alg, tok string, ok bool) {
	opts := []jwt.ParseOption{
		jwt.WithKey(jwxAlg(a), a.pub), jwt.WithValidate(true),
		jwt.WithIssuer(testIss), jwt.WithAudience(testAud), jwt.WithAcceptableSkew(leeway),
		jwt.WithRequiredClaim("exp"),
	}
	raw := []byte(tok)
	b.ReportAllocs()
	for b.Loop() {
		t, err := jwt.Parse(raw, opts...)
		if (err == nil) != ok {
			b.Fatalf("jwt.Parse: %v", err)
		}
		if ok {
			if sub, _ := t.Subject(); sub != testSub {
				b.Fatalf("sub %q", sub)
			}
		}
	}
}

// BenchmarkJWTScale: ES256 with 1 and with 100 keys in the key set (the
// token's key last), for the implementations that select keys by kid.
func BenchmarkJWTScale(b *testing.B) {
	f := getFixture()
	es := f.algs[0]
	var keys []map[string]any
	for i := 1; i < 100; i++ {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, jwkOf(k.Public(), fmt.Sprintf("es256-%d", i), "ES256"))
	}
	keys = append(keys, jwkOf(es.pub, es.kid, "ES256"))
	sets := map[int][]byte{1: jwksJSON(keys[len(keys)-1:]), 100: jwksJSON(keys)}
	for _, n := range []int{1, 100} {
		for _, p := range []string{"success", "unknown_key"} {
			tok := f.tokens[es.name][p]
			for _, im := range jwtImpls {
				if !im.kid {
					continue
				}
				var h http.Handler
				if im.name == "echojwt" {
					h = echojwtScaleHandler(es, keys[len(keys)-n:])
				} else {
					h = im.build(b, es, sets[n])
				}
				b.Run(fmt.Sprintf("keys=%d/path=%s/impl=%s", n, p, im.name), func(b *testing.B) {
					serve(b, h, bearerRequest(tok), wantStatus(p))
				})
			}
		}
	}
}

// echojwtScaleHandler is echojwtHandler with SigningKeys from keys.
func echojwtScaleHandler(a *alg, keys []map[string]any) http.Handler {
	m := map[string]any{}
	for _, k := range keys {
		if k["kid"] == a.kid {
			m[a.kid] = a.pub
			continue
		}
		// The other keys' values do not matter to a map lookup by kid.
		m[k["kid"].(string)] = a.foreign.Public()
	}
	e := echo.New()
	e.GET("/x", func(c echo.Context) error {
		tok, ok := c.Get("user").(*gojwt.Token)
		if !ok || tok.Claims.(*echoClaims).Subject != testSub {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusNoContent)
	}, echojwt.WithConfig(echojwt.Config{
		SigningKeys:   m,
		SigningMethod: a.name,
		NewClaimsFunc: func(echo.Context) gojwt.Claims { return &echoClaims{} },
	}))
	return e
}

// BenchmarkLogging shows what authgate's log events cost. Rejections: the
// expired ES256 token with log sampling off (an event per rejection, the
// setting of every other authgate row) and with the gate's default
// sampling (10 events a minute per client and reason, then none).
// Success: an API key with the logger at debug (the zerolog default, and
// the setting of every other row: one debug event per authenticated
// request) and at info (no event).
func BenchmarkLogging(b *testing.B) {
	f := getFixture()
	tok := f.tokens["ES256"]["expired"]
	sampled := middleware.New(middleware.WithLogger(discardLogger()))
	for _, r := range []struct {
		name string
		h    http.Handler
		req  *http.Request
		want int
	}{
		{"alg=ES256/path=expired/log=every_event", authgateBearer(b, f.jwks, noTokenCache()...), bearerRequest(tok), http.StatusUnauthorized},
		{"alg=ES256/path=expired/log=default_sampling", authgateBearerGate(b, sampled, f.jwks, noTokenCache()...), bearerRequest(tok), http.StatusUnauthorized},
		{"apikey/path=success/log=debug", authgateAPIKey(b, 1), newRequest("X-API-Key", getAPIKeys().keys[0].Reveal()), http.StatusNoContent},
		{"apikey/path=success/log=info", authgateAPIKeyGate(b, newGate(middleware.WithLogger(discardLogger().Level(zerolog.InfoLevel))), 1),
			newRequest("X-API-Key", getAPIKeys().keys[0].Reveal()), http.StatusNoContent},
	} {
		b.Run(r.name, func(b *testing.B) { serve(b, r.h, r.req, r.want) })
	}
}
