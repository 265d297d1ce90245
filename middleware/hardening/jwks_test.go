package hardening

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/internal/nettest"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// jwksServer is a JWKS endpoint on loopback whose behaviour the test
// switches at run time.
type jwksServer struct {
	*httptest.Server
	h    atomic.Pointer[http.HandlerFunc]
	hits atomic.Int64
}

func newJWKSServer(t *testing.T, h http.HandlerFunc) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.set(h)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		(*s.h.Load())(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(h http.HandlerFunc) { s.h.Store(&h) }

// serveSet answers with the JWK set body.
func serveSet(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	}
}

func serveStatus(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", code) }
}

// serveSlow answers only when the client gives up (or after a minute).
func serveSlow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// remoteSet returns a copy of a new verifier set whose Bearer
// verifier fetches its keys from url, with bearer's log in the set's
// bearerLog.
func remoteSet(t *testing.T, url string, opts ...bearer.Option) *verifierSet {
	t.Helper()
	base := newVerifierSet(t)
	vs := *base
	vs.bearerLog = &authgatetest.Log{}
	opts = append([]bearer.Option{bearer.WithRealm("api"), bearer.WithAccessTokenProfile(),
		bearer.WithLogger(vs.bearerLog.Logger())}, opts...)
	v, err := bearer.New(context.Background(), testAudience, []bearer.Issuer{{URL: testIssuer, Keys: bearer.JWKSURL(url)}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	vs.bearer = v
	return &vs
}

// check503 asserts a 503 and that the logged error names cause.
func check503(t *testing.T, f *fixture, res *result, cause string) {
	t.Helper()
	unavailable.check(t, res)
	if len(res.events) == 1 {
		if e, _ := res.events[0]["error"].(string); !strings.Contains(e, cause) {
			t.Errorf("logged error %q does not name %q", e, cause)
		}
		if res.events[0]["level"] != "error" {
			t.Errorf("E12/I3: level %v, want error", res.events[0]["level"])
		}
	}
	f.assertClean(t, res)
}

// TestFaultJWKS covers E12: a key set that cannot be had (server down,
// garbage, a set that fails the checks) answers 503 with Retry-After and
// never 401, and a key set that was had stays in use when a refresh
// fails.
func TestFaultJWKS(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t, "k1")
	kd := make([]byte, 32) // a private scalar: only its presence in a set is checked
	_, _ = rand.Read(kd)
	tok := token(t, iss, "orders:write")
	goodSet := iss.JWKS()

	t.Run("E12_server_down", func(t *testing.T) {
		t.Parallel()
		// A port bound by no listener and held for the test: a closed
		// server's port could be taken by a parallel test's server,
		// which would answer with its key set.
		url := "http://" + nettest.RefusedAddr(t) + "/jwks"
		vs := remoteSet(t, url)
		f := newFixture(t, vs)
		for _, path := range []string{"/bearer", "/all"} {
			start := time.Now()
			res := f.serve(t, request(path, "Authorization", "Bearer "+tok))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			check503(t, f, res, "connection refused")
		}
		assertNoSecret(t, map[string]string{"bearer log": vs.bearerLog.String()}, tok)
	})

	bad := map[string]struct {
		h     http.HandlerFunc
		cause string
	}{
		"E12_status_500":  {serveStatus(500), "status 500"},
		"E12_status_404":  {serveStatus(404), "status 404"},
		"garbage_html":    {serveSet([]byte("<html><body>Service Temporarily Unavailable</body></html>")), ""},
		"garbage_json":    {serveSet([]byte(`{"keys":"not an array"}`)), ""},
		"empty_set":       {serveSet([]byte(`{"keys":[]}`)), ""},
		"truncated_json":  {serveSet(goodSet[:len(goodSet)/2]), ""},
		"duplicate_kids":  {serveSet(dupKids(t, goodSet)), ""},
		"curve_alg_clash": {serveSet(withMember(t, goodSet, "alg", "ES384")), ""},
		"private_key":     {serveSet(withMember(t, goodSet, "d", b64url(kd))), ""},
		"over_size_cap":   {serveSet([]byte(`{"keys":[` + strings.Repeat(" ", 2<<20) + `]}`)), "over"},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newJWKSServer(t, b.h)
			vs := remoteSet(t, s.URL+"/jwks")
			f := newFixture(t, vs)
			res := f.serve(t, request("/bearer", "Authorization", "Bearer "+tok))
			check503(t, f, res, b.cause)
			if !strings.Contains(vs.bearerLog.String(), `"level":"error"`) {
				t.Errorf("the refused key set was not logged at error: %s", vs.bearerLog.String())
			}
			assertNoSecret(t, map[string]string{"bearer log": vs.bearerLog.String()}, tok, b64url(kd))
		})
	}

	t.Run("E12_failed_refresh_keeps_previous_set", func(t *testing.T) {
		t.Parallel()
		s := newJWKSServer(t, serveSet(goodSet))
		vs := remoteSet(t, s.URL+"/jwks", bearer.WithUnknownKeyRefresh(10*time.Millisecond))
		f := newFixture(t, vs)
		accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+tok)))
		other := token(t, iss, "", authgatetest.UnknownKey())
		for name, h := range map[string]http.HandlerFunc{"garbage": serveSet([]byte("garbage")), "down": serveStatus(502), "bad_set": serveSet(dupKids(t, goodSet))} {
			s.set(h)
			time.Sleep(20 * time.Millisecond)
			before := s.hits.Load()
			// An unknown kid makes the set be fetched again; the fetch
			// fails, so the key may well be in the set the issuer
			// publishes now: 503, never a 401 that tells the client to
			// drop a token that may be valid.
			res := f.serve(t, request("/bearer", "Authorization", "Bearer "+other))
			check503(t, f, res, map[string]string{"garbage": "not a JSON object", "down": "502", "bad_set": "appears on two keys"}[name])
			if s.hits.Load() == before {
				t.Errorf("%s: the unknown kid did not make the set be fetched again", name)
			}
			accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+tok)))
			// A token not cached yet is verified with the previous set.
			fresh := token(t, iss, "orders:write")
			accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+fresh)))
		}
		if !strings.Contains(vs.bearerLog.String(), "previous key set stays in use") {
			t.Errorf("the failed refreshes were not logged: %s", vs.bearerLog.String())
		}
	})
}

// dupKids is set, of one key with kid k1, and another key under the same
// kid.
func dupKids(t *testing.T, set []byte) []byte {
	t.Helper()
	a, b := set, newTestIssuer(t, "k1").JWKS()
	var sa, sb struct{ Keys []map[string]any }
	_ = json.Unmarshal(a, &sa)
	_ = json.Unmarshal(b, &sb)
	out, _ := json.Marshal(map[string]any{"keys": append(sa.Keys, sb.Keys...)})
	return out
}

// withMember sets a member of every key of set.
func withMember(t *testing.T, set []byte, name, value string) []byte {
	t.Helper()
	var s struct{ Keys []map[string]any }
	if err := json.Unmarshal(set, &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range s.Keys {
		k[name] = value
	}
	out, _ := json.Marshal(map[string]any{"keys": s.Keys})
	return out
}

// TestFaultJWKSSlow covers a JWKS server that hangs: a request whose
// context has a 1 s deadline must come back with 503 within 2 s, not wait
// for the fetch timeout (10 s by default); the verifier must follow the
// request's context. Close must not hang on the stuck fetch either.
func TestFaultJWKSSlow(t *testing.T) {
	t.Parallel()
	tok := token(t, newTestIssuer(t, "k1"), "orders:write")
	s := newJWKSServer(t, serveStatus(500)) // fails fast while New runs
	const fetchTimeout = 1500 * time.Millisecond
	vs := remoteSet(t, s.URL+"/jwks", bearer.WithUnknownKeyRefresh(10*time.Millisecond), bearer.WithFetchTimeout(fetchTimeout))
	f := newFixture(t, vs)
	s.set(serveSlow)
	time.Sleep(20 * time.Millisecond) // past the unknown-key interval: the next request fetches

	r := request("/bearer", "Authorization", "Bearer "+tok)
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	start := time.Now()
	res := f.serve(t, r.WithContext(ctx))
	took := time.Since(start)
	t.Logf("request with a 1 s deadline against a hanging JWKS server answered %d in %v", res.code, took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the request took %v: the verifier does not follow the request's context", took)
	}
	if took < 900*time.Millisecond {
		t.Logf("answered before the deadline (took %v): the fetch was not waited for", took)
	}
	unavailable.check(t, res)
	f.assertClean(t, res)

	// A request without a deadline of its own joins the fetch in
	// progress and waits for it: at most the fetch timeout when it is
	// shorter than bearer.MaxFetchWait (here 1.5 s), else MaxFetchWait
	// (2 s; the bearer package tests that with the default 10 s timeout),
	// then 503.
	start = time.Now()
	res = f.serve(t, request("/bearer", "Authorization", "Bearer "+tok))
	took = time.Since(start)
	t.Logf("a request without a deadline answered %d in %v (fetch timeout %v)", res.code, took.Round(time.Millisecond), fetchTimeout)
	if took > fetchTimeout+time.Second {
		t.Errorf("a request without a deadline took %v, over the fetch timeout %v", took, fetchTimeout)
	}
	unavailable.check(t, res)

	start = time.Now()
	_ = vs.bearer.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a fetch stuck on the server", d)
	}

	t.Run("unknown_kid_with_cached_set_waits_for_the_fetch", func(t *testing.T) {
		t.Parallel()
		iss := newTestIssuer(t, "k1")
		s := newJWKSServer(t, serveSet(iss.JWKS()))
		const fetchTimeout = 1500 * time.Millisecond
		vs := remoteSet(t, s.URL+"/jwks", bearer.WithUnknownKeyRefresh(10*time.Millisecond), bearer.WithFetchTimeout(fetchTimeout))
		f := newFixture(t, vs)
		good := token(t, iss, "orders:write")
		accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+good)))
		s.set(serveSlow)
		time.Sleep(20 * time.Millisecond)
		unknown := token(t, iss, "", authgatetest.UnknownKey())
		done := make(chan time.Duration, 1)
		code := make(chan int, 1)
		go func() {
			start := time.Now()
			rec := httptest.NewRecorder()
			f.router.ServeHTTP(rec, request("/bearer", "Authorization", "Bearer "+unknown))
			done <- time.Since(start)
			code <- rec.Code
		}()
		// Meanwhile a token with a known kid is not held up by the fetch.
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+token(t, iss, "orders:write"))))
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("a token with a known kid took %v while a fetch hangs", d)
		}
		took := <-done
		t.Logf("an unknown-kid request without a deadline waited %v for the hung fetch (fetch timeout %v)", took.Round(time.Millisecond), fetchTimeout)
		if took > fetchTimeout+time.Second {
			t.Errorf("the unknown-kid request took %v, over the fetch timeout", took)
		}
		if c := <-code; c != 503 {
			t.Errorf("the unknown-kid request got %d, want 503: the fetch that could have brought its key timed out", c)
		}
	})

	t.Run("New_follows_its_context", func(t *testing.T) {
		t.Parallel()
		s := newJWKSServer(t, serveSlow)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		v, err := bearer.New(ctx, testAudience, []bearer.Issuer{{URL: testIssuer, Keys: bearer.JWKSURL(s.URL)}}, bearer.WithLogger(zerolog.Nop()))
		if err == nil {
			_ = v.Close()
			t.Error("New succeeded with its context done before the first fetch ended")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("New took %v with a 300 ms context", d)
		}
	})
}

// TestFaultJWKSRotation covers key rotation at the issuer while requests
// flow: the old key disappears from the set and a new one appears. Under
// concurrent load no request ever gets a 5xx or an unexpected reason; once
// a token of the new key has been accepted, every later request with the
// old token (even one cached as accepted before) fails with
// token_key_unknown, and the new token keeps succeeding.
func TestFaultJWKSRotation(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t, "old")
	oldTok, oldSet := token(t, iss, "orders:write"), iss.JWKS()
	iss.Rotate(t, "new")
	iss.RetireOldKeys()
	newTok, newSet := token(t, iss, "orders:write"), iss.JWKS()
	s := newJWKSServer(t, serveSet(oldSet))
	vs := remoteSet(t, s.URL+"/jwks", bearer.WithUnknownKeyRefresh(20*time.Millisecond))
	f := newFixture(t, vs)
	accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+oldTok)))
	rejected("/bearer", "Bearer", verifiers.TokenKeyUnknown).check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+newTok)))

	type outcome struct {
		old          bool
		start, end   time.Time
		code         int
		reason       string
		wwwAuthLines []string
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		wg       sync.WaitGroup
	)
	stop := time.Now().Add(400 * time.Millisecond)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400 && time.Now().Before(stop); i++ {
				time.Sleep(time.Millisecond)
				old := (g+i)%2 == 0
				tok := newTok
				if old {
					tok = oldTok
				}
				w := httptest.NewRecorder()
				start := time.Now()
				f.router.ServeHTTP(w, request("/bearer", "Authorization", "Bearer "+tok))
				o := outcome{old: old, start: start, end: time.Now(), code: w.Code, wwwAuthLines: w.Header().Values("Www-Authenticate")}
				var body struct{ Reason string }
				_ = json.Unmarshal(w.Body.Bytes(), &body)
				o.reason = body.Reason
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	s.set(serveSet(newSet))
	wg.Wait()
	loadLog := f.log.String()
	f.log.Reset()
	for range 200 {
		if f.serve(t, request("/bearer", "Authorization", "Bearer "+newTok)).code == 200 {
			break // the rotation may have been seen only now, if the load ended first
		}
		time.Sleep(5 * time.Millisecond)
	}

	var firstNewOK time.Time
	for _, o := range outcomes {
		if !o.old && o.code == 200 && (firstNewOK.IsZero() || o.end.Before(firstNewOK)) {
			firstNewOK = o.end
		}
	}
	if firstNewOK.IsZero() {
		t.Fatal("the new token was never accepted during the load")
	}
	counts := map[string]int{}
	for _, o := range outcomes {
		key := map[bool]string{true: "old", false: "new"}[o.old]
		counts[key+" "+http.StatusText(o.code)]++
		switch {
		case o.code >= 500:
			t.Errorf("a %d during rotation (reason %s)", o.code, o.reason)
		case o.code == 200:
			if o.old && o.start.After(firstNewOK) {
				t.Errorf("the old token was accepted at %v, after the new key was in use (%v)", o.start, firstNewOK)
			}
		case o.code == 401:
			if o.reason != string(verifiers.TokenKeyUnknown) {
				t.Errorf("401 with reason %s, want token_key_unknown", o.reason)
			}
			if want := chBearerInvalid(verifiers.TokenKeyUnknown); len(o.wwwAuthLines) != 1 || o.wwwAuthLines[0] != want {
				t.Errorf("challenge %q, want %q", o.wwwAuthLines, want)
			}
			if !o.old && o.start.After(firstNewOK) {
				t.Errorf("the new token was refused at %v, after it had been accepted (%v)", o.start, firstNewOK)
			}
		default:
			t.Errorf("unexpected status %d", o.code)
		}
	}
	t.Logf("rotation under load: %d requests, %v; JWKS fetched %d times", len(outcomes), counts, s.hits.Load())
	rejected("/bearer", "Bearer", verifiers.TokenKeyUnknown).check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+oldTok)))
	accepted("Bearer user-42").check(t, f.serve(t, request("/bearer", "Authorization", "Bearer "+newTok)))
	assertNoSecret(t, map[string]string{"gate log": loadLog, "bearer log": vs.bearerLog.String()}, oldTok, newTok, tokenSignature(oldTok), tokenSignature(newTok))
}
