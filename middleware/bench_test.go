package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// staticVerifier answers from a fixed table without allocating, so the
// benchmarks measure the gate itself.
type staticVerifier struct {
	ch  challenge.Challenge
	id  *verifiers.Identity
	rej *verifiers.Rejection
}

func (s *staticVerifier) Challenge() challenge.Challenge { return s.ch }
func (s *staticVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, ok := verifiers.Authorization(r, "Bearer")
	switch {
	case !ok:
		return nil, verifiers.ErrNoCredentials
	case tok == "good":
		return s.id, nil
	default:
		return nil, s.rej
	}
}

func benchRouter(b *testing.B, gate bool) http.Handler {
	ch, _ := challenge.Bearer(challenge.BearerParams{Realm: "api"})
	v := &staticVerifier{
		ch:  ch,
		id:  &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"read"}},
		rej: verifiers.Reject(verifiers.TokenExpired, "token expired 2m ago"),
	}
	g := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)), middleware.WithLogSampling(0, 0))
	r := chi.NewRouter()
	h := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }
	if gate {
		r.With(g.Require(v)).Get("/x", h)
	} else {
		r.Get("/x", h)
	}
	return r
}

func benchServe(b *testing.B, h http.Handler, auth string, want int) {
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			b.Fatalf("status %d, want %d", w.Code, want)
		}
	}
}

// BenchmarkFloor is chi with no authentication: the floor the gate's
// overhead is measured against.
func BenchmarkFloor(b *testing.B) { benchServe(b, benchRouter(b, false), "Bearer good", 204) }

func BenchmarkRequireSuccess(b *testing.B) { benchServe(b, benchRouter(b, true), "Bearer good", 204) }

func BenchmarkRequireMissing(b *testing.B) { benchServe(b, benchRouter(b, true), "", 401) }

func BenchmarkRequireRejected(b *testing.B) {
	benchServe(b, benchRouter(b, true), "Bearer expired-token", 401)
}

func BenchmarkRequireSchemeNotAccepted(b *testing.B) {
	benchServe(b, benchRouter(b, true), "Basic dXNlcjpwYXNz", 401)
}
