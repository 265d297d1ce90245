package middleware_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	down := bearerV(map[string]func() (*verifiers.Identity, error){
		"down": func() (*verifiers.Identity, error) { return nil, verifiers.Unavailable("down", nil) },
	})
	t.Run("WithRetryAfter", func(t *testing.T) {
		g, _ := testGate(middleware.WithRetryAfter(90 * time.Second))
		w := serve(g.Require(down)(okHandler), get("/", "Authorization", "Bearer down"))
		if w.Code != 503 || w.Header().Get("Retry-After") != "90" {
			t.Errorf("%d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
	})
	t.Run("WithMaxAuthorizationBytes", func(t *testing.T) {
		g, _ := testGate(middleware.WithMaxAuthorizationBytes(64))
		w := serve(g.Require(down)(okHandler), get("/", "Authorization", "Bearer "+strings.Repeat("a", 64)))
		if w.Code != 431 || !strings.Contains(w.Body.String(), "The Authorization header field is too large.") {
			t.Errorf("H1 %d %s", w.Code, w.Body)
		}
	})
	t.Run("WithProblemWriter", func(t *testing.T) {
		var got middleware.Problem
		g, _ := testGate(middleware.WithProblemWriter(func(w http.ResponseWriter, r *http.Request, p middleware.Problem) {
			got = p
			w.WriteHeader(p.Status)
			_, _ = w.Write([]byte("custom " + string(p.Reason)))
		}))
		w := serve(g.Require(down)(okHandler), get("/", "Authorization", "Bearer nope"))
		if w.Code != 401 || w.Body.String() != "custom credentials_invalid" || got.Title != "Unauthorized" {
			t.Errorf("%d %q %+v", w.Code, w.Body, got)
		}
		if w.Header().Get("WWW-Authenticate") == "" || w.Header().Get("Cache-Control") != "no-store" {
			t.Error("the gate's headers must be set before the custom writer runs")
		}
	})
	t.Run("package_level_functions", func(t *testing.T) {
		v := bearerV(map[string]func() (*verifiers.Identity, error){"ok": ident(verifiers.SchemeBearer, "a", "s")})
		for name, h := range map[string]http.Handler{
			"Require+RequireScopes":    middleware.Require(v)(middleware.RequireScopes("s")(okHandler)),
			"Optional+RequireAnyScope": middleware.Optional(v)(middleware.RequireAnyScope("x", "s")(okHandler)),
			"Require+RequirePolicy":    middleware.Require(v)(middleware.RequirePolicy("p", func(*http.Request, *verifiers.Identity) error { return nil })(okHandler)),
		} {
			if w := serve(h, get("/", "Authorization", "Bearer ok")); w.Code != 200 {
				t.Errorf("%s: %d", name, w.Code)
			}
		}
	})
}

// TestRejectionParams: a verifier's own challenge parameters are added to
// its challenge on rejection; invalid ones never reach the header.
func TestRejectionParams(t *testing.T) {
	t.Parallel()
	withParams := func(p ...challenge.Param) func() (*verifiers.Identity, error) {
		return func() (*verifiers.Identity, error) {
			r := verifiers.Reject(verifiers.TokenExpired, "x")
			r.Params = p
			return nil, r
		}
	}
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"uri":     withParams(challenge.Param{Name: "error_uri", Value: "https://docs.example/errors#expired"}),
		"own":     withParams(challenge.Param{Name: "error", Value: "invalid_token"}, challenge.Param{Name: "error_description", Value: "Custom."}),
		"badname": withParams(challenge.Param{Name: "bad name", Value: "x"}),
		"inject":  withParams(challenge.Param{Name: "x", Value: "a\r\nSet-Cookie: evil=1"}),
	})
	k := basicV(map[string]func() (*verifiers.Identity, error){"dTpw": withParams(challenge.Param{Name: "hint", Value: "rotate"})})
	cases := []struct{ hdr, want string }{
		{"Bearer uri", `Bearer realm="api", error="invalid_token", error_description="The access token expired.", error_uri="https://docs.example/errors#expired"`},
		{"Bearer own", `Bearer realm="api", error="invalid_token", error_description="Custom."`},
		{"Bearer badname", `Bearer realm="api", error="invalid_token", error_description="The access token expired."`},
		{"Bearer inject", `Bearer realm="api", error="invalid_token", error_description="The access token expired."`},
		{"Basic dTpw", `Basic realm="admin", charset="UTF-8", hint="rotate"`},
	}
	for _, tc := range cases {
		g, _ := testGate()
		w := serve(g.Require(b, k)(okHandler), get("/", "Authorization", tc.hdr))
		got := w.Header().Values("WWW-Authenticate")
		if w.Code != 401 || len(got) != 2 || (got[0] != tc.want && got[1] != tc.want) {
			t.Errorf("%s: %d %q, want one line %q", tc.hdr, w.Code, got, tc.want)
		}
	}
}
