package middleware_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// recorder is an Observer that keeps every event.
type recorder struct {
	mu    sync.Mutex
	authn []middleware.AuthenticationEvent
	authz []middleware.AuthorizationEvent
	block []middleware.FailureLimitEvent
}

func (rc *recorder) observer() middleware.Observer {
	return middleware.Observer{
		Authentication: func(e middleware.AuthenticationEvent) {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			e.Context = nil
			rc.authn = append(rc.authn, e)
		},
		Authorization: func(e middleware.AuthorizationEvent) {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			e.Context = nil
			rc.authz = append(rc.authz, e)
		},
		FailureLimit: func(e middleware.FailureLimitEvent) {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			e.Context = nil
			rc.block = append(rc.block, e)
		},
	}
}

func (rc *recorder) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.authn, rc.authz, rc.block = nil, nil, nil
}

// stepClock advances by step at every read, so that an event's duration
// is exactly step times the reads between its start and its end.
func stepClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

// TestObserverAuthentication: one AuthenticationEvent per request on a
// Require or Optional route, with the scheme, result, reason, status and
// route pattern (never the raw path), and the gate's time.
func TestObserverAuthentication(t *testing.T) {
	t.Parallel()
	outcomes := map[string]func() (*verifiers.Identity, error){
		"good":    ident(verifiers.SchemeBearer, "alice"),
		"expired": reject(verifiers.TokenExpired, "expired"),
		"down": func() (*verifiers.Identity, error) {
			return nil, verifiers.Unavailable("JWKS unreachable", nil)
		},
	}
	rc := &recorder{}
	g, _ := testGate(middleware.WithObserver(rc.observer()), middleware.WithClock(stepClock(time.Millisecond)))
	r := chi.NewRouter()
	r.With(g.Require(bearerV(outcomes))).Handle("/v1/reports/{id}", okHandler)
	r.With(g.Optional(bearerV(outcomes))).Get("/v1/public/{id}", okHandler)
	preflight := get("/v1/reports/42", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	preflight.Method = http.MethodOptions

	cases := []struct {
		name string
		req  *http.Request
		want middleware.AuthenticationEvent
	}{
		{"success", get("/v1/reports/42", "Authorization", "Bearer good"),
			middleware.AuthenticationEvent{Scheme: "Bearer", Result: middleware.ResultSuccess}},
		{"missing", get("/v1/reports/42"),
			middleware.AuthenticationEvent{Result: middleware.ResultNone, Reason: verifiers.CredentialsMissing, Status: 401}},
		{"rejected", get("/v1/reports/42", "Authorization", "Bearer expired"),
			middleware.AuthenticationEvent{Scheme: "Bearer", Result: middleware.ResultFailure, Reason: verifiers.TokenExpired, Status: 401}},
		{"unavailable", get("/v1/reports/42", "Authorization", "Bearer down"),
			middleware.AuthenticationEvent{Scheme: "Bearer", Result: middleware.ResultFailure, Reason: verifiers.VerifierUnavailable, Status: 503}},
		{"scheme_not_accepted", get("/v1/reports/42", "Authorization", "Basic YTpi"),
			middleware.AuthenticationEvent{Scheme: "Basic", Result: middleware.ResultFailure, Reason: verifiers.SchemeNotAccepted, Status: 401}},
		{"scheme_unknown", get("/v1/reports/42", "Authorization", "Xyzzy abc"),
			middleware.AuthenticationEvent{Result: middleware.ResultFailure, Reason: verifiers.SchemeNotAccepted, Status: 401}},
		{"two_fields", get("/v1/reports/42", "Authorization", "Bearer good", "Authorization", "Bearer good"),
			middleware.AuthenticationEvent{Result: middleware.ResultFailure, Reason: verifiers.RequestMalformed, Status: 400}},
		{"too_large", get("/v1/reports/42", "Authorization", "Bearer "+strings.Repeat("a", 11<<10)),
			middleware.AuthenticationEvent{Result: middleware.ResultFailure, Reason: verifiers.CredentialsTooLarge, Status: 431}},
		{"preflight", preflight,
			middleware.AuthenticationEvent{Result: middleware.ResultNone, Reason: verifiers.PreflightUnanswered, Status: 204}},
		{"optional_anonymous", get("/v1/public/7"),
			middleware.AuthenticationEvent{Result: middleware.ResultNone}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc.reset()
			serve(r, tc.req)
			if len(rc.authn) != 1 || len(rc.authz) != 0 || len(rc.block) != 0 {
				t.Fatalf("events: %d authentication, %d authorization, %d block; want 1, 0, 0", len(rc.authn), len(rc.authz), len(rc.block))
			}
			got := rc.authn[0]
			want := tc.want
			want.Route = "/v1/reports/{id}"
			if tc.name == "optional_anonymous" {
				want.Route = "/v1/public/{id}"
			}
			// Two clock reads: the start, and the end. Nothing else
			// reads the clock on a gate without sampling or limiting.
			want.Duration = time.Millisecond
			if got != want {
				t.Errorf("event\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestObserverAuthorization: one AuthorizationEvent per request reaching a
// scope or policy step, success or failure, with the configured name.
func TestObserverAuthorization(t *testing.T) {
	t.Parallel()
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		"reader": ident(verifiers.SchemeBearer, "alice", "read"),
	})
	rc := &recorder{}
	g, _ := testGate(middleware.WithObserver(rc.observer()))
	allow := func(*http.Request, *verifiers.Identity) error { return nil }
	deny := func(*http.Request, *verifiers.Identity) error { return errors.New("no") }
	down := func(*http.Request, *verifiers.Identity) error { return verifiers.Unavailable("policy store down", nil) }
	r := chi.NewRouter()
	r.With(g.Require(v), g.RequireScopes("read")).Get("/read", okHandler)
	r.With(g.Require(v), g.RequireScopes("read", "write")).Get("/write", okHandler)
	r.With(g.Require(v), g.RequireAnyScope("admin", "read")).Get("/any", okHandler)
	r.With(g.Require(v), g.RequirePolicy("allow", allow)).Get("/allow", okHandler)
	r.With(g.Require(v), g.RequirePolicy("deny", deny)).Get("/deny", okHandler)
	r.With(g.Require(v), g.RequirePolicy("down", down)).Get("/down", okHandler)
	r.With(g.Optional(v), g.RequireScopes("read")).Get("/anon", okHandler)
	r.With(g.RequirePolicy("nogate", allow)).Get("/nogate", okHandler)

	cases := []struct {
		path string
		anon bool
		want middleware.AuthorizationEvent
	}{
		{"/read", false, middleware.AuthorizationEvent{Kind: "scopes", Name: "read", Scheme: "Bearer", Result: middleware.ResultSuccess}},
		{"/write", false, middleware.AuthorizationEvent{Kind: "scopes", Name: "read write", Scheme: "Bearer", Result: middleware.ResultFailure, Reason: verifiers.ScopeInsufficient, Status: 403}},
		{"/any", false, middleware.AuthorizationEvent{Kind: "any_scope", Name: "admin read", Scheme: "Bearer", Result: middleware.ResultSuccess}},
		{"/allow", false, middleware.AuthorizationEvent{Kind: "policy", Name: "allow", Scheme: "Bearer", Result: middleware.ResultSuccess}},
		{"/deny", false, middleware.AuthorizationEvent{Kind: "policy", Name: "deny", Scheme: "Bearer", Result: middleware.ResultFailure, Reason: verifiers.Forbidden, Status: 403}},
		{"/down", false, middleware.AuthorizationEvent{Kind: "policy", Name: "down", Scheme: "Bearer", Result: middleware.ResultFailure, Reason: verifiers.VerifierUnavailable, Status: 503}},
		{"/anon", true, middleware.AuthorizationEvent{Kind: "scopes", Name: "read", Result: middleware.ResultFailure, Reason: verifiers.CredentialsMissing, Status: 401}},
		{"/nogate", true, middleware.AuthorizationEvent{Kind: "policy", Name: "nogate", Result: middleware.ResultFailure, Reason: verifiers.VerifierUnavailable, Status: 503}},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			rc.reset()
			req := get(tc.path, "Authorization", "Bearer reader")
			if tc.anon {
				req = get(tc.path)
			}
			w := serve(r, req)
			if len(rc.authz) != 1 {
				t.Fatalf("%d authorization events, want 1", len(rc.authz))
			}
			want := tc.want
			want.Route = tc.path
			if got := rc.authz[0]; got != want {
				t.Errorf("event\n got %+v\nwant %+v", got, want)
			}
			if want.Status != 0 && w.Code != want.Status {
				t.Errorf("status %d, want %d", w.Code, want.Status)
			}
		})
	}
}

// TestObserverFailureLimit: a client over its limit gets one
// FailureLimitEvent naming the limit, then the AuthenticationEvent of the
// 429.
func TestObserverFailureLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fl     middleware.FailureLimit
		scheme string
	}{
		{"ip", middleware.FailureLimit{PerIP: 2, Window: time.Minute}, ""},
		{"principal", middleware.FailureLimit{PerPrincipal: 2, Window: time.Minute}, "Basic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := &recorder{}
			g, _ := testGate(middleware.WithObserver(rc.observer()), middleware.WithFailureLimit(tc.fl))
			h := g.Require(basicUsers(t))(okHandler)
			bad := basicAuth("alice", "wrong")
			for range 2 {
				if w := serve(h, get("/login", "Authorization", bad)); w.Code != 401 {
					t.Fatalf("status %d, want 401", w.Code)
				}
			}
			if len(rc.block) != 0 {
				t.Fatalf("block before the limit: %+v", rc.block)
			}
			rc.reset()
			if w := serve(h, get("/login", "Authorization", bad)); w.Code != 429 {
				t.Fatalf("status %d, want 429", w.Code)
			}
			want := middleware.FailureLimitEvent{Limit: tc.name, Scheme: tc.scheme}
			if len(rc.block) != 1 || rc.block[0] != want {
				t.Errorf("block events %+v, want [%+v]", rc.block, want)
			}
			if len(rc.authn) != 1 || rc.authn[0].Reason != verifiers.TooManyFailures || rc.authn[0].Status != 429 ||
				rc.authn[0].Result != middleware.ResultFailure || rc.authn[0].Scheme != tc.scheme {
				t.Errorf("authentication events %+v, want one too_many_failures 429", rc.authn)
			}
		})
	}
}

// TestObserverUnsetReadsNoClock: without an observer the gate reads no
// clock on a request that neither sampling nor limiting needs it for,
// which is what makes an unset observer free.
func TestObserverUnsetReadsNoClock(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	reads := 0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		reads++
		return time.Now()
	}
	v := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	g, _ := testGate(middleware.WithClock(clock))
	h := g.Require(v)(okHandler)
	serve(h, get("/", "Authorization", "Bearer good"))
	serve(h, get("/"))
	mu.Lock()
	defer mu.Unlock()
	if reads != 0 {
		t.Errorf("%d clock reads without an observer, want 0", reads)
	}
}
