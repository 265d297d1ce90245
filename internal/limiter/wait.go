package limiter

import (
	"context"
	"time"
)

// Check tells whether at may go on to be verified and, when it may,
// reserves it a place among its keys' attempts in flight, which End
// releases. A client whose failures and attempts in flight already reach
// a limit waits for one of them to end, or for its failures to leave
// their window (at most MaxWait in all, and not past ctx), and looks
// again: a failure fills the place for good, anything else frees it. At
// most MaxWaiters requests wait per key; the next is refused at once.
// A client without failures costs a Failures call per limit and an
// increment of its busy count.
//
// Waiting is measured by timers, not by reading a clock: the Store's
// clock is the only one.
func (l *Limiter) Check(ctx context.Context, at *Attempt) (Blocked, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var bound, expiry *time.Timer // the whole wait; the current failures' window
	defer func() {
		if bound != nil {
			bound.Stop()
		}
		if expiry != nil {
			expiry.Stop()
		}
	}()
	final := false // the wait bound has passed: look once more, then give up
	for {
		b, hit, full := l.look(ctx, at)
		if hit {
			return b, true
		}
		if !full {
			return b, false // look reserved the place
		}
		b.Retry = time.Second
		if final {
			return b, true
		}
		var wl *waitList
		if b.PerPrincipal {
			wl = joinWait(l.pairSlots, at.Pair)
		} else {
			wl = joinWait(l.ipSlots, at.Client)
		}
		if wl.n >= l.cfg.MaxWaiters {
			b.Crowded = wl.n
			return b, true
		}
		if bound == nil {
			bound = time.NewTimer(l.cfg.MaxWait)
		}
		var expired <-chan time.Time
		if b.expires > 0 && b.expires < l.cfg.MaxWait {
			// At least a millisecond: with a clock that does not move in
			// step with real time (a test's), a tiny wait would spin.
			d := max(b.expires, time.Millisecond)
			if expiry == nil {
				expiry = time.NewTimer(d)
			} else {
				expiry.Reset(d)
			}
			expired = expiry.C
		}
		wl.n++
		l.mu.Unlock()
		gaveUp := false
		select {
		case <-wl.ch:
		case <-ctx.Done():
			gaveUp, b.Ended = true, true
		case <-bound.C:
			final = true
		case <-expired:
		}
		l.mu.Lock()
		l.leave(at, b.PerPrincipal, wl)
		if gaveUp {
			return b, true
		}
	}
}

// waitList is the requests waiting for a place of one key.
type waitList struct {
	ch chan struct{} // closed by End when a place of the key may be free
	n  int           // requests waiting on ch
}

// leave takes a waiter off wl, the list it waited on.
func (l *Limiter) leave(at *Attempt, perPrincipal bool, wl *waitList) {
	if perPrincipal {
		leaveWait(l.pairSlots, at.Pair, wl)
	} else {
		leaveWait(l.ipSlots, at.Client, wl)
	}
}

// joinWait returns the wait list of k, making one if none.
func joinWait[K comparable](m map[K]slot, k K) *waitList {
	s := m[k]
	if s.wait == nil {
		s.wait = &waitList{ch: make(chan struct{})}
		m[k] = s
	}
	return s.wait
}

// leaveWait takes a waiter off wl, the list it waited on for k, and drops
// the list when it was the last one (End may have replaced it already).
func leaveWait[K comparable](m map[K]slot, k K, wl *waitList) {
	if wl.n--; wl.n == 0 {
		if s, ok := m[k]; ok && s.wait == wl {
			s.wait = nil
			put(m, k, s)
		}
	}
}

// Waiters is how many requests wait for a place, for tests and metrics.
func (l *Limiter) Waiters() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.ipSlots {
		if s.wait != nil {
			n += s.wait.n
		}
	}
	for _, s := range l.pairSlots {
		if s.wait != nil {
			n += s.wait.n
		}
	}
	return n
}
