package benchmarks

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/basic"
)

// TestAuthgateRowsMeasureTheirPath checks that each authgate row takes
// the path its name says: the status, and the reason in the log event.
// The benchmarks check the status on every iteration; this checks why.
func TestAuthgateRowsMeasureTheirPath(t *testing.T) {
	t.Parallel()
	f := getFixture()
	ks := getAPIKeys()
	type row struct {
		name   string
		build  func(g *middleware.Gate) http.Handler
		req    *http.Request
		status int
		reason string // "" for success
		// repeat sends the request twice and checks the second, which
		// is what a cache-hit row measures.
		repeat bool
	}
	var rows []row
	for _, a := range f.algs {
		for _, p := range paths {
			reason := map[string]string{
				"expired":       "token_expired",
				"bad_signature": "token_signature_invalid",
				"unknown_key":   "token_key_unknown",
			}[p]
			rows = append(rows, row{
				name:   "JWT/" + a.name + "/" + p + "/nocache",
				build:  func(g *middleware.Gate) http.Handler { return authgateBearerGate(t, g, f.jwks, noTokenCache()...) },
				req:    bearerRequest(f.tokens[a.name][p]),
				status: wantStatus(p),
				reason: reason,
			}, row{
				name:   "JWT/" + a.name + "/" + p + "/cache",
				build:  func(g *middleware.Gate) http.Handler { return authgateBearerGate(t, g, f.jwks) },
				req:    bearerRequest(f.tokens[a.name][p]),
				status: wantStatus(p),
				reason: reason,
				repeat: true,
			})
		}
	}
	apiKey := func(g *middleware.Gate) http.Handler { return authgateAPIKeyGate(t, g, 10000) }
	basicV := func(g *middleware.Gate) http.Handler { return authgateBasicGate(t, g, 1000, basic.WithCache(0, 0)) }
	rows = append(rows,
		row{"APIKey/success", apiKey, newRequest("X-API-Key", ks.keys[0].Reveal()), 204, "", false},
		row{"APIKey/unknown", apiKey, newRequest("X-API-Key", ks.unknown.Reveal()), 401, "apikey_unknown", false},
		row{"APIKey/missing", apiKey, newRequest("", ""), 401, "credentials_missing", false},
		row{"Basic/success", basicV, basicRequest(testSub, basicPassword), 204, "", false},
		row{"Basic/wrong_password", basicV, basicRequest(testSub, "nope"), 401, "password_mismatch", false},
		row{"Basic/unknown_user", basicV, basicRequest("mallory", basicPassword), 401, "user_unknown", false},
	)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := r.build(newGate(middleware.WithLogger(zerolog.New(&buf))))
			if r.repeat {
				do(h, r.req)
				buf.Reset()
			}
			rec := do(h, r.req)
			if rec.Code != r.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, r.status, rec.Body)
			}
			log := buf.String()
			if r.reason == "" {
				if strings.Contains(log, `"reason"`) {
					t.Fatalf("success logged a rejection: %s", log)
				}
				return
			}
			if !strings.Contains(log, `"reason":"`+r.reason+`"`) {
				t.Fatalf("log has no reason %s: %s", r.reason, log)
			}
		})
	}
}

// TestPeersAnswer checks every peer row's status on a fresh handler (the
// benchmarks check it on every iteration too), and that the success
// handlers read the subject from the token: a 204 is only written when
// they did.
func TestPeersAnswer(t *testing.T) {
	t.Parallel()
	f := getFixture()
	for _, a := range f.algs {
		for _, im := range jwtImpls {
			h := im.build(t, a, f.jwks)
			for _, p := range paths {
				if rec := do(h, bearerRequest(f.tokens[a.name][p])); rec.Code != wantStatus(p) {
					t.Errorf("%s %s %s: status %d, want %d; body %s", im.name, a.name, p, rec.Code, wantStatus(p), rec.Body)
				}
			}
		}
	}
}
