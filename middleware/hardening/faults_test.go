package hardening

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// unavailable is the expectation for a 503: no challenge, Retry-After.
var unavailable = expect{status: 503, reason: verifiers.VerifierUnavailable}

// storeFunc is an apikey.Store made of a function.
type storeFunc func(ctx context.Context, id string) (*apikey.Record, error)

func (f storeFunc) Lookup(ctx context.Context, id string) (*apikey.Record, error) { return f(ctx, id) }

// TestFaultAPIKeyStore covers E12's rule for API keys: a store that
// fails answers 503 verifier_unavailable with Retry-After, never 401; the
// log names the cause at error level, but not the key.
func TestFaultAPIKeyStore(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	errDown := errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")
	stores := map[string]struct {
		store apikey.Store
		cause string // in the logged error
	}{
		"error": {storeFunc(func(context.Context, string) (*apikey.Record, error) { return nil, errDown }), "connection refused"},
		"wrapped_error": {storeFunc(func(_ context.Context, id string) (*apikey.Record, error) {
			return nil, fmt.Errorf("keystore: lookup %s: %w", id, errDown)
		}), "connection refused"},
		"nil_record_nil_error": {storeFunc(func(context.Context, string) (*apikey.Record, error) { return nil, nil }), ""},
		"context_deadline": {storeFunc(func(ctx context.Context, _ string) (*apikey.Record, error) {
			<-ctx.Done() // a database that hangs until the request gives up
			return nil, ctx.Err()
		}), "deadline exceeded"},
	}
	for name, s := range stores {
		for _, path := range []string{"/apikey", "/all", "/optional"} {
			t.Run(name+strings.ReplaceAll(path, "/", "@"), func(t *testing.T) {
				t.Parallel()
				v, err := apikey.New(s.store, apikey.WithEnvironment("live"), apikey.WithHeader(apikey.DefaultHeader), apikey.WithAuthorization("APIKey"))
				if err != nil {
					t.Fatal(err)
				}
				fvs := *vs
				fvs.apikey = v
				f := newFixture(t, &fvs)
				r := request(path, "X-API-Key", vs.keyGood)
				ctx, cancel := context.WithTimeout(r.Context(), 200*time.Millisecond)
				defer cancel()
				start := time.Now()
				res := f.serve(t, r.WithContext(ctx))
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %v", d)
				}
				unavailable.check(t, res)
				if len(res.events) == 1 {
					ev := res.events[0]
					if ev["level"] != "error" {
						t.Errorf("I3: level %v, want error", ev["level"])
					}
					if e, _ := ev["error"].(string); !strings.Contains(e, s.cause) {
						t.Errorf("logged error %q does not name the cause %q", e, s.cause)
					}
					if d, _ := ev["detail"].(string); !strings.Contains(d, vs.keyGoodID) {
						t.Errorf("detail %q does not name the key id", d)
					}
				}
				f.assertClean(t, res)
			})
		}
	}
}

// panicVerifier panics in Verify with a value built from the request's
// credentials, as a buggy verifier might.
type panicVerifier struct {
	value func(r *http.Request) any
}

func (panicVerifier) Challenge() challenge.Challenge {
	return challenge.Challenge{Scheme: "Custom", Params: []challenge.Param{{Name: "realm", Value: "custom"}}}
}

func (p panicVerifier) Verify(r *http.Request) (*verifiers.Identity, error) { panic(p.value(r)) }

type secretHolder struct{ Token, Key string }

// TestFaultPanics covers the gate's documented handling of panics (doc.go,
// recover.go): a panic in a verifier or a policy is 503
// verifier_unavailable, logged at error with the panic value's type only,
// whatever the value holds; http.ErrAbortHandler is re-panicked. Nothing
// reaches net/http's error log either.
func TestFaultPanics(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	values := map[string]func(r *http.Request) any{
		"string_with_authorization": func(r *http.Request) any { return "cannot parse " + r.Header.Get("Authorization") },
		"error_with_api_key":        func(r *http.Request) any { return fmt.Errorf("bad key %q", r.Header.Get("X-Api-Key")) },
		"struct_with_both": func(r *http.Request) any {
			return secretHolder{Token: r.Header.Get("Authorization"), Key: r.Header.Get("X-Api-Key")}
		},
	}
	hdr := []string{"Authorization", "Bearer " + vs.tokAll, "X-API-Key", vs.keyGood}
	for name, value := range values {
		t.Run("verifier_"+name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vs)
			router := f.newRouter(func(r chi.Router) {
				r.With(f.gate.Require(panicVerifier{value}, vs.bearer)).HandleFunc("/panic", hello)
			})
			f.router = router
			res := f.serve(t, request("/panic", hdr...))
			unavailable.check(t, res)
			if len(res.events) == 1 {
				d, _ := res.events[0]["detail"].(string)
				if !strings.Contains(d, "panicked") || !strings.Contains(d, "not logged") {
					t.Errorf("detail %q does not say the verifier panicked", d)
				}
			}
			f.assertClean(t, res)
		})
		t.Run("policy_"+name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vs)
			f.router = f.newRouter(func(r chi.Router) {
				r.With(f.gate.Require(vs.bearer, vs.apikey), f.gate.RequirePolicy("boom", func(r *http.Request, _ *verifiers.Identity) error {
					panic(value(r))
				})).HandleFunc("/panic", hello)
			})
			for _, h := range [][]string{{"Authorization", "Bearer " + vs.tokAll}, {"X-API-Key", vs.keyGood}} {
				res := f.serve(t, request("/panic", h...))
				unavailable.check(t, res)
				f.assertClean(t, res)
			}
		})
	}

	t.Run("ErrAbortHandler_is_repanicked", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		f.router = f.newRouter(func(r chi.Router) {
			r.With(f.gate.Require(panicVerifier{func(*http.Request) any { return http.ErrAbortHandler }})).HandleFunc("/abort", hello)
		})
		var got any
		func() {
			defer func() { got = recover() }()
			f.serve(t, request("/abort", hdr...))
		}()
		if got != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", got)
		}
		if strings.TrimSpace(f.log.String()) != "" {
			t.Errorf("an aborted request was logged: %s", f.log.String())
		}
	})

	t.Run("over_http_nothing_in_server_error_log", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		f.router = f.newRouter(func(r chi.Router) {
			r.With(f.gate.Require(panicVerifier{values["struct_with_both"]})).HandleFunc("/panic", hello)
			r.With(f.gate.Require(vs.bearer), f.gate.RequirePolicy("boom", func(r *http.Request, _ *verifiers.Identity) error {
				panic(values["string_with_authorization"](r))
			})).HandleFunc("/panic-policy", hello)
			r.With(f.gate.Require(panicVerifier{func(*http.Request) any { return http.ErrAbortHandler }})).HandleFunc("/abort", hello)
		})
		var errLog authgatetest.Log
		srv := httptest.NewUnstartedServer(f.router)
		srv.Config.ErrorLog = log.New(&errLog, "", 0)
		srv.Start()
		defer srv.Close()
		for _, path := range []string{"/panic", "/panic-policy", "/abort"} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+vs.tokAll)
			req.Header.Set("X-API-Key", vs.keyGood)
			resp, err := srv.Client().Do(req)
			if path == "/abort" {
				if err == nil {
					resp.Body.Close()
					t.Errorf("/abort: got a response (%d), want the connection aborted", resp.StatusCode)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 {
				t.Errorf("%s: status %d, want 503", path, resp.StatusCode)
			}
		}
		assertNoSecret(t, map[string]string{"server error log": errLog.String(), "gate log": f.log.String()}, vs.secrets()...)
	})
}

// TestFaultPolicyErrorScrubbed checks the gate's defence in depth for a
// policy (or verifier) whose error text holds the credential: the
// credential in Authorization is replaced by [redacted] in the log.
func TestFaultPolicyErrorScrubbed(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	f := newFixture(t, vs)
	f.router = f.newRouter(func(r chi.Router) {
		r.With(f.gate.Require(vs.bearer, vs.basic), f.gate.RequirePolicy("echo", func(r *http.Request, _ *verifiers.Identity) error {
			return fmt.Errorf("refusing %s", r.Header.Get("Authorization"))
		})).HandleFunc("/echo", hello)
	})
	for _, h := range []string{"Bearer " + vs.tokAll, basicAuth(basicUser, basicPassword)} {
		res := f.serve(t, request("/echo", "Authorization", h))
		expect{status: 403, reason: verifiers.Forbidden}.check(t, res)
		f.assertClean(t, res)
		if !strings.Contains(res.logs, "[redacted]") {
			t.Errorf("the policy's error was not scrubbed: %s", res.logs)
		}
	}
}

// TestFaultPolicyErrorWithHeaderKey: a policy error that quotes an API
// key read from X-API-Key (which the policy contract forbids) is scrubbed
// too: the gate scrubs the header the identity came from, and a verifier
// rejection's text is scrubbed of the route's credential headers.
func TestFaultPolicyErrorWithHeaderKey(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	f := newFixture(t, vs)
	f.router = f.newRouter(func(r chi.Router) {
		r.With(f.gate.Require(vs.apikey), f.gate.RequirePolicy("echo", func(r *http.Request, _ *verifiers.Identity) error {
			return fmt.Errorf("refusing key %s", r.Header.Get("X-Api-Key"))
		})).HandleFunc("/echo", hello)
	})
	res := f.serve(t, request("/echo", "X-API-Key", vs.keyGood))
	expect{status: 403, reason: verifiers.Forbidden}.check(t, res)
	if l := leak(res.texts(), vs.keyGood); l != "" {
		t.Errorf("the policy's error quoting X-API-Key was logged: %s", l)
	}
	if !strings.Contains(res.logs, "refusing key [redacted]") {
		t.Errorf("the policy's error was not scrubbed: %s", res.logs)
	}
}

// TestFaultCredentialLifecycleUnderLoad changes credentials while clients
// use them: an API key revoked, then deleted, and a Basic password
// changed. Once the change has returned, no request may still be let
// through with the old credential (the verifiers' identity and
// verification caches must not outlive it), and requests in flight during
// the change get either the old or the new answer, never a 5xx.
func TestFaultCredentialLifecycleUnderLoad(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	f := newFixture(t, vs)
	id := vs.keyGoodID
	newHash := authgatetest.PasswordHash(t, "a-new-password-CANARY-2")
	type step struct {
		name   string
		req    func() *http.Request
		change func() error
		after  expect
	}
	steps := []step{
		{"apikey_revoked", func() *http.Request { return request("/apikey", "X-API-Key", vs.keyGood) },
			func() error { return vs.store.Revoke(id, time.Now().Add(-time.Second)) },
			expect{status: 401, challenges: []string{chAPIKey}, reason: verifiers.APIKeyRevoked}},
		{"apikey_deleted", func() *http.Request { return request("/apikey", "X-API-Key", vs.keyGood) },
			func() error { vs.store.Delete(id); return nil },
			expect{status: 401, challenges: []string{chAPIKey}, reason: verifiers.APIKeyUnknown}},
		{"basic_password_changed", func() *http.Request { return request("/basic", "Authorization", basicAuth(basicUser, basicPassword)) },
			func() error { return vs.users.Put(basicUser, newHash) },
			expect{status: 401, challenges: []string{chBasic}, reason: verifiers.PasswordMismatch}},
	}
	for _, s := range steps {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var bad atomic.Int64
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					w := httptest.NewRecorder()
					f.router.ServeHTTP(w, s.req())
					if w.Code != 200 && w.Code != 401 {
						bad.Add(1)
					}
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		if err := s.change(); err != nil {
			t.Fatal(err)
		}
		// Requests that start after the change returned.
		for range 50 {
			w := httptest.NewRecorder()
			f.router.ServeHTTP(w, s.req())
			if w.Code != s.after.status {
				t.Errorf("%s: a request after the change got %d, want %d", s.name, w.Code, s.after.status)
				break
			}
		}
		close(stop)
		wg.Wait()
		if bad.Load() > 0 {
			t.Errorf("%s: %d answers neither 200 nor 401 during the change", s.name, bad.Load())
		}
		f.log.Reset()
		res := f.serve(t, s.req())
		s.after.check(t, res)
		f.assertClean(t, res, "a-new-password-CANARY-2")
	}
}
