package limiter

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// newTest is a Limiter with limits fl counting in two Memory stores on
// the real clock, waiting at most wait.
func newTest(cfg Config, now func() time.Time, maxTracked int) *Limiter {
	return New(cfg, NewMemory(maxTracked, cfg.Window, now), NewMemory(maxTracked, cfg.Window, now))
}

// ipKey is the Client of an address, as the gate keys IPv4 clients.
func ipKey(s string) [16]byte { return netip.MustParseAddr(s).Unmap().As16() }

// holdPlace reserves a place for at, failing the test if it is refused.
func holdPlace(t *testing.T, l *Limiter, at *Attempt) {
	t.Helper()
	if b, hit := l.Check(context.Background(), at); hit {
		t.Fatalf("check refused %+v: %+v", at.Client, b)
	}
}

// waitersOf is how many requests wait for a place of the client k.
func waitersOf(l *Limiter, k [16]byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wl := l.ipSlots[k].wait; wl != nil {
		return wl.n
	}
	return 0
}

// failOnce counts one failed attempt of at, as a request that was let
// through and then failed.
func (l *Limiter) failOnce(at *Attempt) {
	l.mu.Lock()
	s := l.ipSlots[at.Client]
	s.busy++
	l.ipSlots[at.Client] = s
	if at.Claimed {
		s := l.pairSlots[at.Pair]
		s.busy++
		l.pairSlots[at.Pair] = s
	}
	at.reserved = true
	l.mu.Unlock()
	l.End(at, Failure)
}

// TestLimiterWakesOnlyItsKey: requests waiting for a place of one address
// are not woken by attempts ending at another address (each of which
// would otherwise make every waiter take the lock and look again), and
// are all let through, one after another, once their address's attempt
// ends; nothing is left in the busy and wait maps afterwards.
func TestLimiterWakesOnlyItsKey(t *testing.T) {
	t.Parallel()
	l := newTest(Config{PerIP: 1, Window: time.Minute, MaxWait: time.Minute}, time.Now, 10000)
	a, b := ipKey("192.0.2.1"), ipKey("192.0.2.2")
	holder := &Attempt{Client: a}
	holdPlace(t, l, holder)
	const waiters = 10
	var wg sync.WaitGroup
	through := make(chan bool, waiters)
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := &Attempt{Client: a}
			_, hit := l.Check(context.Background(), at)
			through <- !hit
			l.End(at, Success)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); waitersOf(l, a) < waiters; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiting, want %d", waitersOf(l, a), waiters)
		}
	}
	l.mu.Lock()
	wl := l.ipSlots[a].wait
	l.mu.Unlock()
	for range 100 {
		other := &Attempt{Client: b}
		holdPlace(t, l, other)
		l.End(other, Failure)
		_ = l.ips.Forget(context.Background(), Key{Client: b})
	}
	select {
	case <-wl.ch:
		t.Fatal("the waiters of 192.0.2.1 were woken by attempts of 192.0.2.2")
	default:
	}
	if n := waitersOf(l, a); n != waiters {
		t.Fatalf("%d waiting after the other address's attempts, want %d", n, waiters)
	}
	l.End(holder, Success)
	wg.Wait()
	close(through)
	for ok := range through {
		if !ok {
			t.Error("a waiter was refused after the place was freed")
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ipSlots) != 0 || len(l.pairSlots) != 0 {
		t.Errorf("left behind: %d address slots %v, %d pair slots", len(l.ipSlots), l.ipSlots, len(l.pairSlots))
	}
}

// TestLimiterWaiterLooksAgainWhenFailuresExpire: a request waiting for a
// place that a failure fills looks again when that failure leaves its
// window (counted from the failure, not from when the request came),
// rather than waiting until it gives up.
func TestLimiterWaiterLooksAgainWhenFailuresExpire(t *testing.T) {
	t.Parallel()
	const window = 400 * time.Millisecond
	l := newTest(Config{PerIP: 2, Window: window, MaxWait: time.Minute}, time.Now, 10000)
	k := ipKey("192.0.2.1")
	failed := time.Now()
	l.failOnce(&Attempt{Client: k})
	holder := &Attempt{Client: k}
	holdPlace(t, l, holder)
	defer l.End(holder, Success)
	time.Sleep(window / 2)
	start := time.Now()
	at := &Attempt{Client: k}
	b, hit := l.Check(context.Background(), at)
	if hit {
		t.Fatalf("refused after %v: %+v", time.Since(start), b)
	}
	l.End(at, Success)
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
	l := newTest(Config{PerIP: 2, Window: time.Hour, MaxWait: 200 * time.Millisecond}, time.Now, 10000)
	k := ipKey("192.0.2.1")
	l.failOnce(&Attempt{Client: k})
	holder := &Attempt{Client: k}
	holdPlace(t, l, holder)
	defer l.End(holder, Success)
	go func() {
		for waitersOf(l, k) == 0 {
			time.Sleep(time.Millisecond)
		}
		_ = l.ips.Forget(context.Background(), Key{Client: k})
	}()
	at := &Attempt{Client: k}
	if b, hit := l.Check(context.Background(), at); hit {
		t.Fatalf("refused at the wait bound although a place was free: %+v", b)
	}
	l.End(at, Success)
}

// TestLimiterBoundUnderFlood: 100k distinct failing addresses (and as
// many pairs) never grow the memory stores past their bound, and an
// address that keeps failing stays blocked throughout.
func TestLimiterBoundUnderFlood(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l := newTest(Config{PerIP: 3, PerPrincipal: 3, Window: time.Hour}, func() time.Time { return now }, 1000)
	attacker := &Attempt{Client: ipKey("192.0.2.66")}
	for range 3 {
		l.failOnce(attacker)
	}
	for i := range 100000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).As16()
		at := &Attempt{Client: a, Claimed: true, Pair: Key{Client: a, Scheme: "Basic", Principal: "user"}}
		l.failOnce(at)
		if n := l.ips.(*Memory).Len(); n > 1000 {
			t.Fatalf("after %d addresses: %d tracked, bound 1000", i+1, n)
		}
		if n := l.pairs.(*Memory).Len(); n > 1000 {
			t.Fatalf("after %d pairs: %d tracked, bound 1000", i+1, n)
		}
		if i%100 == 0 {
			if _, hit := l.Check(context.Background(), attacker); !hit {
				t.Fatalf("the attacker was forgotten after %d other addresses", i+1)
			}
		}
	}
}
