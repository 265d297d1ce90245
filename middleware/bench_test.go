package middleware_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	ch     challenge.Challenge
	scheme string
	id     *verifiers.Identity
	rej    *verifiers.Rejection
	down   error
}

func (s *staticVerifier) Challenge() challenge.Challenge { return s.ch }
func (s *staticVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, ok := verifiers.Authorization(r, s.scheme)
	switch {
	case !ok:
		return nil, verifiers.ErrNoCredentials
	case tok == "good":
		return s.id, nil
	case tok == "down":
		return nil, s.down
	default:
		return nil, s.rej
	}
}

func bearerStatic() *staticVerifier {
	ch, _ := challenge.Bearer(challenge.BearerParams{Realm: "api"})
	return &staticVerifier{
		ch:     ch,
		scheme: "Bearer",
		id:     &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"read"}},
		rej:    verifiers.Reject(verifiers.TokenExpired, "token expired 2m ago"),
		down:   verifiers.Unavailable("JWKS unreachable, nothing cached", nil),
	}
}

func basicStatic() *staticVerifier {
	ch, _ := challenge.Basic("admin")
	return &staticVerifier{
		ch:     ch,
		scheme: "Basic",
		id:     &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBasic},
		rej:    verifiers.Reject(verifiers.PasswordMismatch, "the password does not match").With(verifiers.AttrUser, "alice"),
	}
}

type benchRoute int

const (
	routeNone   benchRoute = iota // chi, no gate: the floor
	routeBearer                   // Require(bearer)
	routeBasic                    // Require(basic)
	routeScope                    // Require(bearer) + RequireScopes("write")
)

func benchRouter(b *testing.B, kind benchRoute, opts ...middleware.Option) http.Handler {
	b.Helper()
	opts = append([]middleware.Option{middleware.WithLogger(zerolog.New(io.Discard)), middleware.WithLogSampling(0, 0)}, opts...)
	g := middleware.New(opts...)
	r := chi.NewRouter()
	h := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }
	switch kind {
	case routeNone:
		r.Get("/x", h)
	case routeBearer:
		r.With(g.Require(bearerStatic())).Get("/x", h)
	case routeBasic:
		r.With(g.Require(basicStatic())).Get("/x", h)
	case routeScope:
		r.With(g.Require(bearerStatic()), g.RequireScopes("write")).Get("/x", h)
	}
	return r
}

func benchServe(b *testing.B, h http.Handler, want int, auth ...string) {
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.RemoteAddr = "192.0.2.1:1234"
	for _, a := range auth {
		req.Header.Add("Authorization", a)
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
func BenchmarkFloor(b *testing.B) { benchServe(b, benchRouter(b, routeNone), 204, "Bearer good") }

// BenchmarkFloorProblem is chi with no authentication answering every
// request like a 401 from the gate, from constants: the same five header
// fields and a problem body, with no decision and no log event. The
// difference to BenchmarkFloor is what any 401 costs to send through the
// router and the recorder, whoever builds it.
func BenchmarkFloorProblem(b *testing.B) {
	body := []byte(`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}` + "\n")
	r := chi.NewRouter()
	r.Get("/x", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Www-Authenticate"] = []string{`Bearer realm="api"`}
		h["Cache-Control"] = []string{"no-store"}
		h["Content-Type"] = []string{"application/problem+json"}
		h["X-Content-Type-Options"] = []string{"nosniff"}
		h["Content-Length"] = []string{"126"}
		w.WriteHeader(401)
		_, _ = w.Write(body)
	})
	benchServe(b, r, 401)
}

func BenchmarkRequireSuccess(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 204, "Bearer good")
}

// BenchmarkRequireSuccessDebug is the success path with the logger at
// debug level, so the "authenticated" event is written (to io.Discard).
func BenchmarkRequireSuccessDebug(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer, middleware.WithLogger(zerolog.New(io.Discard).Level(zerolog.DebugLevel))), 204, "Bearer good")
}

// BenchmarkRequireSuccessInfo is the success path with the logger at info
// level: the debug event is skipped.
func BenchmarkRequireSuccessInfo(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer, middleware.WithLogger(zerolog.New(io.Discard).Level(zerolog.InfoLevel))), 204, "Bearer good")
}

func BenchmarkRequireMissing(b *testing.B) { benchServe(b, benchRouter(b, routeBearer), 401) }

// BenchmarkRequireMissingNoLog is BenchmarkRequireMissing with the logger
// at error level: the difference is the cost of the log event.
func BenchmarkRequireMissingNoLog(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer, middleware.WithLogger(zerolog.New(io.Discard).Level(zerolog.ErrorLevel))), 401)
}

func BenchmarkRequireRejected(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 401, "Bearer expired-token")
}

func BenchmarkRequireRejectedBasic(b *testing.B) {
	benchServe(b, benchRouter(b, routeBasic), 401, "Basic YWxpY2U6d3JvbmctcGFzc3dvcmQ=")
}

func BenchmarkRequireSchemeNotAccepted(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 401, "Basic dXNlcjpwYXNz")
}

func BenchmarkRequireTwoFields(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 400, "Bearer good", "Bearer good")
}

func BenchmarkRequireTooLarge(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 431, "Bearer "+strings.Repeat("a", middleware.DefaultMaxAuthorizationBytes))
}

func BenchmarkRequireScope(b *testing.B) {
	benchServe(b, benchRouter(b, routeScope), 403, "Bearer good")
}

func BenchmarkRequireUnavailable(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer), 503, "Bearer down")
}
