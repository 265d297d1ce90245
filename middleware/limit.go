package middleware

import (
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
	// Bearer does not). 0 turns it off.
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
// A failed attempt is a rejection with status 401 or 400 other than
// credentials_missing (a browser's first request carries no credentials):
// wrong, malformed or unaccepted credentials. 403, 431 and 503 do not
// count, and 429s themselves do not either. A success does not reset a
// client IP's count (an attacker would interleave a valid account of its
// own), but it does reset the count of the (principal, IP) pair it
// authenticated.
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
// with the limit that was hit and the count in the detail. The counters
// are approximate under concurrency: requests already being verified when
// the limit is reached still complete.
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

// limiter counts failed attempts; see WithFailureLimit.
type limiter struct {
	mu    sync.Mutex
	fl    FailureLimit
	now   func() time.Time
	ips   *genMap[clientKey, failState]
	pairs *genMap[pairKey, failState]
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
		fl:    fl,
		now:   now,
		ips:   newGenMap[clientKey, failState](half, fl.Window, t),
		pairs: newGenMap[pairKey, failState](half, fl.Window, t),
	}
}

// attempt is the limiter's view of one request on a limited route.
type attempt struct {
	cl       client
	claimed  bool // pair is set
	pair     pairKey
	pairSeen bool // the pair had failures when checked
	attr     string
}

// blocked is a limit a request hit.
type blocked struct {
	perPrincipal bool
	n            int
	retry        time.Duration
}

// check tells whether at may go on to the verifiers. A client without
// failures costs a lookup in each generation and no clock reading.
func (l *limiter) check(at *attempt) (blocked, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fl.PerIP > 0 {
		if st, ok := l.ips.get(at.cl.key); ok {
			if b, hit := l.hit(st, l.fl.PerIP, l.now()); hit {
				return b, true
			}
		}
	}
	if at.claimed {
		if st, ok := l.pairs.get(at.pair); ok {
			at.pairSeen = true
			if b, hit := l.hit(st, l.fl.PerPrincipal, l.now()); hit {
				b.perPrincipal = true
				return b, true
			}
		}
	}
	return blocked{}, false
}

func (l *limiter) hit(st failState, limit int, now time.Time) (blocked, bool) {
	left := st.start.Add(l.fl.Window).Sub(now)
	if st.n < limit || left <= 0 {
		return blocked{}, false
	}
	return blocked{n: st.n, retry: left}, true
}

// fail counts a failed attempt.
func (l *limiter) fail(at *attempt) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fl.PerIP > 0 {
		l.ips.turnIfDue(now)
		st, _ := l.ips.get(at.cl.key)
		l.ips.put(at.cl.key, l.count(st, now))
	}
	if at.claimed {
		l.pairs.turnIfDue(now)
		st, _ := l.pairs.get(at.pair)
		l.pairs.put(at.pair, l.count(st, now))
	}
}

func (l *limiter) count(st failState, now time.Time) failState {
	if st.n == 0 || now.Sub(st.start) >= l.fl.Window || now.Before(st.start) {
		return failState{start: now, n: 1}
	}
	st.n++
	return st
}

// succeed resets the pair of an authenticated request.
func (l *limiter) succeed(at *attempt) {
	if !at.pairSeen {
		return
	}
	l.mu.Lock()
	l.pairs.del(at.pair)
	l.mu.Unlock()
}

// startAttempt identifies the client and the principal it claims, and
// answers 429 when a limit is hit. It reports false when it answered the
// request.
func (rt *route) startAttempt(w http.ResponseWriter, r *http.Request, at *attempt) bool {
	g := rt.g
	at.cl = g.client(r)
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
	b, hit := g.limiter.check(at)
	if !hit {
		return true
	}
	rf := &refusal{
		reason:     verifiers.TooManyFailures,
		hint:       "a client is guessing credentials, or a misconfigured client retries with bad credentials in a loop",
		retryAfter: b.retry,
		cl:         at.cl,
		hasCl:      true,
	}
	window := g.limiter.fl.Window.String()
	if b.perPrincipal {
		rf.scheme = at.pair.scheme
		rf.detail = strconv.Itoa(b.n) + " failed attempts for this " + at.attr + " from this client IP within " + window +
			" (limit " + strconv.Itoa(g.limiter.fl.PerPrincipal) + " per principal and client IP); no verifier was called"
		rf.attrs = []verifiers.Attr{{Key: at.attr, Value: at.pair.principal}}
	} else {
		rf.detail = strconv.Itoa(b.n) + " failed attempts from this client IP within " + window +
			" (limit " + strconv.Itoa(g.limiter.fl.PerIP) + " per client IP); no verifier was called"
		rf.gateText = true
	}
	g.refuse(w, r, rf)
	return false
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
