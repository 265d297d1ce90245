package middleware_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// counting wraps a real verifier and counts its Verify calls. It hides any
// PrincipalClaimer of the wrapped verifier; claiming adds it back.
type counting struct {
	verifiers.Verifier
	calls atomic.Int64
}

func (c *counting) Verify(r *http.Request) (*verifiers.Identity, error) {
	c.calls.Add(1)
	return c.Verifier.Verify(r)
}

type claiming struct{ *counting }

func (c claiming) ClaimedPrincipal(r *http.Request) (string, bool) {
	return c.Verifier.(verifiers.PrincipalClaimer).ClaimedPrincipal(r)
}

// basicUsers is a real Basic verifier with users alice and bob (bcrypt at
// the minimum cost, to keep the tests fast).
func basicUsers(t testing.TB) *basic.Verifier {
	t.Helper()
	users := map[string]string{}
	for u, pw := range map[string]string{"alice": "alice-password", "bob": "bob-password"} {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		users[u] = string(h)
	}
	src, err := basic.NewMemoryStore(users)
	if err != nil {
		t.Fatal(err)
	}
	v, err := basic.New(src, basic.WithRealm("admin"), basic.WithCache(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func basicAuth(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// from is a request with Basic credentials from addr.
func from(addr, user, pw string, hdr ...string) *http.Request {
	r := get("/", hdr...)
	r.RemoteAddr = addr
	if user != "" {
		r.Header.Set("Authorization", basicAuth(user, pw))
	}
	return r
}

type limitFixture struct {
	clock *testClock
	log   *logBuf
	v     *counting
	h     http.Handler
}

func newLimitFixture(t *testing.T, fl middleware.FailureLimit, opts ...middleware.Option) *limitFixture {
	t.Helper()
	f := &limitFixture{clock: newTestClock(), v: &counting{Verifier: basicUsers(t)}}
	var g *middleware.Gate
	g, f.log = testGate(append([]middleware.Option{middleware.WithFailureLimit(fl), middleware.WithClock(f.clock.now)}, opts...)...)
	f.h = g.Require(claiming{f.v})(okHandler)
	return f
}

func problemReason(t *testing.T, body []byte) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	s, _ := p["reason"].(string)
	return s
}

// TestFailureLimit checks the limits end to end through the gate with a
// real Basic verifier: the 429, its headers and body, that no verifier
// runs once blocked, and who is and is not affected.
func TestFailureLimit(t *testing.T) {
	t.Parallel()
	const a1, a2 = "192.0.2.1:1000", "198.51.100.2:1000"
	type step struct {
		req    func() *http.Request
		status int
		after  time.Duration // clock advance before the request
	}
	bad := func(addr, user string) func() *http.Request {
		return func() *http.Request { return from(addr, user, "wrong-password") }
	}
	good := func(addr, user string) func() *http.Request {
		return func() *http.Request { return from(addr, user, user+"-password") }
	}
	rep := func(n int, s step) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	cat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name  string
		fl    middleware.FailureLimit
		steps []step
	}{
		{"per_ip_429_after_N_failures", middleware.FailureLimit{PerIP: 3, Window: time.Minute},
			cat(rep(3, step{bad(a1, "alice"), 401, 0}), []step{{bad(a1, "alice"), 429, 0}, {good(a1, "alice"), 429, 0}})},
		{"per_ip_other_ip_unaffected", middleware.FailureLimit{PerIP: 3, Window: time.Minute},
			cat(rep(3, step{bad(a1, "alice"), 401, 0}), []step{{bad(a1, "bob"), 429, 0}, {good(a2, "alice"), 200, 0}, {bad(a2, "alice"), 401, 0}})},
		{"per_ip_success_does_not_reset", middleware.FailureLimit{PerIP: 3, Window: time.Minute},
			cat(rep(2, step{bad(a1, "alice"), 401, 0}), []step{{good(a1, "bob"), 200, 0}, {bad(a1, "alice"), 401, 0}, {good(a1, "bob"), 429, 0}})},
		{"per_ip_window_expiry", middleware.FailureLimit{PerIP: 2, Window: time.Minute},
			cat(rep(2, step{bad(a1, "alice"), 401, 0}), []step{{bad(a1, "alice"), 429, 59 * time.Second}, {good(a1, "alice"), 200, time.Second}})},
		{"per_principal_blocks_the_pair_only", middleware.FailureLimit{PerPrincipal: 3, Window: time.Minute},
			cat(rep(3, step{bad(a1, "alice"), 401, 0}), []step{
				{bad(a1, "alice"), 429, 0},
				{good(a1, "alice"), 429, 0}, // the right password too: the pair is blocked
				{good(a2, "alice"), 200, 0}, // same user from another address: never locked out
				{bad(a1, "bob"), 401, 0},    // another user from the same address
			})},
		{"per_principal_success_resets_the_pair", middleware.FailureLimit{PerPrincipal: 3, Window: time.Minute},
			cat(rep(2, step{bad(a1, "alice"), 401, 0}), []step{{good(a1, "alice"), 200, 0}}, rep(2, step{bad(a1, "alice"), 401, 0}), []step{{bad(a1, "alice"), 401, 0}, {bad(a1, "alice"), 429, 0}})},
		{"ipv6_counted_per_64", middleware.FailureLimit{PerIP: 2, Window: time.Minute},
			[]step{{bad("[2001:db8:1:2::1]:1", "alice"), 401, 0}, {bad("[2001:db8:1:2:aaaa::2]:1", "alice"), 401, 0},
				{bad("[2001:db8:1:2:ffff::3]:1", "bob"), 429, 0}, {good("[2001:db8:1:3::1]:1", "bob"), 200, 0}}},
		{"missing_credentials_do_not_count", middleware.FailureLimit{PerIP: 1, Window: time.Minute},
			[]step{{func() *http.Request { return from(a1, "", "") }, 401, 0}, {func() *http.Request { return from(a1, "", "") }, 401, 0}, {good(a1, "alice"), 200, 0}}},
		{"400_counts", middleware.FailureLimit{PerIP: 1, Window: time.Minute},
			[]step{{func() *http.Request {
				r := from(a1, "", "")
				r.Header["Authorization"] = []string{"Basic a", "Basic b"}
				return r
			}, 400, 0}, {good(a1, "alice"), 429, 0}}},
		{"431_does_not_count", middleware.FailureLimit{PerIP: 1, Window: time.Minute},
			[]step{{func() *http.Request {
				r := from(a1, "", "")
				r.Header.Set("Authorization", "Basic "+strings.Repeat("A", middleware.DefaultMaxAuthorizationBytes))
				return r
			}, 431, 0}, {good(a1, "alice"), 200, 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLimitFixture(t, tc.fl)
			for i, s := range tc.steps {
				f.clock.advance(s.after)
				before := f.v.calls.Load()
				w := serve(f.h, s.req())
				if w.Code != s.status {
					t.Fatalf("step %d: status %d, want %d; body %s", i, w.Code, s.status, w.Body)
				}
				if w.Code == http.StatusTooManyRequests {
					if n := f.v.calls.Load() - before; n != 0 {
						t.Errorf("step %d: the verifier ran %d times for a blocked client", i, n)
					}
					if got := problemReason(t, w.Body.Bytes()); got != "too_many_failures" {
						t.Errorf("step %d: body reason %q", i, got)
					}
					if w.Header().Get("Retry-After") == "" || w.Header().Get("Cache-Control") != "no-store" || len(w.Header().Values("WWW-Authenticate")) != 0 {
						t.Errorf("step %d: headers %v", i, w.Header())
					}
				}
			}
		})
	}
}

// TestFailureLimitResponseAndLog checks the exact Retry-After, body and
// log event of a 429.
func TestFailureLimitResponseAndLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fl     middleware.FailureLimit
		detail string
		user   any
		scheme any
	}{
		{"per_ip", middleware.FailureLimit{PerIP: 2, Window: time.Minute},
			"2 failed attempts from this client IP within 1m0s (limit 2 per client IP); no verifier was called", nil, ""},
		{"per_principal", middleware.FailureLimit{PerPrincipal: 2, Window: time.Minute},
			"2 failed attempts for this user from this client IP within 1m0s (limit 2 per principal and client IP); no verifier was called", "alice", "Basic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLimitFixture(t, tc.fl)
			for range 2 {
				serve(f.h, from("192.0.2.1:1", "alice", "wrong-password"))
				f.clock.advance(10 * time.Second)
			}
			f.clock.advance(500 * time.Millisecond) // 40.5s left: rounds up
			w := serve(f.h, from("192.0.2.1:1", "alice", "wrong-password", "X-Request-Id", "r-1"))
			if w.Code != 429 || w.Header().Get("Retry-After") != "40" && w.Header().Get("Retry-After") != "41" {
				t.Fatalf("status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
			}
			if got := w.Header().Get("Retry-After"); got != "40" {
				t.Errorf("Retry-After = %q, want 40 (seconds until the first failure leaves the window, rounded up)", got)
			}
			want := `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Too many failed attempts; try again later.","reason":"too_many_failures","request_id":"r-1"}` + "\n"
			if w.Body.String() != want {
				t.Errorf("body = %s\nwant   %s", w.Body, want)
			}
			evs := f.log.events(t)
			ev := evs[len(evs)-1]
			if ev["reason"] != "too_many_failures" || ev["status"] != float64(429) || ev["level"] != "warn" ||
				ev["detail"] != tc.detail || ev["remote_ip"] != "192.0.2.1" || ev["user"] != tc.user || ev["scheme"] != tc.scheme ||
				!strings.Contains(fmt.Sprint(ev["hint"]), "guessing credentials") {
				t.Errorf("log event = %v", ev)
			}
		})
	}
}

// TestFailureLimitRetryAfterExact: Retry-After is the seconds left until
// the window frees, rounded up.
func TestFailureLimitRetryAfterExact(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, middleware.FailureLimit{PerIP: 1, Window: 90 * time.Second})
	serve(f.h, from("192.0.2.1:1", "alice", "wrong-password"))
	for _, tc := range []struct {
		advance time.Duration
		want    string
	}{{0, "90"}, {time.Second, "89"}, {1500 * time.Millisecond, "88"}, {87 * time.Second, "1"}} {
		f.clock.advance(tc.advance)
		if w := serve(f.h, from("192.0.2.1:1", "alice", "wrong-password")); w.Code != 429 || w.Header().Get("Retry-After") != tc.want {
			t.Errorf("after %v more: %d Retry-After %q, want 429 %s", tc.advance, w.Code, w.Header().Get("Retry-After"), tc.want)
		}
	}
	f.clock.advance(500 * time.Millisecond)
	if w := serve(f.h, from("192.0.2.1:1", "alice", "alice-password")); w.Code != 200 {
		t.Errorf("after the window: %d", w.Code)
	}
}

// TestFailureLimitAPIKey: a real API key verifier, its unknown keys
// counted per IP, and the key id claimed for the per-principal limit.
func TestFailureLimitAPIKey(t *testing.T) {
	t.Parallel()
	key, _ := apikey.Generate(apikey.DefaultPrefix, "live")
	guess, _ := apikey.Generate(apikey.DefaultPrefix, "live")
	store, _ := apikey.NewMemoryStore(key.Record("svc", nil, time.Time{}))
	kv, err := apikey.New(store)
	if err != nil {
		t.Fatal(err)
	}
	c := &counting{Verifier: kv}
	g, lb := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerPrincipal: 2, Window: time.Minute}))
	h := g.Require(claiming{c})(okHandler)
	req := func(k string) *http.Request { return get("/", "X-API-Key", k) }
	for i, want := range []int{401, 401, 429, 429} {
		if w := serve(h, req(guess.Reveal())); w.Code != want {
			t.Fatalf("request %d: %d, want %d", i, w.Code, want)
		}
	}
	if c.calls.Load() != 2 {
		t.Errorf("verifier called %d times, want 2", c.calls.Load())
	}
	if w := serve(h, req(key.Reveal())); w.Code != 200 {
		t.Errorf("another key id from the same address: %d", w.Code)
	}
	evs := lb.events(t)
	var last map[string]any
	for _, ev := range evs {
		if ev["reason"] == "too_many_failures" {
			last = ev
		}
	}
	if last == nil || last["key_id"] != guess.ID() || last["scheme"] != "APIKey" {
		t.Errorf("429 event = %v", last)
	}
	assertNoLeak(t, lb, serve(h, req(guess.Reveal())), leaks(guess.Reveal()))
}

// TestFailureLimitCanary: neither the password nor the key appears in the
// 429's log event or response.
func TestFailureLimitCanary(t *testing.T) {
	t.Parallel()
	c := canary(t)
	f := newLimitFixture(t, middleware.FailureLimit{PerIP: 1, PerPrincipal: 1, Window: time.Minute}, middlewareDev())
	serve(f.h, from("192.0.2.1:1", "alice", c))
	r := from("192.0.2.1:1", "alice", c)
	w := serve(f.h, r)
	if w.Code != 429 {
		t.Fatalf("status %d", w.Code)
	}
	hv := r.Header.Get("Authorization")
	assertNoLeak(t, f.log, w, leaks(c, hv, strings.TrimPrefix(hv, "Basic ")))
}

// TestClientIPHeader: the trusted header is honoured only from a trusted
// peer, read from the right, and a malformed one falls back to RemoteAddr;
// the same address is logged, sampled and limited.
func TestClientIPHeader(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name   string
		header string
		remote string
		values []string
		want   string
	}{
		{"xff_from_trusted_proxy", "X-Forwarded-For", "10.0.0.5:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"xff_rightmost_untrusted", "X-Forwarded-For", "10.0.0.5:443", []string{"6.6.6.6, 203.0.113.9, 10.1.1.1"}, "203.0.113.9"},
		{"xff_several_lines", "X-Forwarded-For", "10.0.0.5:443", []string{"6.6.6.6", "203.0.113.9", "10.1.1.1"}, "203.0.113.9"},
		// A client inside a trusted prefix cannot choose its address by
		// writing trusted ones to the left: the nearest proxy's view wins.
		{"xff_all_trusted_takes_rightmost", "X-Forwarded-For", "10.0.0.5:443", []string{"10.9.9.9, 10.1.1.1"}, "10.1.1.1"},
		{"xff_all_trusted_several_lines", "X-Forwarded-For", "10.0.0.5:443", []string{"10.9.9.9", "10.8.8.8, 10.1.1.1"}, "10.1.1.1"},
		{"spoofed_from_untrusted_peer_ignored", "X-Forwarded-For", "192.0.2.7:5555", []string{"203.0.113.9"}, "192.0.2.7"},
		{"malformed_falls_back", "X-Forwarded-For", "10.0.0.5:443", []string{"203.0.113.9, not-an-ip"}, "10.0.0.5"},
		{"empty_element_falls_back", "X-Forwarded-For", "10.0.0.5:443", []string{"203.0.113.9,,"}, "10.0.0.5"},
		{"absent_falls_back", "X-Forwarded-For", "10.0.0.5:443", nil, "10.0.0.5"},
		{"oversized_falls_back", "X-Forwarded-For", "10.0.0.5:443", []string{strings.Repeat("10.0.0.1, ", 100) + "10.0.0.2"}, "10.0.0.5"},
		{"long_element_falls_back", "X-Forwarded-For", "10.0.0.5:443", []string{strings.Repeat("1", 200)}, "10.0.0.5"},
		{"control_characters_fall_back", "X-Forwarded-For", "10.0.0.5:443", []string{"203.0.113.9\r\n"}, "10.0.0.5"},
		{"with_port", "X-Forwarded-For", "10.0.0.5:443", []string{"203.0.113.9:1234"}, "203.0.113.9"},
		{"ipv6_bracketed_with_port", "X-Forwarded-For", "[fd00::1]:443", []string{"[2001:db8::9]:1234"}, "2001:db8::9"},
		{"x_real_ip", "X-Real-IP", "10.0.0.5:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"x_real_ip_spoofed", "X-Real-IP", "192.0.2.7:1", []string{"203.0.113.9"}, "192.0.2.7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate(middleware.WithClientIPHeader(tc.header, proxies...))
			r := get("/")
			r.RemoteAddr = tc.remote
			for _, v := range tc.values {
				r.Header.Add(tc.header, v)
			}
			serve(g.Require(bearerV(nil))(okHandler), r)
			if got := one(t, lb)["remote_ip"]; got != tc.want {
				t.Errorf("remote_ip = %v, want %s", got, tc.want)
			}
		})
	}

	t.Run("limiter_uses_the_header_address", func(t *testing.T) {
		t.Parallel()
		f := newLimitFixture(t, middleware.FailureLimit{PerIP: 1, Window: time.Minute}, middleware.WithClientIPHeader("X-Forwarded-For", proxies...))
		via := func(client, user, pw string) *http.Request {
			return from("10.0.0.5:443", user, pw, "X-Forwarded-For", client)
		}
		serve(f.h, via("203.0.113.9", "alice", "wrong-password"))
		if w := serve(f.h, via("203.0.113.9", "alice", "alice-password")); w.Code != 429 {
			t.Errorf("same client behind the proxy: %d, want 429", w.Code)
		}
		if w := serve(f.h, via("203.0.113.10", "alice", "alice-password")); w.Code != 200 {
			t.Errorf("another client behind the same proxy: %d, want 200", w.Code)
		}
		// A client that forges the header reaching us directly is limited
		// by its own address.
		serve(f.h, from("192.0.2.7:1", "alice", "wrong-password", "X-Forwarded-For", "203.0.113.50"))
		if w := serve(f.h, from("192.0.2.7:1", "alice", "alice-password", "X-Forwarded-For", "203.0.113.51")); w.Code != 429 {
			t.Errorf("spoofing client rotating the header: %d, want 429", w.Code)
		}
	})
}

func TestFailureLimitOptionsPanic(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]func() middleware.Option{
		"negative PerIP": func() middleware.Option {
			return middleware.WithFailureLimit(middleware.FailureLimit{PerIP: -1, Window: time.Minute})
		},
		"negative PerPrincipal": func() middleware.Option {
			return middleware.WithFailureLimit(middleware.FailureLimit{PerPrincipal: -1})
		},
		"negative MaxTracked": func() middleware.Option {
			return middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute, MaxTracked: -1})
		},
		"limit without window": func() middleware.Option { return middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 5}) },
		"negative window": func() middleware.Option {
			return middleware.WithFailureLimit(middleware.FailureLimit{Window: -time.Second})
		},
		"client IP no header": func() middleware.Option {
			return middleware.WithClientIPHeader("", netip.MustParsePrefix("10.0.0.0/8"))
		},
		"client IP no prefix":   func() middleware.Option { return middleware.WithClientIPHeader("X-Forwarded-For") },
		"client IP zero prefix": func() middleware.Option { return middleware.WithClientIPHeader("X-Real-IP", netip.Prefix{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			middleware.New(o())
		}()
	}
	// The zero value is off, and does not panic.
	middleware.New(middleware.WithFailureLimit(middleware.FailureLimit{}))
}

// TestFailureLimitConcurrent hammers one gate from many goroutines and
// addresses (run with -race): the limit holds per address, within the
// requests already in flight when it was reached.
func TestFailureLimitConcurrent(t *testing.T) {
	t.Parallel()
	kv, _ := apikey.New(func() apikey.Store {
		s, _ := apikey.NewMemoryStore()
		return s
	}())
	c := &counting{Verifier: kv}
	g := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)),
		middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 5, PerPrincipal: 3, Window: time.Minute, MaxTracked: 64}))
	h := g.Require(claiming{c})(okHandler)
	const workers, perWorker, addrs = 8, 200, 4
	var wg sync.WaitGroup
	var tooMany atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				k, _ := apikey.Generate(apikey.DefaultPrefix, "live")
				r := get("/", "X-API-Key", k.Reveal())
				r.RemoteAddr = fmt.Sprintf("192.0.2.%d:1", (w+i)%addrs)
				if code := serve(h, r).Code; code == 429 {
					tooMany.Add(1)
				} else if code != 401 {
					t.Errorf("status %d", code)
				}
			}
		}()
	}
	wg.Wait()
	// Each address may fail 5 times, plus what was in flight (at most one
	// request per worker) when it reached the limit.
	if n := c.calls.Load(); n > addrs*(5+workers) {
		t.Errorf("verifier ran %d times for %d addresses with PerIP 5", n, addrs)
	}
	if tooMany.Load() == 0 {
		t.Error("no 429 at all")
	}
}

// BenchmarkRequireSuccessLimited is BenchmarkRequireSuccessInfo with
// failure limiting on: the difference is what limiting adds to a
// successful request (one map lookup for the client IP).
func BenchmarkRequireSuccessLimited(b *testing.B) {
	benchServe(b, benchRouter(b, routeBearer,
		middleware.WithLogger(zerolog.New(io.Discard).Level(zerolog.InfoLevel)),
		middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 10, PerPrincipal: 5, Window: time.Minute})), 204, "Bearer good")
}

// BenchmarkRequireTooManyFailures is the cost of a 429.
func BenchmarkRequireTooManyFailures(b *testing.B) {
	h := benchRouter(b, routeBearer, middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Hour}))
	// Two Authorization fields: a 400 that counts as a failure (an
	// expired token would not).
	r := get("/x", "Authorization", "Bearer a", "Authorization", "Bearer b")
	r.RemoteAddr = "192.0.2.1:1234"
	if w := serve(h, r); w.Code != 400 {
		b.Fatalf("setup: status %d", w.Code)
	}
	benchServe(b, h, 429, "Bearer expired")
}

// panickyClaimer is a verifier whose ClaimedPrincipal panics.
type panickyClaimer struct{ *fakeVerifier }

func (panickyClaimer) ClaimedPrincipal(*http.Request) (string, bool) { panic("claimer bug") }

// TestFailureLimitClaimerPanic: a panicking ClaimedPrincipal counts as no
// claim; the verifier still decides, and the per-IP limit still applies.
func TestFailureLimitClaimerPanic(t *testing.T) {
	t.Parallel()
	v := panickyClaimer{bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})}
	g, _ := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, PerPrincipal: 1, Window: time.Minute}))
	h := g.Require(v)(okHandler)
	if w := serve(h, get("/", "Authorization", "Bearer good")); w.Code != 200 {
		t.Fatalf("good token: %d", w.Code)
	}
	if w := serve(h, get("/", "Authorization", "Bearer bad")); w.Code != 401 {
		t.Fatalf("bad token: %d", w.Code)
	}
	if w := serve(h, get("/", "Authorization", "Bearer good")); w.Code != 429 {
		t.Fatalf("after a failure with PerIP 1: %d", w.Code)
	}
}
