package middleware

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
)

// routePattern is chi's route pattern or the ServeMux pattern, when known.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		// The common case of a single pattern without wildcards or a
		// trailing slash is what RoutePattern would return, without its
		// joining and replacing.
		if len(rc.RoutePatterns) == 1 {
			if p := rc.RoutePatterns[0]; p != "" && p != "/" && p[len(p)-1] != '/' && !strings.Contains(p, "/*/") {
				return p
			}
		}
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return r.Pattern
}

// requestID is chi's request id, else a well-formed X-Request-Id.
func requestID(r *http.Request) string {
	if id := chimw.GetReqID(r.Context()); id != "" {
		return clean(id, 128)
	}
	// The name is canonical: index the map rather than Get it.
	v := r.Header["X-Request-Id"]
	if len(v) == 0 || v[0] == "" || len(v[0]) > 128 {
		return ""
	}
	id := v[0]
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0) {
			return ""
		}
	}
	return id
}
