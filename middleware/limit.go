package middleware

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// FailureLimit configures failed-attempt limiting; see WithFailureLimit.
// The zero value turns limiting off.
type FailureLimit struct {
	// PerIP is how many failed attempts a client IP address (an IPv6
	// client by its /64) may make within Window. Once it has made that
	// many, every request from it on the gate's Require and Optional
	// routes is answered 429 too_many_failures, without calling any
	// verifier, until Window has passed since its first failure; that
	// includes requests without credentials, anonymous ones on Optional
	// routes too. 0 turns the per-IP limit off.
	PerIP int
	// PerPrincipal is how many failed attempts one claimed principal (a
	// Basic user name, an API key id) may see from one client IP within
	// Window before further requests claiming it from that IP get 429.
	// The same principal from any other address is not affected. It needs
	// verifiers that implement verifiers.PrincipalClaimer (basic, apikey;
	// Bearer does not). 0 turns it off. On its own it does not bound an
	// address that tries many principals, one guess each (and one address
	// can make MaxTracked pairs, pushing older pairs out): set PerIP with
	// it.
	PerPrincipal int
	// Window is how long failures are remembered, counted from a client's
	// (or pair's) first failure. Required when a limit is set.
	Window time.Duration
	// MaxTracked bounds the memory: at most MaxTracked client addresses and
	// MaxTracked (principal, address) pairs are tracked; under a flood of
	// more distinct ones, the least recently seen are forgotten. 0 means
	// DefaultMaxTracked.
	MaxTracked int
}

// DefaultMaxTracked is FailureLimit.MaxTracked when it is 0.
const DefaultMaxTracked = 10000

// maxPrincipalLen bounds the claimed principals kept as map keys.
const maxPrincipalLen = 256

func (fl FailureLimit) on() bool { return fl.PerIP > 0 || fl.PerPrincipal > 0 }

// WithFailureLimit answers 429 with reason too_many_failures and
// Retry-After to clients that keep sending wrong credentials, before any
// verifier runs, so a guessing client spends neither a password hash nor a
// key-store lookup. It is off by default.
//
// A failed attempt is a guess that was checked and was wrong (unknown
// user or key, wrong password or secret, an invalid opaque token, a
// custom verifier's credentials_invalid) or a malformed or forged
// credential (bad signature, refused algorithm, malformed credentials or
// request). Rejections that no guess can turn into a success, that cost
// no secret check, and that genuine clients meet too are not counted: a
// stale credential (an expired or not-yet-valid token, a revoked or
// expired key), one meant for elsewhere (wrong issuer, audience or key
// environment, a missing claim), a token signed by a key not in the key
// set (as after the issuer rotates keys). A client that keeps sending its
// stale token gains nothing by it, and must not lock out its address.
// Neither are requests without credentials (a browser's first request
// carries none), unaccepted schemes, 403, 431, 503, nor 429s themselves.
// A success does not reset a client IP's count (an attacker would
// interleave a valid account of its own), but it does reset the count of
// the (principal, IP) pair it authenticated.
//
// Attempts in flight count against the limit too: a client with N
// failures may have at most limit−N requests being verified at once, and
// further requests wait (up to 2 s, and not past their context) for one
// of them to finish, then are let through or answered 429. At most 64
// requests wait at once for a place of one address, and 64 for a place
// of one (principal, address) pair; the next is answered 429 at once. So
// a burst of guesses sent in parallel is held to the limit as if sent one
// after another. A wait lasts as long as the verifications it waits for:
// microseconds for a cached token or key, about 70 ms for a bcrypt check,
// up to 2 s when a key set must be fetched (a request waiting behind a
// fetch that long gets 429).
// Set PerIP well above the number of requests one address (a NAT, a
// proxy) has verified at once.
//
// The trade-off: failures are counted per client IP and per (claimed
// principal, client IP) pair, never per principal alone. Locking an
// account after N failures from anywhere would hand attackers a button to
// lock out any user whose name they know; here a user on another address
// is never locked out by someone else's failures. The price is that
// guessing distributed over many addresses is bounded only by PerIP per
// address (with IPv6 counted per /64). Clients behind one NAT or proxy
// share one address: set PerIP with that in mind, and configure
// WithClientIPHeader behind your own reverse proxy, or every client will
// share the proxy's address.
//
// The 429 is logged like any rejection (once, subject to log sampling),
// with the limit that was hit and the count in the detail.
//
// WithFailureLimit panics on a negative value, or on a limit without a
// positive Window.
func WithFailureLimit(fl FailureLimit) Option {
	return func(g *Gate) {
		if fl.PerIP < 0 || fl.PerPrincipal < 0 || fl.MaxTracked < 0 || fl.Window < 0 {
			panic("authgate/middleware: WithFailureLimit: negative value")
		}
		if fl.on() && fl.Window == 0 {
			panic("authgate/middleware: WithFailureLimit needs a positive Window")
		}
		if fl.MaxTracked == 0 {
			fl.MaxTracked = DefaultMaxTracked
		}
		g.failureLimit = fl
	}
}

// maxLimitWait bounds how long a request waits for a place among its
// client's attempts in flight; see limiter.check.
const maxLimitWait = 2 * time.Second

// maxWaitersPerKey bounds the requests of one client IP (or one pair)
// that wait at once for a place; the next one gets 429 at once. It keeps
// the work of waking a key's waiters, done under the limiter's lock,
// bounded whatever a client sends.
const maxWaitersPerKey = 64

// limiter counts failed attempts; see WithFailureLimit.
//
// Besides the failures, it counts the attempts being verified (busy), per
// client IP and per pair: a client may have at most limit-failures
// attempts in flight, so that guesses sent in parallel are held to the
// limit as if they had been sent one after another. Requests waiting for
// a place wait on their key's list, which only the end of an attempt with
// that key wakes. The busy and wait maps hold an entry only while a
// request is being verified or waiting: they are bounded by the server's
// concurrency, not by the number of clients.
type limiter struct {
	mu        sync.Mutex
	fl        FailureLimit
	now       func() time.Time
	ips       *genMap[clientKey, failState]
	pairs     *genMap[pairKey, failState]
	ipBusy    map[clientKey]int
	pairBusy  map[pairKey]int
	ipWait    map[clientKey]*waitList
	pairWait  map[pairKey]*waitList
	waitLimit time.Duration // maxLimitWait; shorter in tests
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

type failState struct {
	start time.Time // first failure of the current window
	n     int
}

// pairKey is a claimed principal from one client.
type pairKey struct {
	scheme    string
	principal string
	client    clientKey
}

func newLimiter(fl FailureLimit, now func() time.Time) *limiter {
	// Each map holds two generations: half the bound each.
	half := max(fl.MaxTracked/2, 1)
	t := now()
	return &limiter{
		fl:        fl,
		now:       now,
		ips:       newGenMap[clientKey, failState](half, fl.Window, t),
		pairs:     newGenMap[pairKey, failState](half, fl.Window, t),
		ipBusy:    make(map[clientKey]int),
		pairBusy:  make(map[pairKey]int),
		ipWait:    make(map[clientKey]*waitList),
		pairWait:  make(map[pairKey]*waitList),
		waitLimit: maxLimitWait,
	}
}

// attempt is the limiter's view of one request on a limited route.
type attempt struct {
	cl       client
	claimed  bool // pair is set
	pair     pairKey
	pairSeen bool // the pair had failures when checked
	reserved bool // the attempt holds a place in flight: end must release it
	attr     string
}

// blocked is a limit a request hit.
type blocked struct {
	perPrincipal bool
	n            int           // failures counted
	busy         int           // attempts in flight, when the request gave up waiting for them
	retry        time.Duration // for Retry-After
	// expires is how long until the n failures leave their window (0
	// when n is 0): a request waiting for a place looks again then.
	expires time.Duration
	crowded int  // requests already waiting, when there were too many to wait too
	ended   bool // the request's context ended while it waited
}

// outcome is how an attempt ended, for limiter.end.
type outcome uint8

const (
	outcomeOther   outcome = iota // neither a failure nor an authentication
	outcomeFailure                // a failed attempt (reasonData.failure)
	outcomeSuccess                // authenticated
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
		b, hit, full := l.look(at)
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

// look reads the limits for at: hit when its failures reach a limit (b
// says which), full when its failures and attempts in flight do (b then
// says which, with the busy count).
func (l *limiter) look(at *attempt) (b blocked, hit, full bool) {
	var now time.Time
	if l.fl.PerIP > 0 {
		n := 0
		st, ok := l.ips.get(at.cl.key)
		if ok {
			now = l.now()
			if b, hit := l.hit(st, l.fl.PerIP, now); hit {
				return b, true, true
			}
			n = l.live(st, now)
		}
		if busy := l.ipBusy[at.cl.key]; n+busy >= l.fl.PerIP {
			return blocked{n: n, busy: busy, expires: l.expires(st, n, now)}, false, true
		}
	}
	if at.claimed {
		n := 0
		st, ok := l.pairs.get(at.pair)
		if ok {
			at.pairSeen = true
			if now.IsZero() {
				now = l.now()
			}
			if b, hit := l.hit(st, l.fl.PerPrincipal, now); hit {
				b.perPrincipal = true
				return b, true, true
			}
			n = l.live(st, now)
		}
		if busy := l.pairBusy[at.pair]; n+busy >= l.fl.PerPrincipal {
			return blocked{perPrincipal: true, n: n, busy: busy, expires: l.expires(st, n, now)}, false, true
		}
	}
	return blocked{}, false, false
}

func (l *limiter) hit(st failState, limit int, now time.Time) (blocked, bool) {
	left := st.start.Add(l.fl.Window).Sub(now)
	if st.n < limit || left <= 0 || now.Before(st.start) {
		return blocked{}, false
	}
	return blocked{n: st.n, retry: left}, true
}

// expires is how long until the n live failures of st leave their window.
func (l *limiter) expires(st failState, n int, now time.Time) time.Duration {
	if n == 0 {
		return 0
	}
	return st.start.Add(l.fl.Window).Sub(now)
}

// live is the failures of st still inside their window at now.
func (l *limiter) live(st failState, now time.Time) int {
	if now.Sub(st.start) >= l.fl.Window || now.Before(st.start) {
		return 0
	}
	return st.n
}

func (l *limiter) reserve(at *attempt) {
	if l.fl.PerIP > 0 {
		l.ipBusy[at.cl.key]++
	}
	if at.claimed {
		l.pairBusy[at.pair]++
	}
	at.reserved = true
}

// end releases the place of at, counting a failure or, on a success,
// resetting the pair it authenticated. It does nothing when at holds no
// place (it ended already, or it was blocked), so a deferred end after an
// explicit one is harmless.
func (l *limiter) end(at *attempt, o outcome) {
	if !at.reserved {
		return
	}
	at.reserved = false
	var now time.Time
	if o == outcomeFailure {
		now = l.now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fl.PerIP > 0 {
		decBusy(l.ipBusy, at.cl.key)
		wakeWait(l.ipWait, at.cl.key)
		if o == outcomeFailure {
			l.ips.turnIfDue(now)
			st, _ := l.ips.get(at.cl.key)
			l.ips.put(at.cl.key, l.count(st, now))
		}
	}
	if at.claimed {
		decBusy(l.pairBusy, at.pair)
		wakeWait(l.pairWait, at.pair)
		switch {
		case o == outcomeFailure:
			l.pairs.turnIfDue(now)
			st, _ := l.pairs.get(at.pair)
			l.pairs.put(at.pair, l.count(st, now))
		case o == outcomeSuccess && at.pairSeen:
			l.pairs.del(at.pair)
		}
	}
}

func decBusy[K comparable](m map[K]int, k K) {
	if n := m[k]; n > 1 {
		m[k] = n - 1
	} else {
		delete(m, k)
	}
}

func (l *limiter) count(st failState, now time.Time) failState {
	if st.n == 0 || now.Sub(st.start) >= l.fl.Window || now.Before(st.start) {
		return failState{start: now, n: 1}
	}
	st.n++
	return st
}

// endAttempt ends at (nil when failure limiting is off) with outcome o.
func (g *Gate) endAttempt(at *attempt, o outcome) {
	if at != nil {
		g.limiter.end(at, o)
	}
}

// startAttempt identifies the client and the principal it claims, and
// answers 429 when a limit is hit. It reports false when it answered the
// request; the attempt is nil when failure limiting is off.
func (rt *route) startAttempt(w http.ResponseWriter, r *http.Request) (*attempt, bool) {
	g := rt.g
	if g.limiter == nil {
		return nil, true
	}
	at := &attempt{cl: g.client(r)}
	if g.limiter.fl.PerPrincipal > 0 {
		for _, e := range rt.entries {
			if e.claimer == nil {
				continue
			}
			if p, ok := claimedPrincipal(e.claimer, r); ok && p != "" {
				if len(p) > maxPrincipalLen {
					p = p[:maxPrincipalLen]
				}
				// A copy: the principal may be a slice of a request
				// header, and map keys (stored on a lookup too, when an
				// entry moves generation) outlive the request.
				p = strings.Clone(p)
				at.claimed = true
				at.pair = pairKey{scheme: e.ch.Scheme, principal: p, client: at.cl.key}
				at.attr = e.principalAttr
				break
			}
		}
	}
	b, hit := g.limiter.check(r.Context(), at)
	if !hit {
		return at, true
	}
	rf := &refusal{
		reason:     verifiers.TooManyFailures,
		hint:       "a client is guessing credentials, or a misconfigured client retries with bad credentials in a loop",
		retryAfter: b.retry,
		cl:         at.cl,
		hasCl:      true,
	}
	window := g.limiter.fl.Window.String()
	what, limit := "from this client IP", g.limiter.fl.PerIP
	if b.perPrincipal {
		what, limit = "for this "+at.attr+" from this client IP", g.limiter.fl.PerPrincipal
		rf.scheme = at.pair.scheme
		rf.attrs = []verifiers.Attr{{Key: at.attr, Value: at.pair.principal}}
	} else {
		rf.gateText = true
	}
	per := " (limit " + strconv.Itoa(limit) + " per client IP)"
	if b.perPrincipal {
		per = " (limit " + strconv.Itoa(limit) + " per principal and client IP)"
	}
	if b.busy > 0 {
		var why string
		switch {
		case b.crowded > 0:
			why = "; " + strconv.Itoa(b.crowded) + " more requests were already waiting for them to finish, the most allowed"
		case b.ended:
			why = "; the request ended (the client went away or its deadline passed) while it waited for them to finish"
		default:
			why = "; the request gave up waiting for them to finish"
		}
		rf.detail = strconv.Itoa(b.n) + " failed attempts " + what + " within " + window + " and " +
			strconv.Itoa(b.busy) + " more still being verified" + per + why + "; no verifier was called"
	} else {
		rf.detail = strconv.Itoa(b.n) + " failed attempts " + what + " within " + window + per + "; no verifier was called"
	}
	g.refuse(w, r, rf)
	return nil, false
}

// claimedPrincipal calls c, turning a panic into no claim: a broken
// claimer must not take the request down before its verifier can even
// report on it.
func claimedPrincipal(c verifiers.PrincipalClaimer, r *http.Request) (p string, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p, ok = "", false
		}
	}()
	return c.ClaimedPrincipal(r)
}
