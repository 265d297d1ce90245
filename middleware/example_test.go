package middleware_test

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// tokenVerifier is a minimal custom verifier: it accepts one static Bearer
// token. Real services use verifiers/bearer; this shows the contract.
type tokenVerifier struct{ token string }

func (v tokenVerifier) Challenge() challenge.Challenge {
	return challenge.Challenge{Scheme: "Bearer", Params: []challenge.Param{{Name: "realm", Value: "example"}}}
}

func (v tokenVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, ok := verifiers.Authorization(r, "Bearer")
	if !ok {
		return nil, verifiers.ErrNoCredentials
	}
	if tok == "" {
		return nil, verifiers.Reject(verifiers.RequestMalformed, "Bearer scheme with no token")
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(v.token)) != 1 {
		return nil, verifiers.Reject(verifiers.TokenInvalid, "token does not match the configured one")
	}
	return &verifiers.Identity{Subject: "robot", Scheme: verifiers.SchemeBearer, Scopes: []string{"reports:read"}}, nil
}

func show(h http.Handler, method, target, authorization string) {
	r := httptest.NewRequest(method, target, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Values("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
}

// Per-route configuration in chi: a public route, an authenticated route,
// and a route that also needs a scope.
func ExampleGate_Require_chi() {
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))
	v := tokenVerifier{token: "s3cret"}

	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	r.Group(func(r chi.Router) {
		r.Use(gate.Require(v))
		r.Get("/reports", func(w http.ResponseWriter, r *http.Request) {
			id, _ := middleware.IdentityFrom(r.Context())
			fmt.Fprint(w, "reports for ", id.Subject)
		})
		r.With(gate.RequireScopes("orders:write")).Post("/orders", func(w http.ResponseWriter, r *http.Request) {})
	})

	show(r, "GET", "/healthz", "")
	show(r, "GET", "/reports", "Bearer s3cret")
	show(r, "GET", "/reports", "")
	show(r, "GET", "/reports", "Bearer wrong")
	show(r, "POST", "/orders", "Bearer s3cret")
	// Output:
	// 200 [] ok
	// 200 [] reports for robot
	// 401 [Bearer realm="example"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}
	// 401 [Bearer realm="example", error="invalid_token", error_description="The access token is invalid."] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The access token is invalid.","reason":"token_invalid"}
	// 403 [Bearer realm="example", error="insufficient_scope", scope="orders:write"] {"type":"about:blank","title":"Forbidden","status":403,"detail":"The credentials lack a required scope.","reason":"scope_insufficient"}
}

// Per-route configuration on a net/http ServeMux with Go 1.22 patterns: the
// gate wraps each handler that needs it.
func ExampleGate_Require_servemux() {
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))
	v := tokenVerifier{token: "s3cret"}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /reports/{id}", gate.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "report ", r.PathValue("id"))
	})))

	show(mux, "GET", "/healthz", "")
	show(mux, "GET", "/reports/7", "Bearer s3cret")
	show(mux, "GET", "/reports/7", "")
	// Output:
	// 200 [] ok
	// 200 [] report 7
	// 401 [Bearer realm="example"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}
}

// Optional lets anonymous requests through but still rejects bad
// credentials.
func ExampleGate_Optional() {
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))
	h := gate.Optional(tokenVerifier{token: "s3cret"})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := middleware.IdentityFrom(r.Context()); ok {
			fmt.Fprint(w, "hello ", id.Subject)
			return
		}
		fmt.Fprint(w, "hello stranger")
	}))
	show(h, "GET", "/", "")
	show(h, "GET", "/", "Bearer s3cret")
	show(h, "HEAD", "/", "Bearer nope")
	// Output:
	// 200 [] hello stranger
	// 200 [] hello robot
	// 401 [Bearer realm="example", error="invalid_token", error_description="The access token is invalid."]
}

// The rejection log line: one event, with the reason, the detail and the
// hint, and never the credential.
func ExampleWithLogger() {
	logger := zerolog.New(os.Stdout)
	gate := middleware.New(middleware.WithLogger(logger))
	h := gate.Require(tokenVerifier{token: "s3cret"})(http.NotFoundHandler())

	r := httptest.NewRequest("GET", "/reports", nil)
	r.RemoteAddr = "192.0.2.10:4321"
	r.Header.Set("Authorization", "Bearer Bearer s3cret")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// {"level":"warn","reason":"token_invalid","status":401,"scheme":"Bearer","method":"GET","path":"/reports","route":"","remote_ip":"192.0.2.10","request_id":"","detail":"token does not match the configured one","hint":"the scheme is written twice ('Bearer Bearer ...'); send it once","message":"authgate: request refused"}
}
