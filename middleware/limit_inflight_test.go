package middleware_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// slowBasic is a Basic verifier that takes a while, then accepts the
// password "right" and refuses anything else with password_mismatch. It
// claims the user name of the request, like basic.Verifier, and counts
// its Verify calls and the most it saw running at once.
type slowBasic struct {
	*fakeVerifier
	delay            time.Duration
	calls            atomic.Int64
	running, maxSeen atomic.Int64
}

func newSlowBasic(delay time.Duration) *slowBasic {
	return &slowBasic{fakeVerifier: basicV(nil), delay: delay}
}

func (s *slowBasic) Verify(r *http.Request) (*verifiers.Identity, error) {
	s.calls.Add(1)
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.delay)
	user, pw, ok := r.BasicAuth()
	if !ok {
		return nil, verifiers.ErrNoCredentials
	}
	if pw != "right" {
		return nil, verifiers.Reject(verifiers.PasswordMismatch, "the password does not match").With(verifiers.AttrUser, user)
	}
	return &verifiers.Identity{Subject: user, Scheme: verifiers.SchemeBasic}, nil
}

func (s *slowBasic) ClaimedPrincipal(r *http.Request) (string, bool) {
	user, _, ok := r.BasicAuth()
	return user, ok
}

// parallel sends n requests made by req at once and returns the count of
// each status.
func parallel(h http.Handler, n int, req func(i int) *http.Request) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req(i)
			<-start
			c := serve(h, r).Code
			mu.Lock()
			codes[c]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestFailureLimitParallelGuesses: guesses sent all at once are held to
// the limit exactly, as if sent one after another: the verifier runs
// PerIP (or PerPrincipal) times, every other request gets 429.
func TestFailureLimitParallelGuesses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fl    middleware.FailureLimit
		user  func(i int) string
		calls int64
	}{
		{"per_ip", middleware.FailureLimit{PerIP: 3, Window: time.Minute}, func(i int) string { return "u" + string(rune('a'+i%26)) }, 3},
		{"per_principal", middleware.FailureLimit{PerPrincipal: 2, Window: time.Minute}, func(int) string { return "alice" }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newSlowBasic(20 * time.Millisecond)
			g, _ := testGate(middleware.WithFailureLimit(tc.fl))
			h := g.Require(v)(okHandler)
			codes := parallel(h, 200, func(i int) *http.Request { return from("192.0.2.7:1", tc.user(i), "wrong") })
			if n := v.calls.Load(); n != tc.calls {
				t.Errorf("verifier ran %d times for 200 parallel guesses, want %d (the limit)", n, tc.calls)
			}
			if codes[401] != int(tc.calls) || codes[429] != 200-int(tc.calls) {
				t.Errorf("statuses %v, want %d×401 and the rest 429", codes, tc.calls)
			}
		})
	}
}

// TestFailureLimitParallelSuccessesWait: a client without failures and
// more requests at once than its limit is not refused: the requests over
// the limit wait for a place and all succeed, never more than the limit
// verifying at once.
func TestFailureLimitParallelSuccessesWait(t *testing.T) {
	t.Parallel()
	v := newSlowBasic(5 * time.Millisecond)
	g, _ := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 4, PerPrincipal: 2, Window: time.Minute}))
	h := g.Require(v)(okHandler)
	codes := parallel(h, 40, func(int) *http.Request { return from("192.0.2.8:1", "alice", "right") })
	if codes[200] != 40 {
		t.Errorf("statuses %v, want 40×200", codes)
	}
	if m := v.maxSeen.Load(); m > 2 {
		t.Errorf("%d verifications of one pair at once, PerPrincipal 2", m)
	}
}

// hangingGate is a gate with PerIP 1 whose Bearer verifier holds the
// token "hang" until release is closed, then refuses it with
// token_signature_invalid (a failure); entered is closed when it holds
// one. Other tokens: "good" authenticates.
func hangingGate(t *testing.T, opts ...middleware.Option) (h http.Handler, g *middleware.Gate, lb *logBuf, entered, release chan struct{}, calls *atomic.Int64) {
	t.Helper()
	entered, release, calls = make(chan struct{}), make(chan struct{}), new(atomic.Int64)
	var once sync.Once
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		"hang": func() (*verifiers.Identity, error) {
			calls.Add(1)
			once.Do(func() { close(entered) })
			<-release
			return nil, verifiers.Reject(verifiers.TokenSignatureInvalid, "signature does not verify")
		},
		"good": ident(verifiers.SchemeBearer, "alice"),
	})
	opts = append([]middleware.Option{middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute})}, opts...)
	g, lb = testGate(opts...)
	return g.Require(v)(okHandler), g, lb, entered, release, calls
}

// tooManyDetail returns the detail of the one too_many_failures event in
// lb.
func tooManyDetail(t *testing.T, lb *logBuf) string {
	t.Helper()
	var details []string
	for _, e := range lb.events(t) {
		if e["reason"] == "too_many_failures" {
			details = append(details, e["detail"].(string))
		}
	}
	if len(details) != 1 {
		t.Fatalf("want one too_many_failures event, got %d in %s", len(details), lb)
	}
	return details[0]
}

// TestFailureLimitGiveUpWaiting: a request that finds its client's places
// all taken by attempts in flight waits for them; when its context ends
// first, or the wait reaches its bound, it gets 429 with Retry-After 1,
// and the detail says which.
func TestFailureLimitGiveUpWaiting(t *testing.T) {
	t.Parallel()
	const head = "0 failed attempts from this client IP within 1m0s and 1 more still being verified (limit 1 per client IP); "
	for _, tc := range []struct {
		name    string
		ctx     time.Duration // the waiting request's deadline; 0: none
		wait    time.Duration // the gate's bound on waiting
		atLeast time.Duration
		want    string
	}{
		{"context ends", 30 * time.Millisecond, time.Minute, 30 * time.Millisecond,
			"the request ended (the client went away or its deadline passed) while it waited for them to finish; no verifier was called"},
		{"wait bound", 0, 60 * time.Millisecond, 60 * time.Millisecond,
			"the request gave up waiting for them to finish; no verifier was called"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, g, lb, entered, release, calls := hangingGate(t)
			middleware.SetLimitWait(g, tc.wait)
			done := make(chan int)
			go func() { done <- serve(h, get("/", "Authorization", "Bearer hang")).Code }()
			<-entered
			r := get("/", "Authorization", "Bearer hang")
			start := time.Now()
			if tc.ctx > 0 {
				ctx, cancel := context.WithTimeout(context.Background(), tc.ctx)
				defer cancel()
				r = r.WithContext(ctx)
			}
			w := serve(h, r)
			if took := time.Since(start); took < tc.atLeast || took > tc.atLeast+time.Second {
				t.Errorf("the waiting request took %v, want about %v", took, tc.atLeast)
			}
			if w.Code != 429 || w.Header().Get("Retry-After") != "1" {
				t.Fatalf("waiting request: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
			}
			close(release)
			if c := <-done; c != 401 {
				t.Errorf("the request in flight: %d", c)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("verifier ran %d times", n)
			}
			if d := tooManyDetail(t, lb); d != head+tc.want {
				t.Errorf("detail %q\nwant   %q", d, head+tc.want)
			}
		})
	}
}

// TestFailureLimitWaitersBounded: at most 64 requests of one client wait
// for a place; the next gets 429 at once, and says why. When the attempt
// in flight ends as a failure, the waiters are answered 429 at once too
// (the failure fills the only place), not after their wait bound.
func TestFailureLimitWaitersBounded(t *testing.T) {
	t.Parallel()
	h, g, lb, entered, release, calls := hangingGate(t)
	middleware.SetLimitWait(g, time.Minute)
	done := make(chan int)
	go func() { done <- serve(h, get("/", "Authorization", "Bearer hang")).Code }()
	<-entered
	const waiters = 64
	codes := make(chan int, waiters)
	for range waiters {
		go func() { codes <- serve(h, get("/", "Authorization", "Bearer good")).Code }()
	}
	// Once all of them wait, the next one is one too many.
	for deadline := time.Now().Add(10 * time.Second); middleware.LimitWaiters(g) < waiters; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests waiting", middleware.LimitWaiters(g))
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if w := serve(h, get("/", "Authorization", "Bearer good")); w.Code != 429 || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("the 65th waiter: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the 65th waiter was answered after %v, want at once", took)
	}
	want := "0 failed attempts from this client IP within 1m0s and 1 more still being verified (limit 1 per client IP); 64 more requests were already waiting for them to finish, the most allowed; no verifier was called"
	if d := tooManyDetail(t, lb); d != want {
		t.Errorf("detail %q\nwant   %q", d, want)
	}
	start = time.Now()
	close(release)
	if c := <-done; c != 401 {
		t.Errorf("the request in flight: %d", c)
	}
	for range waiters {
		if c := <-codes; c != 429 {
			t.Errorf("a waiter got %d after the failure, want 429", c)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the waiters took %v to be answered after the failure", took)
	}
	if n := middleware.LimitWaiters(g); n != 0 {
		t.Errorf("%d waiters left", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("verifier ran %d times", n)
	}
}

// TestFailureLimitOptionalHandlerHoldsNoPlace: on an Optional route, an
// anonymous request frees its place before its handler runs, so a
// long-running handler (a stream, a websocket) does not keep other
// requests from its address waiting.
func TestFailureLimitOptionalHandlerHoldsNoPlace(t *testing.T) {
	t.Parallel()
	g, _ := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute}))
	middleware.SetLimitWait(g, time.Minute)
	inHandler, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(inHandler) })
		<-release
	})
	v := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	opt := g.Optional(v)(slow)
	done := make(chan int)
	go func() { done <- serve(opt, get("/stream")).Code }()
	<-inHandler
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if w := serve(g.Require(v)(okHandler), get("/", "Authorization", "Bearer good").WithContext(ctx)); w.Code != 200 {
		t.Errorf("a request beside a running Optional handler: %d, want 200 without waiting; body %s", w.Code, w.Body)
	}
	close(release)
	if c := <-done; c != 200 {
		t.Errorf("the Optional request: %d", c)
	}
}

// TestFailureLimitReleasesEveryWayOut: an attempt's place is freed on
// every way out of the gate (an anonymous pass on an Optional route, a
// non-counting rejection, a 503, a verifier that aborts the handler), so
// a client with PerIP 1 and no failures is never left waiting.
func TestFailureLimitReleasesEveryWayOut(t *testing.T) {
	t.Parallel()
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		"good":    ident(verifiers.SchemeBearer, "alice"),
		"expired": reject(verifiers.TokenExpired, "token expired 2m ago"),
		"down":    func() (*verifiers.Identity, error) { return nil, verifiers.Unavailable("JWKS unreachable", nil) },
		"abort":   func() (*verifiers.Identity, error) { panic(http.ErrAbortHandler) },
	})
	g, _ := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute}))
	req, opt := g.Require(v)(okHandler), g.Optional(v)(okHandler)
	steps := []struct {
		h    http.Handler
		auth string
		code int
	}{
		{opt, "", 200}, {opt, "", 200},
		{req, "Bearer expired", 401}, {req, "Bearer expired", 401},
		{req, "Bearer down", 503}, {req, "Bearer down", 503},
		{req, "Bearer abort", -1}, {req, "Bearer abort", -1},
		{req, "Bearer good", 200},
	}
	for i, s := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r := get("/").WithContext(ctx)
		if s.auth != "" {
			r.Header.Set("Authorization", s.auth)
		}
		if s.code == -1 {
			func() {
				defer func() {
					if p := recover(); p != http.ErrAbortHandler {
						t.Errorf("step %d: recovered %v, want http.ErrAbortHandler", i, p)
					}
				}()
				serve(s.h, r)
			}()
		} else if w := serve(s.h, r); w.Code != s.code {
			t.Errorf("step %d (%q): status %d, want %d; body %s", i, s.auth, w.Code, s.code, w.Body)
		}
		cancel()
	}
}

// TestFailureLimitWhichReasonsCount: with PerIP 1, one rejection of each
// reason, then a valid request. Guessing reasons (credentials not shown
// to be genuine) block it; reasons about a genuine but stale or misplaced
// credential, and statuses that do not blame the credentials, do not.
func TestFailureLimitWhichReasonsCount(t *testing.T) {
	t.Parallel()
	counts := map[verifiers.Reason]bool{
		verifiers.CredentialsMalformed: true, verifiers.CredentialsInvalid: true,
		verifiers.UserUnknown: true, verifiers.PasswordMismatch: true,
		verifiers.APIKeyUnknown: true, verifiers.APIKeySecretMismatch: true, verifiers.APIKeyChecksumInvalid: true,
		verifiers.TokenMalformed: true, verifiers.TokenSignatureInvalid: true,
		verifiers.TokenAlgNotAllowed: true, verifiers.TokenInvalid: true, verifiers.RequestMalformed: true,
		// DPoP: a proof that is malformed or forged, or a token used with
		// another key than it is bound to (a stolen token).
		verifiers.DPoPProofMalformed: true, verifiers.DPoPProofKeyInvalid: true, verifiers.DPoPProofAlgNotAllowed: true,
		verifiers.DPoPProofSignatureInvalid: true, verifiers.DPoPKeyMismatch: true,
	}
	for _, reason := range verifiers.Reasons() {
		t.Run(string(reason), func(t *testing.T) {
			t.Parallel()
			outcomes := map[string]func() (*verifiers.Identity, error){
				"good": ident(verifiers.SchemeBearer, "alice"),
				"x":    reject(reason, "test rejection"),
			}
			if reason == verifiers.VerifierUnavailable {
				outcomes["x"] = func() (*verifiers.Identity, error) { return nil, verifiers.Unavailable("down", nil) }
			}
			g, _ := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute}))
			h := g.Require(bearerV(outcomes))(okHandler)
			as := reason
			if reason == verifiers.PreflightUnanswered {
				// The gate's own reason, reported as credentials_invalid
				// when a verifier uses it.
				as = verifiers.CredentialsInvalid
			}
			if w := serve(h, get("/", "Authorization", "Bearer x")); w.Code != as.Status() {
				t.Fatalf("rejection: status %d, want %d", w.Code, as.Status())
			}
			want := 200
			if counts[as] {
				want = 429
			}
			w := serve(h, get("/", "Authorization", "Bearer good"))
			if w.Code != want {
				t.Errorf("valid request after one %s: %d, want %d (counts as a failure: %v)", reason, w.Code, want, counts[as])
			}
			if want == 429 && !strings.Contains(w.Body.String(), "too_many_failures") {
				t.Errorf("429 body %s", w.Body)
			}
		})
	}
}
