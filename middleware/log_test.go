package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// TestLogFields checks I1: one event with every field, the route pattern
// from chi or ServeMux, and the request id from chi or X-Request-Id.
func TestLogFields(t *testing.T) {
	t.Parallel()
	k := apikeyV(map[string]func() (*verifiers.Identity, error){
		"k1": func() (*verifiers.Identity, error) {
			return nil, verifiers.Reject(verifiers.APIKeyExpired, "expired 3h ago").WithHint("rotate the key").With(verifiers.AttrKeyID, "kid_123")
		},
	})

	t.Run("chi", func(t *testing.T) {
		g, lb := testGate()
		r := chi.NewRouter()
		r.Use(chimw.RequestID)
		r.With(g.Require(k)).Get("/v1/reports/{id}", okHandler)
		req := get("/v1/reports/42?secret=no", "X-API-Key", "k1")
		req.RemoteAddr = "198.51.100.7:5555"
		w := serve(r, req)
		if w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
		ev := one(t, lb)
		want := map[string]any{
			"reason": "apikey_expired", "status": float64(401), "scheme": "APIKey", "method": "GET",
			"path": "/v1/reports/42", "route": "/v1/reports/{id}", "remote_ip": "198.51.100.7",
			"detail": "expired 3h ago", "hint": "rotate the key", "key_id": "kid_123", "level": "warn",
		}
		for f, v := range want {
			if ev[f] != v {
				t.Errorf("%s = %v, want %v", f, ev[f], v)
			}
		}
		if id, _ := ev["request_id"].(string); id == "" {
			t.Errorf("request_id empty; chi's RequestID should be logged: %v", ev)
		}
		if strings.Contains(lb.String(), "secret=no") {
			t.Error("query string was logged")
		}
	})

	t.Run("servemux", func(t *testing.T) {
		g, lb := testGate()
		mux := http.NewServeMux()
		mux.Handle("GET /v1/reports/{id}", g.Require(k)(okHandler))
		serve(mux, get("/v1/reports/42", "X-API-Key", "k1", "X-Request-Id", "abc-123"))
		ev := one(t, lb)
		if ev["route"] != "GET /v1/reports/{id}" || ev["request_id"] != "abc-123" {
			t.Errorf("route %v request_id %v", ev["route"], ev["request_id"])
		}
	})

	t.Run("logger_from_context", func(t *testing.T) {
		lb := &logBuf{}
		l := zerolog.New(lb)
		h := middleware.Require(k)(okHandler)
		req := get("/", "X-API-Key", "k1")
		serve(h, req.WithContext(l.WithContext(req.Context())))
		if one(t, lb)["reason"] != "apikey_expired" {
			t.Error("no event through zerolog.Ctx")
		}
	})

	t.Run("I1_attrs_sanitized_and_reserved_names_prefixed", func(t *testing.T) {
		v := apikeyV(map[string]func() (*verifiers.Identity, error){
			"k2": func() (*verifiers.Identity, error) {
				return nil, verifiers.Reject(verifiers.APIKeyUnknown, "x").With("user", "eve\r\n{\"level\":\"info\"}"+strings.Repeat("x", 500)).With("reason", "spoof")
			},
		})
		g, lb := testGate()
		serve(g.Require(v)(okHandler), get("/", "X-API-Key", "k2"))
		ev := one(t, lb)
		u, _ := ev["user"].(string)
		if strings.ContainsAny(u, "\r\n") || len(u) > 140 {
			t.Errorf("user attr not sanitized: %q", u)
		}
		if ev["reason"] != "apikey_unknown" || ev["attr_reason"] != "spoof" {
			t.Errorf("reserved field overwritten: %v", ev)
		}
	})
}
