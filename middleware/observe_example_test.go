package middleware_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
)

// An observer counting refusals by reason, the way a metrics adapter
// (module authgateotel) does: the event carries the route pattern, never
// the path, and nothing the request sent.
func ExampleWithObserver() {
	refusals := map[string]int{}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()), middleware.WithObserver(middleware.Observer{
		Authentication: func(ev middleware.AuthenticationEvent) {
			if ev.Reason != "" {
				refusals[string(ev.Reason)+" "+ev.Route]++
			}
		},
	}))
	r := chi.NewRouter()
	r.With(gate.Require(tokenVerifier{token: "s3cret"})).Get("/v1/reports/{id}", func(w http.ResponseWriter, r *http.Request) {})
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret", ""} {
		req := httptest.NewRequest(http.MethodGet, "/v1/reports/42", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	fmt.Println(refusals)
	// Output:
	// map[credentials_missing /v1/reports/{id}:2 token_invalid /v1/reports/{id}:1]
}

// The gate's events through log/slog: the same fields as with zerolog.
func ExampleWithSlogLogger() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		// No time, so that the output is stable.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	gate := middleware.New(middleware.WithSlogLogger(logger))
	h := gate.Require(tokenVerifier{token: "s3cret"})(http.NotFoundHandler())
	req := httptest.NewRequest(http.MethodGet, "/v1/reports", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	req.RemoteAddr = "192.0.2.7:4711"
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// {"level":"WARN","msg":"authgate: request refused","reason":"token_invalid","status":401,"scheme":"Bearer","method":"GET","path":"/v1/reports","route":"","remote_ip":"192.0.2.7","request_id":"","detail":"token does not match the configured one"}
}

// A readiness probe: 503 while a verifier is not ready, 200 once all are.
func ExampleReady() {
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", middleware.Ready(tokenVerifier{token: "s3cret"}))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output:
	// 200 ready
}
