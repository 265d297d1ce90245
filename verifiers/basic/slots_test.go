package basic

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// slowVerifier has one check slot and a hash hook that makes the first
// check hold its slot until release is closed; started is signalled when
// it does. Later checks run at once, so that without the bound they would
// simply be answered.
func slowVerifier(t *testing.T, wait time.Duration) (v *Verifier, started chan struct{}, release chan struct{}) {
	t.Helper()
	v = newVerifier(t, memory(t, "alice", "pw", "bob", "bobpw"), WithConcurrentChecks(1, wait))
	started, release = make(chan struct{}, 1), make(chan struct{})
	var first atomic.Bool
	v.hashHook = func() {
		if first.CompareAndSwap(false, true) {
			started <- struct{}{}
			<-release
		}
	}
	return v, started, release
}

// TestVerify_check_slots_busy_503: with one slot and a slow check in
// flight, the next request that needs a hash check waits the configured
// time, then gets 503 verifier_unavailable with Retry-After through the
// gate; the check in flight is not disturbed.
func TestVerify_check_slots_busy_503(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, 50*time.Millisecond)
	buf := &authgatetest.Log{}
	g := middleware.New(middleware.WithLogger(buf.Logger()), middleware.WithLogSampling(0, 0))
	h := g.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	first := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, basicReq("alice", "pw"))
		first <- w.Code
	}()
	<-started
	w := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(w, basicReq("bob", "canary-busy-pw"))
	waited := time.Since(start)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 503, 1", w.Code, w.Header().Get("Retry-After"))
	}
	if waited < 50*time.Millisecond {
		t.Errorf("answered after %v, before the 50ms wait", waited)
	}
	evs := buf.Events(t)
	if len(evs) != 1 {
		t.Fatalf("log %q: want one event", buf)
	}
	ev := evs[0]
	if ev["reason"] != "verifier_unavailable" || ev["detail"] != "all 1 password check slots stayed busy for 50ms (basic.WithConcurrentChecks): too many bcrypt or argon2id checks at once" {
		t.Errorf("log %v", ev)
	}
	if strings.Contains(buf.String(), "canary-busy-pw") {
		t.Error("password in the log")
	}
	close(release)
	if code := <-first; code != 200 {
		t.Errorf("request in flight: %d", code)
	}
}

// TestVerify_check_slot_wait_ends_with_context: a request whose context
// ends while it waits for a slot stops waiting at once.
func TestVerify_check_slot_wait_ends_with_context(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, time.Minute)
	defer close(release)
	go v.Verify(basicReq("alice", "pw"))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := v.Verify(basicReq("bob", "bobpw").WithContext(ctx))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	wantEndedWhileWaiting(t, done)
}

// TestVerify_cache_hit_needs_no_slot: with every slot held, a cached
// credential is still answered, and a request joining an identical check
// in flight shares its answer without a slot of its own.
func TestVerify_cache_hit_needs_no_slot(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, 0)
	hook := v.hashHook
	v.hashHook = nil
	if _, err := v.Verify(basicReq("bob", "bobpw")); err != nil { // cached
		t.Fatal(err)
	}
	v.hashHook = hook
	var waiters atomic.Int32
	joined := make(chan struct{})
	v.flights.waiting = func() { // the first check's caller, then the joiner
		if waiters.Add(1) == 2 {
			close(joined)
		}
	}
	go v.Verify(basicReq("alice", "pw"))
	<-started
	shared := make(chan error)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw"))
		shared <- err
	}()
	<-joined
	if _, err := v.Verify(basicReq("bob", "bobpw")); err != nil {
		t.Errorf("cache hit with every slot busy: %v", err)
	}
	if _, err := v.Verify(basicReq("bob", "other")); !errors.Is(err, verifiers.ErrUnavailable) {
		t.Errorf("cache miss with every slot busy and no wait: %v, want unavailable", err)
	}
	close(release)
	if err := <-shared; err != nil {
		t.Errorf("joined check: %v", err)
	}
}

func TestNew_check_slot_options(t *testing.T) {
	t.Parallel()
	m := memory(t, "alice", "pw")
	for _, o := range []Option{WithConcurrentChecks(0, time.Second), WithConcurrentChecks(1, -time.Second), WithFingerprinter(nil)} {
		if _, err := New(m, o); err == nil {
			t.Error("accepted")
		}
	}
}

// TestVerify_joined_wait_ends_with_context: a request that joined an
// identical check in flight stops waiting for its answer when its own
// context ends, with the same 503 as a request whose slot wait ends; the
// check in flight goes on and its first caller gets the answer.
func TestVerify_joined_wait_ends_with_context(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, time.Minute)
	var waiters atomic.Int32
	joined := make(chan struct{})
	v.flights.waiting = func() {
		if waiters.Add(1) == 2 {
			close(joined)
		}
	}
	first := make(chan error)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw"))
		first <- err
	}()
	<-started // the first check holds the only slot, in its hash
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw").WithContext(ctx))
		done <- err
	}()
	<-joined
	cancel()
	wantEndedWhileWaiting(t, done)
	close(release)
	if err := <-first; err != nil {
		t.Errorf("the check in flight: %v", err)
	}
}

// wantEndedWhileWaiting fails unless done yields, within 5s, the 503 of a
// request whose context ended while it waited for a check slot.
func wantEndedWhileWaiting(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		var ue *verifiers.UnavailableError
		if !errors.As(err, &ue) || !errors.Is(err, context.Canceled) || ue.RetryAfter != time.Second ||
			ue.Detail != "the request ended while it waited for its password check" {
			t.Errorf("error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting 5s after the context ended")
	}
}

// TestVerify_ended_request_starts_no_check: a request whose context has
// already ended (the client went away while it queued) is answered 503 at
// once, with no hash computed for it, and its password is not logged.
func TestVerify_ended_request_starts_no_check(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, memory(t, "alice", "pw"))
	var hashes atomic.Int32
	v.hashHook = func() { hashes.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Verify(basicReq("alice", "canary-ended-pw").WithContext(ctx))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, context.Canceled) || ue.RetryAfter != time.Second ||
		ue.Detail != "the request ended before its password check started" {
		t.Errorf("error %v", err)
	}
	if strings.Contains(err.Error(), "canary-ended-pw") {
		t.Error("password in the error")
	}
	if n := hashes.Load(); n != 0 {
		t.Errorf("%d hash checks for an ended request, want 0", n)
	}
	// A live request with the same credentials is checked as usual.
	if _, err := v.Verify(basicReq("alice", "pw")); err != nil {
		t.Fatal(err)
	}
	if n := hashes.Load(); n != 1 {
		t.Errorf("%d hash checks, want 1", n)
	}
}

// joinAbandonedCheck makes v's joiner case: while bob's check holds
// slowVerifier's only slot, alice's first request starts her check and
// waits for the slot, a second identical request joins it, and the first
// one's client leaves (its 503 checked). It returns the joiner's outcome
// and the count of callers that started waiting (v.flights.waiting).
func joinAbandonedCheck(t *testing.T, v *Verifier, started <-chan struct{}) (<-chan error, *atomic.Int32) {
	t.Helper()
	waiters := new(atomic.Int32)
	joined := make(chan struct{})
	v.flights.waiting = func() { // bob's check, alice's first caller, the joiner
		if waiters.Add(1) == 3 {
			close(joined)
		}
	}
	go v.Verify(basicReq("bob", "bobpw"))
	<-started // bob's check holds the only slot
	ctx, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw").WithContext(ctx))
		firstDone <- err
	}()
	for waiters.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	joiner := make(chan error, 1)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw"))
		joiner <- err
	}()
	<-joined
	cancel()
	wantEndedWhileWaiting(t, firstDone)
	return joiner, waiters
}

// TestVerify_joiner_outlives_first_callers_context: a request that joined
// an identical check whose first caller's context ended while it waited
// for a slot is not answered for that other request: it starts the check
// again and, once the slot frees, gets its own answer.
func TestVerify_joiner_outlives_first_callers_context(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, time.Minute)
	joiner, _ := joinAbandonedCheck(t, v, started)
	close(release)
	select {
	case err := <-joiner:
		if err != nil {
			t.Errorf("joiner: %v, want its own answer", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("joiner still waiting 5s after the slot freed")
	}
}

// TestVerify_joiner_retries_exhausted_own_words: a request that keeps
// joining checks abandoned by the requests that started them, once its
// retries are spent, gets a 503 in its own words (it is still alive, and
// was not checked), not the "request ended" of another request.
func TestVerify_joiner_retries_exhausted_own_words(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, time.Minute)
	none := 0
	v.flights.retries = &none // the first abandoned check exhausts them
	defer close(release)
	joiner, waiters := joinAbandonedCheck(t, v, started)
	select {
	case err := <-joiner:
		var ue *verifiers.UnavailableError
		want := "every identical password check this request joined (1 in a row) ended because the request that had started it ended first; this request was not checked"
		// Not context.Canceled, and no "request ended" in the logged
		// error: the joiner's own request had not ended.
		if !errors.As(err, &ue) || ue.Detail != want || ue.RetryAfter != time.Second ||
			errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "request ended") {
			t.Errorf("joiner: %v\nwant the 503 %q", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("joiner still waiting 5s after the first caller ended")
	}
	if n := waiters.Load(); n != 3 {
		t.Errorf("%d waits, want 3: the joiner started the check again", n)
	}
}

// TestVerify_joiner_retries_then_own_words: a joiner whose first retry
// joins another abandoned check (a second client that also left) counts
// both, and with its retries spent gets the 503 in its own words.
func TestVerify_joiner_retries_then_own_words(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, time.Minute)
	one := 1
	v.flights.retries = &one
	var waiters atomic.Int32
	v.flights.waiting = func() { waiters.Add(1) }
	go v.Verify(basicReq("bob", "bobpw"))
	<-started // bob's check holds the only slot
	defer close(release)
	// waitFor waits until n callers in all have started waiting. It is
	// called from other goroutines too, so it reports with Errorf.
	waitFor := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for waiters.Load() < n {
			if time.Now().After(deadline) {
				t.Errorf("%d callers waiting, want %d", waiters.Load(), n)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	// abandoned starts alice's check for a client that leaves once the
	// joiner waits on it too.
	abandoned := func(ctx context.Context) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := v.Verify(basicReq("alice", "pw").WithContext(ctx))
			done <- err
		}()
		return done
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	first := abandoned(ctx1)
	waitFor(2) // bob, first
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var second <-chan error
	v.flights.retrying = func(n int) {
		if n != 1 {
			t.Errorf("retry %d, want only 1", n)
			return
		}
		// Before the joiner starts the check again, a second client
		// starts it and waits for the slot: the joiner joins it.
		second = abandoned(ctx2)
		waitFor(4) // bob, first, joiner, second
		go func() {
			waitFor(5) // the joiner joined the second's check
			cancel2()
		}()
	}
	joiner := make(chan error, 1)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw"))
		joiner <- err
	}()
	waitFor(3) // bob, first, joiner
	cancel1()
	wantEndedWhileWaiting(t, first)
	select {
	case err := <-joiner:
		var ue *verifiers.UnavailableError
		want := "every identical password check this request joined (2 in a row) ended because the request that had started it ended first; this request was not checked"
		if !errors.As(err, &ue) || ue.Detail != want || errors.Is(err, context.Canceled) {
			t.Errorf("joiner: %v\nwant the 503 %q", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("joiner still waiting 5s after both clients left")
	}
	wantEndedWhileWaiting(t, second)
}

// TestVerify_joiner_shares_busy_answer: a request that joined a check
// answered "slots busy" shares that answer: it does not start the check
// again (only the end of the first caller's request does that).
func TestVerify_joiner_shares_busy_answer(t *testing.T) {
	t.Parallel()
	v, started, release := slowVerifier(t, 100*time.Millisecond)
	defer close(release)
	var waiters atomic.Int32
	joined := make(chan struct{})
	v.flights.waiting = func() { // bob's check, alice's first caller, the joiner
		if waiters.Add(1) == 3 {
			close(joined)
		}
	}
	go v.Verify(basicReq("bob", "bobpw"))
	<-started // bob's check holds the only slot
	first := make(chan error, 1)
	go func() {
		_, err := v.Verify(basicReq("alice", "pw"))
		first <- err
	}()
	for waiters.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	_, err := v.Verify(basicReq("alice", "pw"))
	<-joined
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.Detail, "all 1 password check slots stayed busy") {
		t.Errorf("joiner: %v, want the busy 503", err)
	}
	if err := <-first; !errors.As(err, &ue) {
		t.Errorf("first caller: %v, want the busy 503", err)
	}
	if n := waiters.Load(); n != 3 {
		t.Errorf("%d waits, want 3: the joiner started the check again", n)
	}
}
