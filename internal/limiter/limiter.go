package limiter

import (
	"context"
	"sync"
	"time"
)

// Config is a Limiter's limits.
type Config struct {
	// PerIP and PerPrincipal are the failures a client address, and a
	// principal claimed from one address, may have within Window; 0 turns
	// that limit off.
	PerIP, PerPrincipal int
	Window              time.Duration
	// MaxWait bounds how long a request waits for a place among its
	// key's attempts in flight (DefaultMaxWait when 0), and MaxWaiters how
	// many wait at once per key (DefaultMaxWaiters when 0).
	MaxWait    time.Duration
	MaxWaiters int
}

// DefaultMaxWait and DefaultMaxWaiters are Config's when left 0.
const (
	DefaultMaxWait    = 2 * time.Second
	DefaultMaxWaiters = 64
)

// Limiter decides whether an attempt may go on to be verified, from the
// failures its Store counts and the attempts in flight it counts itself.
//
// A client may have at most limit-failures attempts in flight, per client
// address and per pair, so that guesses sent in parallel are held to the
// limit as if they had been sent one after another. Requests waiting for
// a place wait on their key's list, which only the end of an attempt with
// that key wakes. The in-flight and wait maps hold an entry only while a
// request is being verified or waiting: they are bounded by the server's
// concurrency, not by the number of clients, and they stay in the
// process whatever the Store.
type Limiter struct {
	mu  sync.Mutex
	cfg Config
	// ips and pairs count failures of addresses and of pairs; they may be
	// one Store. Two by default, so that one address's junk principals
	// cannot push its own address's count out.
	ips, pairs Store
	ipBusy     map[[16]byte]int
	pairBusy   map[Key]int
	ipWait     map[[16]byte]*waitList
	pairWait   map[Key]*waitList
}

// New returns a Limiter with cfg's limits, counting failures of client
// addresses in ips and of pairs in pairs (which may be the same Store).
func New(cfg Config, ips, pairs Store) *Limiter {
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxWaiters <= 0 {
		cfg.MaxWaiters = DefaultMaxWaiters
	}
	return &Limiter{
		cfg:      cfg,
		ips:      ips,
		pairs:    pairs,
		ipBusy:   make(map[[16]byte]int),
		pairBusy: make(map[Key]int),
		ipWait:   make(map[[16]byte]*waitList),
		pairWait: make(map[Key]*waitList),
	}
}

// Attempt is one request on a limited route, from Check to End.
type Attempt struct {
	Client  [16]byte // the client's address, as Key.Client
	Claimed bool     // Pair is set: the request claims a principal
	Pair    Key      // the claimed principal from Client

	pairSeen bool // the pair had failures when checked
	reserved bool // the attempt holds a place in flight: End must release it
}

// Blocked says which limit a refused attempt hit, for the refusal's
// detail.
type Blocked struct {
	PerPrincipal bool          // the pair's limit, else the address's
	N            int           // failures counted
	Busy         int           // attempts in flight, when the request gave up waiting for them
	Retry        time.Duration // for Retry-After
	Crowded      int           // requests already waiting, when there were too many to wait too
	Ended        bool          // the request's context ended while it waited
	// expires is how long until the N failures leave their window (0
	// when N is 0): a request waiting for a place looks again then.
	expires time.Duration
}

// Outcome is how an attempt ended, for End.
type Outcome uint8

// The outcomes of an attempt.
const (
	Other   Outcome = iota // neither a failure nor an authentication
	Failure                // a failed attempt: a guess (verifiers.ReasonInfo.Guess)
	Success                // authenticated
)

// look reads the limits for at: hit when its failures reach a limit (b
// says which), full when its failures and attempts in flight do (b then
// says which, with the busy count). A count the store cannot read counts
// as none: the limit fails open, never with an error. The caller holds
// l.mu.
func (l *Limiter) look(ctx context.Context, at *Attempt) (b Blocked, hit, full bool) {
	if l.cfg.PerIP > 0 {
		c, err := l.ips.Failures(ctx, Key{Client: at.Client})
		if err != nil {
			c = Count{}
		}
		if c.N >= l.cfg.PerIP {
			return Blocked{N: c.N, Retry: c.Left}, true, true
		}
		if busy := l.ipBusy[at.Client]; c.N+busy >= l.cfg.PerIP {
			return Blocked{N: c.N, Busy: busy, expires: c.Left}, false, true
		}
	}
	if at.Claimed {
		c, err := l.pairs.Failures(ctx, at.Pair)
		if err != nil {
			c = Count{}
		}
		if c.N > 0 {
			at.pairSeen = true
		}
		if c.N >= l.cfg.PerPrincipal {
			return Blocked{PerPrincipal: true, N: c.N, Retry: c.Left}, true, true
		}
		if busy := l.pairBusy[at.Pair]; c.N+busy >= l.cfg.PerPrincipal {
			return Blocked{PerPrincipal: true, N: c.N, Busy: busy, expires: c.Left}, false, true
		}
	}
	return Blocked{}, false, false
}

// reserve gives at a place in flight; the caller holds l.mu.
func (l *Limiter) reserve(at *Attempt) {
	if l.cfg.PerIP > 0 {
		l.ipBusy[at.Client]++
	}
	if at.Claimed {
		l.pairBusy[at.Pair]++
	}
	at.reserved = true
}

// End releases the place of at, counting a failure or, on a success,
// resetting the pair it authenticated, and wakes the requests waiting for
// a place of its keys. It does nothing when at holds no place (it ended
// already, or it was blocked), so a deferred End after an explicit one is
// harmless. The store is called with a context that no request cancels:
// a client that hangs up at once is counted all the same. Its errors lose
// the failure (or the reset), never the answer.
func (l *Limiter) End(at *Attempt, o Outcome) {
	if !at.reserved {
		return
	}
	at.reserved = false
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx := context.Background()
	if l.cfg.PerIP > 0 {
		if o == Failure {
			_, _ = l.ips.Fail(ctx, Key{Client: at.Client}, l.cfg.Window)
		}
		decBusy(l.ipBusy, at.Client)
		wakeWait(l.ipWait, at.Client)
	}
	if at.Claimed {
		switch {
		case o == Failure:
			_, _ = l.pairs.Fail(ctx, at.Pair, l.cfg.Window)
		case o == Success && at.pairSeen:
			_ = l.pairs.Forget(ctx, at.Pair)
		}
		decBusy(l.pairBusy, at.Pair)
		wakeWait(l.pairWait, at.Pair)
	}
}

func decBusy[K comparable](m map[K]int, k K) {
	if n := m[k]; n > 1 {
		m[k] = n - 1
	} else {
		delete(m, k)
	}
}
