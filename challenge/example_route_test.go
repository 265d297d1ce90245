package challenge_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// staticChallenge is a verifier that never finds credentials: enough to
// see the challenges a route sends.
type staticChallenge struct{ ch challenge.Challenge }

func (s staticChallenge) Challenge() challenge.Challenge { return s.ch }
func (s staticChallenge) Verify(*http.Request) (*verifiers.Identity, error) {
	return nil, verifiers.ErrNoCredentials
}

// A client (or a test) reads the challenges of routes configured per route
// in chi and on a ServeMux, and finds what each accepts.
func ExampleParse_routes() {
	bearer, _ := challenge.Bearer(challenge.BearerParams{Realm: "api", ResourceMetadata: "https://api.example/.well-known/oauth-protected-resource"})
	basic, _ := challenge.Basic("admin")
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

	r := chi.NewRouter()
	r.With(gate.Require(staticChallenge{bearer}, staticChallenge{basic})).Get("/v1/me", ok)
	mux := http.NewServeMux()
	mux.Handle("GET /admin/", gate.Require(staticChallenge{basic})(ok))

	for _, c := range []struct {
		h    http.Handler
		path string
	}{{r, "/v1/me"}, {mux, "/admin/stats"}} {
		w := httptest.NewRecorder()
		c.h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		cs, err := challenge.Parse(w.Header().Values("WWW-Authenticate")...)
		if err != nil {
			fmt.Println(err)
			continue
		}
		for _, ch := range cs {
			realm, _ := ch.Param("realm")
			fmt.Println(c.path, ch.Scheme, realm)
		}
	}
	// Output:
	// /v1/me Bearer api
	// /v1/me Basic admin
	// /admin/stats Basic admin
}
