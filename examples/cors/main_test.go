package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestReadmeCORS keeps the README's CORS recipe identical to this
// program.
func TestReadmeCORS(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Error("README.md does not hold examples/cors/main.go verbatim in a go code block")
	}
}

// TestRecipe checks both mountings: the preflight of the listed origin is
// answered in front of the gate, a forged one from another origin never
// reaches it, and a 401 to the listed origin is readable, with its
// challenge exposed.
func TestRecipe(t *testing.T) {
	key, rec := authgatetest.APIKeyIn(t, "live", "reports-service")
	keys, err := apikey.New(authgatetest.APIKeyStore(t, rec))
	if err != nil {
		t.Fatal(err)
	}
	const origin = "https://app.example.com"
	for name, mount := range map[string]func(*middleware.Gate) http.Handler{
		"chi":      func(g *middleware.Gate) http.Handler { return chiRouter(newCORS(), g, keys) },
		"ServeMux": func(g *middleware.Gate) http.Handler { return serveMux(newCORS(), g, keys) },
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			h := mount(middleware.New(middleware.WithLogger(zerolog.New(&logs))))
			do := func(method string, hdr ...string) *http.Response {
				r := httptest.NewRequest(method, "/v1/reports", nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					r.Header.Set(hdr[i], hdr[i+1])
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Result()
			}
			res := do("OPTIONS", "Origin", origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key")
			if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != origin || res.Header.Get("Access-Control-Allow-Headers") != "x-api-key" {
				t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
			}
			res = do("OPTIONS", "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
			if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("forged preflight: %d %v", res.StatusCode, res.Header)
			}
			if logs.Len() != 0 {
				t.Errorf("a preflight reached the gate: %s", logs.String())
			}
			res = do("GET", "Origin", origin, "X-API-Key", "ak_live_mistyped")
			if res.StatusCode != 401 || res.Header.Get("Access-Control-Allow-Origin") != origin ||
				res.Header.Get("Access-Control-Expose-Headers") != "Www-Authenticate, Retry-After" ||
				res.Header.Get("WWW-Authenticate") != `APIKey realm="api", header="X-API-Key"` {
				t.Errorf("401: %d %v", res.StatusCode, res.Header)
			}
			if res = do("GET", "Origin", origin, "X-API-Key", key); res.StatusCode != 200 {
				t.Errorf("valid key: %d", res.StatusCode)
			}
		})
	}
}
