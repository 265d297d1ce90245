package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

const (
	chBearer = `Bearer realm="api"`
	chBasic  = `Basic realm="admin", charset="UTF-8"`
	chAPIKey = `APIKey realm="api", header="X-API-Key"`
)

func mixedRoute(g *middleware.Gate) http.Handler {
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"good":    ident(verifiers.SchemeBearer, "alice", "orders:read"),
		"expired": reject(verifiers.TokenExpired, "token expired 2m ago"),
		"twice":   reject(verifiers.RequestMalformed, "token sent in the header and the query"),
		"down": func() (*verifiers.Identity, error) {
			return nil, &verifiers.UnavailableError{Detail: "JWKS unreachable, nothing cached", RetryAfter: 30 * time.Second}
		},
	})
	k := apikeyV(map[string]func() (*verifiers.Identity, error){
		"k-good":    ident(verifiers.SchemeAPIKey, "svc-1", "reports:read"),
		"k-revoked": reject(verifiers.APIKeyRevoked, "revoked at 2026-11-01"),
	})
	return g.Require(b, k)(okHandler)
}

// TestDecisionTable covers every row of the status decision table with the
// exact status, challenges and logged reason.
func TestDecisionTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		req        func() *http.Request
		status     int
		challenges []string
		reason     string
		level      string
		retryAfter string
	}{
		{"A1_C1_no_credentials_every_challenge_no_error", func() *http.Request { return get("/r") },
			401, []string{chBearer, chAPIKey}, "credentials_missing", "info", ""},
		{"A1_scheme_not_accepted_every_challenge", func() *http.Request { return get("/r", "Authorization", "Digest username=x") },
			401, []string{chBearer, chAPIKey}, "scheme_not_accepted", "warn", ""},
		{"C2_rejected_bearer_gets_invalid_token", func() *http.Request { return get("/r", "Authorization", "Bearer expired") },
			401, []string{`Bearer realm="api", error="invalid_token", error_description="The access token expired."`, chAPIKey}, "token_expired", "warn", ""},
		{"F4_rejected_apikey_leaves_bearer_without_error", func() *http.Request { return get("/r", "X-API-Key", "k-revoked") },
			401, []string{chBearer, chAPIKey}, "apikey_revoked", "warn", ""},
		{"C3_two_authorization_fields_400", func() *http.Request {
			return get("/r", "Authorization", "Bearer good", "Authorization", "Bearer good")
		}, 400, []string{`Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`}, "request_malformed", "warn", ""},
		{"C3_empty_authorization_400", func() *http.Request { return get("/r", "Authorization", " ") },
			400, []string{`Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`}, "request_malformed", "warn", ""},
		{"C3_empty_bearer_credentials_400", func() *http.Request { return get("/r", "Authorization", "Bearer") },
			400, []string{`Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`}, "request_malformed", "warn", ""},
		{"C3_token_sent_two_ways_400", func() *http.Request { return get("/r", "Authorization", "Bearer twice") },
			400, []string{`Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`}, "request_malformed", "warn", ""},
		{"H1_oversized_authorization_431", func() *http.Request {
			return get("/r", "Authorization", "Bearer "+strings.Repeat("a", 100<<10))
		}, 431, nil, "credentials_too_large", "warn", ""},
		{"E12_verifier_unavailable_503", func() *http.Request { return get("/r", "Authorization", "Bearer down") },
			503, nil, "verifier_unavailable", "error", "30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate()
			w := serve(mixedRoute(g), tc.req())
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			wantChallenges(t, w, tc.challenges...)
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("A11_H2 Cache-Control = %q, want no-store", got)
			}
			if got := w.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
			ev := one(t, lb)
			if ev["reason"] != tc.reason || ev["level"] != tc.level || ev["status"] != float64(tc.status) {
				t.Errorf("log reason/level/status = %v/%v/%v, want %s/%s/%d", ev["reason"], ev["level"], ev["status"], tc.reason, tc.level, tc.status)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("G1 body is not JSON: %v", err)
			}
			if w.Header().Get("Content-Type") != "application/problem+json" || body["status"] != float64(tc.status) ||
				body["title"] != http.StatusText(tc.status) || body["type"] != "about:blank" {
				t.Errorf("G1_G2 problem body = %v (content type %q)", body, w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestScopesAndPolicy(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"reader": ident(verifiers.SchemeBearer, "alice", "orders:read"),
		"writer": ident(verifiers.SchemeBearer, "bob", "orders:read", "orders:write"),
	})
	k := apikeyV(map[string]func() (*verifiers.Identity, error){
		"k-reader": ident(verifiers.SchemeAPIKey, "svc", "orders:read"),
	})
	cases := []struct {
		name       string
		step       func(g *middleware.Gate) func(http.Handler) http.Handler
		req        *http.Request
		status     int
		challenges []string
		reason     string
	}{
		{"C4_bearer_missing_scope_insufficient_scope", func(g *middleware.Gate) func(http.Handler) http.Handler { return g.RequireScopes("orders:write") },
			get("/", "Authorization", "Bearer reader"), 403,
			[]string{`Bearer realm="api", error="insufficient_scope", scope="orders:write"`}, "scope_insufficient"},
		{"C4_all_of_lists_every_scope", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequireScopes("orders:read", "orders:admin")
		}, get("/", "Authorization", "Bearer reader"), 403,
			[]string{`Bearer realm="api", error="insufficient_scope", scope="orders:read orders:admin"`}, "scope_insufficient"},
		{"A9_apikey_missing_scope_no_challenge", func(g *middleware.Gate) func(http.Handler) http.Handler { return g.RequireScopes("orders:write") },
			get("/", "X-API-Key", "k-reader"), 403, nil, "scope_insufficient"},
		{"scope_present_passes", func(g *middleware.Gate) func(http.Handler) http.Handler { return g.RequireScopes("orders:write") },
			get("/", "Authorization", "Bearer writer"), 200, nil, ""},
		{"any_of_one_present_passes", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequireAnyScope("orders:admin", "orders:read")
		}, get("/", "Authorization", "Bearer reader"), 200, nil, ""},
		{"any_of_none_present_403", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequireAnyScope("orders:admin", "orders:write")
		}, get("/", "Authorization", "Bearer reader"), 403,
			[]string{`Bearer realm="api", error="insufficient_scope", scope="orders:admin orders:write"`}, "scope_insufficient"},
		{"A9_policy_denies_403_no_challenge", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequirePolicy("owner-only", func(r *http.Request, id *verifiers.Identity) error {
				return errors.New("not the owner")
			})
		}, get("/", "Authorization", "Bearer writer"), 403, nil, "forbidden"},
		{"policy_allows", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequirePolicy("any", func(r *http.Request, id *verifiers.Identity) error { return nil })
		}, get("/", "Authorization", "Bearer writer"), 200, nil, ""},
		{"policy_unavailable_503", func(g *middleware.Gate) func(http.Handler) http.Handler {
			return g.RequirePolicy("remote", func(r *http.Request, id *verifiers.Identity) error {
				return verifiers.Unavailable("policy service down", nil)
			})
		}, get("/", "Authorization", "Bearer writer"), 503, nil, "verifier_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate()
			h := g.Require(b, k)(tc.step(g)(okHandler))
			w := serve(h, tc.req)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			wantChallenges(t, w, tc.challenges...)
			if tc.reason == "" {
				return
			}
			ev := one(t, lb)
			if ev["reason"] != tc.reason {
				t.Errorf("reason = %v, want %s", ev["reason"], tc.reason)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("A11 Cache-Control = %q", w.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestScopeDetailNamesMissing(t *testing.T) {
	t.Parallel()
	g, lb := testGate()
	b := bearerV(map[string]func() (*verifiers.Identity, error){"r": ident(verifiers.SchemeBearer, "alice", "a")})
	serve(g.Require(b)(g.RequireScopes("a", "b")(okHandler)), get("/", "Authorization", "Bearer r"))
	want := `'alice' has scopes [a]; this route needs all of [a b]; missing [b]`
	if d := one(t, lb)["detail"]; d != want {
		t.Errorf("detail = %q, want %q", d, want)
	}
}

func TestSuccess(t *testing.T) {
	t.Parallel()
	g, lb := testGate()
	h := mixedRoute(g)

	t.Run("A6_scheme_case_insensitive", func(t *testing.T) {
		for _, s := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
			w := serve(h, get("/", "Authorization", s+" good"))
			if w.Code != 200 || w.Body.String() != "Bearer:alice" {
				t.Errorf("%s: %d %q", s, w.Code, w.Body)
			}
			if w.Header().Get("Cache-Control") != "" || w.Header().Get("Vary") != "" {
				t.Errorf("Authorization-authenticated response got Cache-Control %q Vary %q", w.Header().Get("Cache-Control"), w.Header().Get("Vary"))
			}
		}
	})
	t.Run("A10_header_source_private_and_vary", func(t *testing.T) {
		w := serve(h, get("/", "X-API-Key", "k-good"))
		if w.Code != 200 || w.Body.String() != "APIKey:svc-1" {
			t.Fatalf("%d %q", w.Code, w.Body)
		}
		if w.Header().Get("Cache-Control") != "private" || w.Header().Get("Vary") != "X-API-Key" {
			t.Errorf("Cache-Control %q Vary %q", w.Header().Get("Cache-Control"), w.Header().Get("Vary"))
		}
	})
	t.Run("success_logs_one_debug_event", func(t *testing.T) {
		g, lb := testGate()
		serve(mixedRoute(g), get("/", "Authorization", "Bearer good"))
		evs := lb.events(t)
		if len(evs) != 1 {
			t.Fatalf("want one event, got %v", evs)
		}
		ev := evs[0]
		if ev["level"] != "debug" || ev["scheme"] != "Bearer" || ev["subject"] != "alice" {
			t.Errorf("event = %v", ev)
		}
	})
	t.Run("success_event_cleans_the_method", func(t *testing.T) {
		// As the refused event does: a control character in a method
		// (from a server that does not check it) is replaced.
		g, lb := testGate()
		r := get("/", "Authorization", "Bearer good")
		r.Method = "GE\x00T"
		serve(mixedRoute(g), r)
		if evs := lb.events(t); len(evs) != 1 || evs[0]["method"] != "GE\uFFFDT" {
			t.Errorf("events = %v", evs)
		}
	})
	_ = lb
}

func TestOptional(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"good": ident(verifiers.SchemeBearer, "alice"),
		"bad":  reject(verifiers.TokenSignatureInvalid, "signature does not verify"),
	})
	t.Run("anonymous_passes", func(t *testing.T) {
		g, lb := testGate()
		w := serve(g.Optional(b)(okHandler), get("/"))
		if w.Code != 200 || w.Body.String() != "anonymous" {
			t.Fatalf("%d %q", w.Code, w.Body)
		}
		if evs := lb.events(t); len(evs) != 0 {
			t.Errorf("anonymous request logged %v", evs)
		}
	})
	t.Run("valid_credentials_identify", func(t *testing.T) {
		g, _ := testGate()
		w := serve(g.Optional(b)(okHandler), get("/", "Authorization", "Bearer good"))
		if w.Code != 200 || w.Body.String() != "Bearer:alice" {
			t.Fatalf("%d %q", w.Code, w.Body)
		}
	})
	t.Run("bad_credentials_rejected", func(t *testing.T) {
		g, lb := testGate()
		w := serve(g.Optional(b)(okHandler), get("/", "Authorization", "Bearer bad"))
		if w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
		wantChallenges(t, w, `Bearer realm="api", error="invalid_token", error_description="The access token signature is invalid."`)
		if one(t, lb)["reason"] != "token_signature_invalid" {
			t.Error("wrong reason")
		}
	})
	t.Run("unaccepted_scheme_rejected", func(t *testing.T) {
		g, _ := testGate()
		w := serve(g.Optional(b)(okHandler), get("/", "Authorization", "Basic dTpw"))
		if w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
	})
	t.Run("anonymous_then_scope_is_401", func(t *testing.T) {
		g, lb := testGate()
		w := serve(g.Optional(b)(g.RequireScopes("x")(okHandler)), get("/"))
		if w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
		// The scope step names its scope in the 401 (scopechallenge.go).
		wantChallenges(t, w, `Bearer realm="api", scope="x"`)
		if one(t, lb)["reason"] != "credentials_missing" {
			t.Error("wrong reason")
		}
	})
}

func TestScopeWithoutGateIs503(t *testing.T) {
	t.Parallel()
	g, lb := testGate()
	w := serve(g.RequireScopes("x")(okHandler), get("/"))
	if w.Code != 503 || one(t, lb)["level"] != "error" {
		t.Fatalf("status %d", w.Code)
	}
}

func TestProblemBody(t *testing.T) {
	t.Parallel()
	b := bearerV(nil)
	g, _ := testGate()
	r := get("/", "X-Request-Id", "req-42")
	w := serve(g.Require(b)(okHandler), r)
	want := `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing","request_id":"req-42"}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body = %s\nwant   %s", w.Body, want)
	}

	head := get("/")
	head.Method = http.MethodHead
	w = serve(g.Require(b)(okHandler), head)
	if w.Code != 401 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d body bytes", w.Code, w.Body.Len())
	}
	wantChallenges(t, w, chBearer)
}

func TestPublicReasonHidesUnknownUser(t *testing.T) {
	t.Parallel()
	v := basicV(map[string]func() (*verifiers.Identity, error){
		"dW5rbm93bjpw": reject(verifiers.UserUnknown, "no user"),
		"YWxpY2U6eA==": reject(verifiers.PasswordMismatch, "wrong password"),
	})
	g, lb := testGate()
	h := g.Require(v)(okHandler)
	a := serve(h, get("/", "Authorization", "Basic dW5rbm93bjpw"))
	b := serve(h, get("/", "Authorization", "Basic YWxpY2U6eA=="))
	if a.Code != 401 || a.Body.String() != b.Body.String() || a.Header().Get("WWW-Authenticate") != b.Header().Get("WWW-Authenticate") {
		t.Errorf("B7 client sees a difference:\n%s\n%s", a.Body, b.Body)
	}
	evs := lb.events(t)
	if len(evs) != 2 || evs[0]["reason"] != "user_unknown" || evs[1]["reason"] != "password_mismatch" {
		t.Errorf("log does not tell them apart: %v", evs)
	}
}

func TestDevelopmentModeShowsHint(t *testing.T) {
	t.Parallel()
	b := bearerV(nil)
	g, _ := testGate(middleware.WithDevelopmentMode())
	w := serve(g.Require(b)(okHandler), get("/", "Authorization", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	if h, _ := body["hint"].(string); !strings.Contains(h, "bare JWT") {
		t.Errorf("hint in body = %q", h)
	}
	g2, _ := testGate()
	w = serve(g2.Require(b)(okHandler), get("/", "Authorization", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
	if strings.Contains(w.Body.String(), "hint") {
		t.Errorf("hint leaked without development mode: %s", w.Body)
	}
}

func TestUnknownReasonAndBrokenVerifiers(t *testing.T) {
	t.Parallel()
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		"odd":   reject("made_up_reason", "custom"),
		"nil":   func() (*verifiers.Identity, error) { return nil, nil },
		"plain": func() (*verifiers.Identity, error) { return nil, errors.New("db timeout") },
	})
	cases := []struct {
		cred   string
		status int
		reason string
	}{
		{"odd", 401, "credentials_invalid"},
		{"nil", 503, "verifier_unavailable"},
		{"plain", 503, "verifier_unavailable"},
	}
	for _, tc := range cases {
		g, lb := testGate()
		w := serve(g.Require(v)(okHandler), get("/", "Authorization", "Bearer "+tc.cred))
		if w.Code != tc.status || one(t, lb)["reason"] != tc.reason {
			t.Errorf("%s: %d %s", tc.cred, w.Code, lb)
		}
	}
}

func TestConstructionPanics(t *testing.T) {
	t.Parallel()
	g := middleware.New()
	for name, f := range map[string]func(){
		"no verifiers":      func() { g.Require() },
		"nil verifier":      func() { g.Require(nil) },
		"invalid challenge": func() { g.Require(&fakeVerifier{}) },
		"no scopes":         func() { g.RequireScopes() },
		"bad scope":         func() { g.RequireScopes(`a"b`) },
		"nil policy":        func() { g.RequirePolicy("p", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestLogSampling(t *testing.T) {
	t.Parallel()
	lb := &logBuf{}
	g := middleware.New(middleware.WithLogger(zerologTo(lb)), middleware.WithLogSampling(3, time.Hour))
	h := g.Require(bearerV(nil))(okHandler)
	for i := 0; i < 50; i++ {
		serve(h, get("/"))
	}
	if n := len(lb.events(t)); n != 3 {
		t.Errorf("%d events for 50 identical rejections, want 3", n)
	}
	// Another client is not silenced by the first.
	r := get("/")
	r.RemoteAddr = "192.0.2.99:1234"
	serve(h, r)
	if n := len(lb.events(t)); n != 4 {
		t.Errorf("other client: %d events, want 4", n)
	}
}

func TestPanicsAreRecoveredWithoutLeaking(t *testing.T) {
	t.Parallel()
	c := "CANARYpanic0123456789"
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		c:      func() (*verifiers.Identity, error) { panic("bad token " + c) },
		"good": ident(verifiers.SchemeBearer, "alice"),
	})
	g, lb := testGate()
	w := serve(g.Require(v)(okHandler), get("/", "Authorization", "Bearer "+c))
	if w.Code != 503 || one(t, lb)["reason"] != "verifier_unavailable" {
		t.Fatalf("verifier panic: %d %s", w.Code, lb)
	}
	assertNoLeak(t, lb, w, leaks(c))

	g, lb = testGate()
	h := g.Require(v)(g.RequirePolicy("boom", func(*http.Request, *verifiers.Identity) error { panic(errors.New(c)) })(okHandler))
	w = serve(h, get("/", "Authorization", "Bearer good"))
	if w.Code != 503 || one(t, lb)["reason"] != "verifier_unavailable" {
		t.Fatalf("policy panic: %d %s", w.Code, lb)
	}
	assertNoLeak(t, lb, w, leaks(c))

	defer func() {
		if recover() != http.ErrAbortHandler {
			t.Error("http.ErrAbortHandler must propagate")
		}
	}()
	abort := bearerV(map[string]func() (*verifiers.Identity, error){"x": func() (*verifiers.Identity, error) { panic(http.ErrAbortHandler) }})
	serve(g.Require(abort)(okHandler), get("/", "Authorization", "Bearer x"))
}

// Review findings: preflight before scope steps, typed-nil errors, an
// inner Optional under an outer Require, resource_metadata on 403.
func TestReviewRegressions(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"ok":     ident(verifiers.SchemeBearer, "alice", "read"),
		"nilrej": func() (*verifiers.Identity, error) { var r *verifiers.Rejection; return nil, r },
		"nilun":  func() (*verifiers.Identity, error) { var u *verifiers.UnavailableError; return nil, u },
	})
	t.Run("preflight_answered_before_scope_steps", func(t *testing.T) {
		// It used to pass the gate and the scope step unauthenticated.
		g, lb := testGate()
		r := get("/", "Origin", "https://app.example", "Access-Control-Request-Method", "POST")
		r.Method = http.MethodOptions
		w := serve(g.Require(b)(g.RequireScopes("read")(okHandler)), r)
		if w.Code != 204 || w.Body.String() != "" || one(t, lb)["reason"] != "preflight_unanswered" {
			t.Errorf("%d %q %s", w.Code, w.Body, lb)
		}
	})
	for _, cred := range []string{"nilrej", "nilun"} {
		t.Run("typed_nil_"+cred, func(t *testing.T) {
			g, lb := testGate()
			w := serve(g.Require(b)(okHandler), get("/", "Authorization", "Bearer "+cred))
			if w.Code != 503 || one(t, lb)["reason"] != "verifier_unavailable" {
				t.Errorf("%d %s", w.Code, lb)
			}
		})
	}
	t.Run("inner_optional_keeps_outer_identity", func(t *testing.T) {
		k := apikeyV(map[string]func() (*verifiers.Identity, error){"k": ident(verifiers.SchemeAPIKey, "svc", "read")})
		g, _ := testGate()
		w := serve(g.Require(k)(g.Optional(b)(g.RequireScopes("read")(okHandler))), get("/", "X-API-Key", "k"))
		if w.Code != 200 || w.Body.String() != "APIKey:svc" {
			t.Errorf("%d %q", w.Code, w.Body)
		}
	})
	t.Run("D1_insufficient_scope_keeps_resource_metadata", func(t *testing.T) {
		ch, _ := challenge.Bearer(challenge.BearerParams{Realm: "api", ResourceMetadata: "https://api.example/.well-known/oauth-protected-resource"})
		v := &fakeVerifier{ch: ch, scheme: "Bearer", outcomes: b.outcomes}
		g, _ := testGate()
		w := serve(g.Require(v)(g.RequireScopes("write")(okHandler)), get("/", "Authorization", "Bearer ok"))
		wantChallenges(t, w, `Bearer realm="api", resource_metadata="https://api.example/.well-known/oauth-protected-resource", error="insufficient_scope", scope="write"`)
	})
	t.Run("options_validated", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("WithMaxAuthorizationBytes(0) must panic")
			}
		}()
		middleware.New(middleware.WithMaxAuthorizationBytes(0))
	})
}
