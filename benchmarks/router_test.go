package benchmarks

import (
	"io"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

func discardLogger() zerolog.Logger { return zerolog.New(io.Discard) }

func chiRouter() *chi.Mux { return chi.NewRouter() }

// chiRoute mounts h at GET /x behind mw.
func chiRoute(mw func(http.Handler) http.Handler, h http.HandlerFunc) http.Handler {
	r := chiRouter()
	r.With(mw).Get("/x", h)
	return r
}

// floorChi is chi with no authentication: the same route and handler
// shape as every chi row.
func floorChi() http.Handler {
	r := chiRouter()
	r.Get("/x", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return r
}

// floorEcho is echo with no authentication.
func floorEcho() http.Handler {
	e := echo.New()
	e.GET("/x", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	return e
}

// BenchmarkFloor: each router with no authentication, the floor the other
// rows are measured against.
func BenchmarkFloor(b *testing.B) {
	b.Run("router=chi", func(b *testing.B) { serve(b, floorChi(), newRequest("", ""), http.StatusNoContent) })
	b.Run("router=echo", func(b *testing.B) { serve(b, floorEcho(), newRequest("", ""), http.StatusNoContent) })
}

// sameResponse is chi with no authentication answering every request with
// the response h gives req, recorded once: the same status, header fields
// and body, from constants. Over this floor, the headers and body any
// correct implementation must send are not counted against authgate; what
// remains is deciding, logging and building them.
func sameResponse(b *testing.B, h http.Handler, req *http.Request) http.Handler {
	b.Helper()
	rec := do(h, req)
	status, hdr, body := rec.Code, rec.Result().Header.Clone(), rec.Body.Bytes()
	r := chiRouter()
	r.Get("/x", func(w http.ResponseWriter, _ *http.Request) {
		wh := w.Header()
		for k, v := range hdr {
			wh[k] = v
		}
		w.WriteHeader(status)
		if len(body) > 0 {
			_, _ = w.Write(body)
		}
	})
	return r
}

// BenchmarkFloorSame: the same-response floors of authgate's API key rows
// (keys=1) and JWT rows: "over the same-response floor" subtracts these.
// A JWT row's answer is the same with and without the token cache.
func BenchmarkFloorSame(b *testing.B) {
	f := getFixture()
	for _, a := range f.algs {
		h := authgateBearer(b, f.jwks)
		for _, p := range paths {
			req := bearerRequest(f.tokens[a.name][p])
			b.Run("jwt/alg="+a.name+"/path="+p, func(b *testing.B) { serve(b, sameResponse(b, h, req), req, wantStatus(p)) })
		}
	}
	ks := getAPIKeys()
	h := authgateAPIKey(b, 1)
	for _, p := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"success", newRequest("X-API-Key", ks.keys[0].Reveal()), http.StatusNoContent},
		{"unknown", newRequest("X-API-Key", ks.unknown.Reveal()), http.StatusUnauthorized},
		{"missing", newRequest("", ""), http.StatusUnauthorized},
	} {
		b.Run("apikey/path="+p.name, func(b *testing.B) { serve(b, sameResponse(b, h, p.req), p.req, p.want) })
	}
}
