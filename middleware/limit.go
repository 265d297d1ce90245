package middleware

import (
	"time"

	core "github.com/authgate/authgate/internal/limiter"
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

// FailureStore keeps the failure counts of WithFailureLimit, per key and
// window; see WithFailureStore. Implement it to share the counts of a
// fleet of gates (a Redis-backed store).
type FailureStore = core.Store

// FailureKey is what a FailureStore counts failures against: a client
// address, or a principal claimed from one. Its String method gives a
// store with string keys an unambiguous one.
type FailureKey = core.Key

// FailureCount is a FailureStore's count of one key: the failures in its
// window and how long the window has left.
type FailureCount = core.Count

// FailurePairStore is a FailureStore that reads a claimed principal's
// count and its client address's in one call (PairFailures): a network
// store then costs a request one round trip where two Failures calls
// would cost two. The gate uses it when the store given to
// WithFailureStore implements it.
type FailurePairStore = core.PairStore

// NewMemoryFailureStore returns a FailureStore in memory, the kind the
// gate counts in by default: bounded to about maxTracked keys (the least
// recently seen are forgotten first), never failing, reading time from
// now (time.Now when nil). window is the longest failure window it will
// count: keys untouched for that long may be dropped. Use it as the local
// part of a store of your own, such as a network store that keeps
// limiting while its backend is down; a gate without WithFailureStore
// needs none.
//
// NewMemoryFailureStore panics when maxTracked or window is not positive.
func NewMemoryFailureStore(maxTracked int, window time.Duration, now func() time.Time) FailureStore {
	if maxTracked <= 0 || window <= 0 {
		panic("authgate/middleware: NewMemoryFailureStore needs a positive maxTracked and window")
	}
	if now == nil {
		now = time.Now
	}
	return core.NewMemory(maxTracked, window, now)
}

// WithFailureStore keeps the counts of WithFailureLimit in s instead of
// the gate's memory, so that gates of several processes count a client's
// failures together. It has no effect without WithFailureLimit.
// Attempts in flight and the requests waiting for them stay in each
// gate's memory.
//
// When s fails, the gate answers as if the count were zero, never 5xx: a
// read that fails lets the request go on to its verifier (the bound on
// attempts in flight still holds), a failure that cannot be recorded is
// lost. A store that must keep limiting while its backend is down counts
// locally meanwhile, itself. The gate calls s without holding any lock,
// so a slow store delays only the requests that wait for it; a network
// store still bounds each call with a short timeout. A request from a
// client without failures costs one Failures call per limit that applies
// to it (the address's, the pair's), or one PairFailures call for both
// when s is a FailurePairStore; a gate without WithFailureLimit never
// calls s.
func WithFailureStore(s FailureStore) Option {
	return func(g *Gate) { g.failureStore = s }
}
