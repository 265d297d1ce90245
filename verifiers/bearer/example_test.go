package bearer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// An issuer for the examples: one P-256 key, published without alg as
// many providers do, and a function that signs ES256 tokens with it.
func exampleIssuer() (jwks []byte, mint func(claims map[string]any) string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	pub, _ := key.PublicKey.Bytes()
	jwks, _ = json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
		"x": b64(pub[1:33]), "y": b64(pub[33:]),
	}}})
	mint = func(claims map[string]any) string {
		h, _ := json.Marshal(map[string]any{"alg": "ES256", "kid": "k1", "typ": "at+jwt"})
		c, _ := json.Marshal(claims)
		input := b64(h) + "." + b64(c)
		d := sha256.Sum256([]byte(input))
		r, s, _ := ecdsa.Sign(rand.Reader, key, d[:])
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return input + "." + b64(sig)
	}
	return jwks, mint
}

func claimsFor(aud string, exp time.Time, scope string) map[string]any {
	return map[string]any{
		"iss": "https://login.example.com/", "aud": aud, "sub": "alice",
		"exp": exp.Unix(), "iat": time.Now().Unix(), "scope": scope,
	}
}

func send(h http.Handler, method, path, token string) {
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if ch := w.Header().Get("WWW-Authenticate"); ch != "" {
		fmt.Println(w.Code, ch)
		return
	}
	fmt.Println(w.Code)
}

// Per-route configuration in chi: reading orders needs a valid token,
// deleting one also needs the orders:delete scope.
func ExampleNew_chi() {
	jwks, mint := exampleIssuer()
	v, err := bearer.New(context.Background(), "https://api.example.com",
		[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}},
		bearer.WithRealm("orders"))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	gate := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)))

	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Group(func(r chi.Router) {
		r.Use(gate.Require(v))
		r.Get("/orders", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		r.With(gate.RequireScopes("orders:delete")).Delete("/orders/{id}", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})
	})

	hour := time.Now().Add(time.Hour)
	send(r, "GET", "/healthz", "")
	send(r, "GET", "/orders", "")
	send(r, "GET", "/orders", mint(claimsFor("https://api.example.com", hour, "orders:read")))
	send(r, "GET", "/orders", mint(claimsFor("https://api.example.com", time.Now().Add(-time.Hour), "orders:read")))
	send(r, "GET", "/orders", mint(claimsFor("https://billing.example.com", hour, "orders:read")))
	send(r, "DELETE", "/orders/7", mint(claimsFor("https://api.example.com", hour, "orders:read")))
	// Output:
	// 204
	// 401 Bearer realm="orders"
	// 200
	// 401 Bearer realm="orders", error="invalid_token", error_description="The access token expired."
	// 401 Bearer realm="orders", error="invalid_token", error_description="The access token is not meant for this resource."
	// 403 Bearer realm="orders", error="insufficient_scope", scope="orders:delete"
}

// Per-route configuration with net/http's ServeMux and Go 1.22 patterns.
func ExampleNew_serveMux() {
	jwks, mint := exampleIssuer()
	v, err := bearer.New(context.Background(), "https://api.example.com",
		[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}},
		bearer.WithAccessTokenProfile(), bearer.WithRequiredClaims("sub"))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	gate := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)))

	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", gate.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Println("order", r.PathValue("id"), "for", id.Subject)
	})))

	c := claimsFor("https://api.example.com", time.Now().Add(time.Hour), "")
	c["client_id"], c["jti"] = "shop-frontend", "t-1"
	send(mux, "GET", "/orders/42", mint(c))
	delete(c, "client_id")
	send(mux, "GET", "/orders/42", mint(c))
	// Output:
	// order 42 for alice
	// 200
	// 401 Bearer realm="api", error="invalid_token", error_description="The access token lacks a required claim."
}

// The verified-token cache is on by default: a token seen before is
// answered with the identity it proved, without a signature check. Size
// it for the number of tokens in use at once, or turn it off.
func ExampleWithTokenCache() {
	jwks, mint := exampleIssuer()
	issuers := []bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}}
	cached, err := bearer.New(context.Background(), "https://api.example.com", issuers,
		bearer.WithTokenCache(50_000, 64<<20))
	if err != nil {
		panic(err)
	}
	defer cached.Close()
	uncached, err := bearer.New(context.Background(), "https://api.example.com", issuers,
		bearer.WithTokenCache(0, 0))
	if err != nil {
		panic(err)
	}
	defer uncached.Close()

	tok := mint(claimsFor("https://api.example.com", time.Now().Add(time.Hour), "orders:read"))
	for _, v := range []*bearer.Verifier{cached, uncached} {
		r := httptest.NewRequest("GET", "/orders", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		first, _ := v.Verify(r)
		second, _ := v.Verify(r)
		fmt.Println(first.Subject, "same identity:", first == second)
	}
	// Output:
	// alice same identity: true
	// alice same identity: false
}

// Opaque tokens, checked by a function of yours (an introspection call, a
// token store), with a small cache.
func ExampleNewOpaque() {
	tokens := map[string]string{"s3cr3t-opaque-token": "build-bot"}
	check := func(_ context.Context, tok string) (*verifiers.Identity, error) {
		sub, ok := tokens[tok]
		if !ok {
			return nil, bearer.ErrTokenInvalid
		}
		return &verifiers.Identity{Subject: sub, Scopes: []string{"deploy"}}, nil
	}
	v, err := bearer.NewOpaque(check, bearer.WithCache(1000, time.Minute))
	if err != nil {
		panic(err)
	}
	h := middleware.New(middleware.WithLogger(zerolog.New(io.Discard))).Require(v)(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	send(h, "POST", "/deploy", "s3cr3t-opaque-token")
	send(h, "POST", "/deploy", "guessed-token")
	// Output:
	// 200
	// 401 Bearer realm="api", error="invalid_token", error_description="The access token is invalid."
}

// A key set that authgate refuses fails New with a precise error.
func ExampleKeySetError() {
	jwks := []byte(`{"keys":[{"kty":"oct","kid":"hs","alg":"HS256","k":"c2hvcnQ"}]}`)
	_, err := bearer.New(context.Background(), "https://api.example.com",
		[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}})
	fmt.Println(errors.Is(err, bearer.ErrInvalidKeySet))
	fmt.Println(err)
	// Output:
	// true
	// bearer: key set static JWKS of issuer 'https://login.example.com/' refused: key 0 (kid 'hs'): HS256 key is 5 bytes; RFC 7518 §3.2 requires at least 32 (the hash length)
}
