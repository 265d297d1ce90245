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
