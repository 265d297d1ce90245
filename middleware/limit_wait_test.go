package middleware

import (
	"context"
	"sync"
	"testing"
	"time"
)

// holdPlace reserves a place for at, failing the test if it is refused.
func holdPlace(t *testing.T, l *limiter, at *attempt) {
	t.Helper()
	if b, hit := l.check(context.Background(), at); hit {
		t.Fatalf("check refused %+v: %+v", at.cl, b)
	}
}

// waitersOf is how many requests wait for a place of the client key k.
func waitersOf(l *limiter, k clientKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wl := l.ipWait[k]; wl != nil {
		return wl.n
	}
	return 0
}

// TestLimiterWakesOnlyItsKey: requests waiting for a place of one address
// are not woken by attempts ending at another address (each of which
// would otherwise make every waiter take the lock and look again), and
// are all let through, one after another, once their address's attempt
// ends; nothing is left in the busy and wait maps afterwards.
func TestLimiterWakesOnlyItsKey(t *testing.T) {
	t.Parallel()
	l := newLimiter(FailureLimit{PerIP: 1, Window: time.Minute}, time.Now, nil)
	l.waitLimit = time.Minute
	a, b := ipKey("192.0.2.1"), ipKey("192.0.2.2")
	holder := &attempt{cl: client{key: a}}
	holdPlace(t, l, holder)
	const waiters = 10
	var wg sync.WaitGroup
	through := make(chan bool, waiters)
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := &attempt{cl: client{key: a}}
			_, hit := l.check(context.Background(), at)
			through <- !hit
			l.end(at, outcomeSuccess)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); waitersOf(l, a) < waiters; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiting, want %d", waitersOf(l, a), waiters)
		}
	}
	l.mu.Lock()
	wl := l.ipWait[a]
	l.mu.Unlock()
	for range 100 {
		other := &attempt{cl: client{key: b}}
		holdPlace(t, l, other)
		l.end(other, outcomeFailure)
		_ = l.ips.Forget(context.Background(), ipStoreKey(b))
	}
	select {
	case <-wl.ch:
		t.Fatal("the waiters of 192.0.2.1 were woken by attempts of 192.0.2.2")
	default:
	}
	if n := waitersOf(l, a); n != waiters {
		t.Fatalf("%d waiting after the other address's attempts, want %d", n, waiters)
	}
	l.end(holder, outcomeSuccess)
	wg.Wait()
	close(through)
	for ok := range through {
		if !ok {
			t.Error("a waiter was refused after the place was freed")
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ipBusy) != 0 || len(l.ipWait) != 0 || len(l.pairWait) != 0 {
		t.Errorf("left behind: busy %v, ip waits %d, pair waits %d", l.ipBusy, len(l.ipWait), len(l.pairWait))
	}
}

// TestLimiterWaiterLooksAgainWhenFailuresExpire: a request waiting for a
// place that a failure fills looks again when that failure leaves its
// window (counted from the failure, not from when the request came),
// rather than waiting until it gives up.
func TestLimiterWaiterLooksAgainWhenFailuresExpire(t *testing.T) {
	t.Parallel()
	const window = 400 * time.Millisecond
	l := newLimiter(FailureLimit{PerIP: 2, Window: window}, time.Now, nil)
	l.waitLimit = time.Minute
	k := ipKey("192.0.2.1")
	failed := time.Now()
	l.failOnce(&attempt{cl: client{key: k}})
	holder := &attempt{cl: client{key: k}}
	holdPlace(t, l, holder)
	defer l.end(holder, outcomeSuccess)
	time.Sleep(window / 2)
	start := time.Now()
	at := &attempt{cl: client{key: k}}
	b, hit := l.check(context.Background(), at)
	if hit {
		t.Fatalf("refused after %v: %+v", time.Since(start), b)
	}
	l.end(at, outcomeSuccess)
	if since := time.Since(failed); since < window {
		t.Errorf("let through %v after the failure, before its window (%v) ended", since, window)
	}
	if took := time.Since(start); took > window+5*time.Second {
		t.Errorf("let through after waiting %v, want about what was left of the window", took)
	}
}

// TestLimiterLooksOnceMoreAtTheWaitBound: a place freed without an
// attempt ending (here: the failure filling it forgotten, as under a
// flood of addresses) wakes no one; a waiter still gets it when its wait
// bound comes, rather than a 429.
func TestLimiterLooksOnceMoreAtTheWaitBound(t *testing.T) {
	t.Parallel()
	l := newLimiter(FailureLimit{PerIP: 2, Window: time.Hour}, time.Now, nil)
	l.waitLimit = 200 * time.Millisecond
	k := ipKey("192.0.2.1")
	l.failOnce(&attempt{cl: client{key: k}})
	holder := &attempt{cl: client{key: k}}
	holdPlace(t, l, holder)
	defer l.end(holder, outcomeSuccess)
	go func() {
		for waitersOf(l, k) == 0 {
			time.Sleep(time.Millisecond)
		}
		l.mu.Lock()
		_ = l.ips.Forget(context.Background(), ipStoreKey(k))
		l.mu.Unlock()
	}()
	at := &attempt{cl: client{key: k}}
	if b, hit := l.check(context.Background(), at); hit {
		t.Fatalf("refused at the wait bound although a place was free: %+v", b)
	}
	l.end(at, outcomeSuccess)
}
