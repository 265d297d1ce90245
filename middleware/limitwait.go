package middleware

import (
	"context"
	"time"
)

// check tells whether at may go on to the verifiers and, when it may,
// reserves it a place among its client's attempts in flight, which end
// releases. A client whose failures and attempts in flight already reach
// a limit waits for one of them to end, or for its failures to leave
// their window (at most maxLimitWait in all, and not past ctx), and looks
// again: a failure fills the place for good, anything else frees it. At
// most maxWaitersPerKey requests wait per key. A client without failures
// costs a lookup in each generation, an increment of its busy count and
// no clock reading.
func (l *limiter) check(ctx context.Context, at *attempt) (blocked, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var timer *time.Timer
	var deadline time.Time
	final := false // the wait bound has passed: look once more, then give up
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		b, hit, full := l.look(ctx, at)
		if hit {
			return b, true
		}
		if !full {
			l.reserve(at)
			return b, false
		}
		b.retry = time.Second
		if final {
			return b, true
		}
		now := time.Now()
		if timer == nil {
			deadline = now.Add(l.waitLimit)
		}
		wait, expiring := deadline.Sub(now), false
		if b.expires > 0 && b.expires < wait {
			// At least a millisecond: with a clock that does not move in
			// step with real time (a test's), a tiny wait would spin.
			wait, expiring = max(b.expires, time.Millisecond), true
		}
		if wait <= 0 {
			return b, true
		}
		var wl *waitList
		if b.perPrincipal {
			wl = joinWait(l.pairWait, at.pair)
		} else {
			wl = joinWait(l.ipWait, at.cl.key)
		}
		if wl.n >= maxWaitersPerKey {
			b.crowded = wl.n
			return b, true
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		wl.n++
		l.mu.Unlock()
		gaveUp := false
		select {
		case <-wl.ch:
		case <-ctx.Done():
			gaveUp, b.ended = true, true
		case <-timer.C:
			final = !expiring
		}
		l.mu.Lock()
		l.leave(at, b.perPrincipal, wl)
		if gaveUp {
			return b, true
		}
	}
}

// leave takes a waiter off wl, the list it waited on.
func (l *limiter) leave(at *attempt, perPrincipal bool, wl *waitList) {
	if perPrincipal {
		leaveWait(l.pairWait, at.pair, wl)
	} else {
		leaveWait(l.ipWait, at.cl.key, wl)
	}
}

// waitList is the requests waiting for a place of one key.
type waitList struct {
	ch chan struct{} // closed by end when a place of the key may be free
	n  int           // requests waiting on ch
}

// joinWait returns the wait list of k, making one if none.
func joinWait[K comparable](m map[K]*waitList, k K) *waitList {
	wl := m[k]
	if wl == nil {
		wl = &waitList{ch: make(chan struct{})}
		m[k] = wl
	}
	return wl
}

// leaveWait takes a waiter off wl, the list it waited on for k, and drops
// the list when it was the last one.
func leaveWait[K comparable](m map[K]*waitList, k K, wl *waitList) {
	if wl.n--; wl.n == 0 && m[k] == wl {
		delete(m, k)
	}
}

// wakeWait wakes every request waiting for a place of k.
func wakeWait[K comparable](m map[K]*waitList, k K) {
	if wl := m[k]; wl != nil {
		close(wl.ch)
		delete(m, k)
	}
}
