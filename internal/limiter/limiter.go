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

// maxRereads bounds how often Check reads a key's count again because an
// attempt of that key ended while it read; after that it decides on what
// it read (a failure stored meanwhile may then be missed once).
const maxRereads = 4

// Limiter decides whether an attempt may go on to be verified, from the
// failures its Store counts and the attempts in flight it counts itself.
//
// A client may have at most limit-failures attempts in flight, per client
// address and per pair, so that guesses sent in parallel are held to the
// limit as if they had been sent one after another. Requests waiting for
// a place wait on their key's list, which only the end of an attempt with
// that key wakes. The per-key slots exist only while a request is being
// verified, waiting, or reading the key's count: they are bounded by the
// server's concurrency, not by the number of clients, and they stay in
// the process whatever the Store.
//
// The Store is never called under the Limiter's lock, so a network store
// delays only the requests that wait for it. The count a check reads is
// kept exact by the slot's end counter: a check that read while an
// attempt of the same key ended reads again.
type Limiter struct {
	mu  sync.Mutex
	cfg Config
	// ips and pairs count failures of addresses and of pairs; they may be
	// one Store. Two by default, so that one address's junk principals
	// cannot push its own address's count out.
	ips, pairs Store
	// both is the one Store of NewShared when it reads both counts of
	// an attempt in one call; nil otherwise.
	both      PairStore
	ipSlots   map[[16]byte]slot
	pairSlots map[Key]slot
}

// slot is the in-process state of one key.
type slot struct {
	busy    int       // attempts in flight
	pending int       // attempts ended as failures, not yet in the store
	readers int       // checks reading the key's count from the store
	ends    uint64    // attempts that finished ending since the slot was made
	wait    *waitList // requests waiting for a place; nil when none
}

func (s slot) idle() bool { return s.busy == 0 && s.pending == 0 && s.readers == 0 && s.wait == nil }

// put stores s for k, or drops the slot when it holds nothing.
func put[K comparable](m map[K]slot, k K, s slot) {
	if s.idle() {
		delete(m, k)
	} else {
		m[k] = s
	}
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
	return &Limiter{cfg: cfg, ips: ips, pairs: pairs, ipSlots: make(map[[16]byte]slot), pairSlots: make(map[Key]slot)}
}

// NewShared returns a Limiter with cfg's limits counting failures of
// addresses and of pairs in the one Store s. When s is a PairStore, a
// check of an attempt that claims a principal reads both counts in one
// PairFailures call.
func NewShared(cfg Config, s Store) *Limiter {
	l := New(cfg, s, s)
	l.both, _ = s.(PairStore)
	return l
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

// look decides on at, with l.mu held (and released while it reads the
// stores): hit when its failures reach a limit (b says which), full when
// its failures and attempts in flight (or ending as failures) do (b then
// says which, with the busy count). Otherwise it reserves at a place in
// flight, which End releases.
func (l *Limiter) look(ctx context.Context, at *Attempt) (b Blocked, hit, full bool) {
	byIP, byPair := l.cfg.PerIP > 0, at.Claimed
	ip, pair, ipS, pairS := l.counts(ctx, at)
	switch {
	case byIP && ip.N >= l.cfg.PerIP:
		b, hit, full = Blocked{N: ip.N, Retry: ip.Left}, true, true
	case byIP && ip.N+ipS.busy+ipS.pending >= l.cfg.PerIP:
		b, full = Blocked{N: ip.N, Busy: ipS.busy + ipS.pending, expires: ip.Left}, true
	case byPair && pair.N >= l.cfg.PerPrincipal:
		b, hit, full = Blocked{PerPrincipal: true, N: pair.N, Retry: pair.Left}, true, true
	case byPair && pair.N+pairS.busy+pairS.pending >= l.cfg.PerPrincipal:
		b, full = Blocked{PerPrincipal: true, N: pair.N, Busy: pairS.busy + pairS.pending, expires: pair.Left}, true
	default:
		// A place: reserved in the same write that ends the read.
		ipS.busy++
		pairS.busy++
		at.reserved = true
	}
	if byPair && pair.N > 0 {
		at.pairSeen = true
	}
	if byIP {
		put(l.ipSlots, at.Client, ipS)
	}
	if byPair {
		put(l.pairSlots, at.Pair, pairS)
	}
	return b, hit, full
}

// counts reads the failures of at's keys from the stores, with l.mu
// released meanwhile (the caller holds it, and holds it again on return),
// and returns them with the keys' slots as they are once it holds the
// lock again, for the caller to write back. A read that overlapped the
// end of an attempt of the same key (its slot's ends moved) is done
// again. A count the store cannot read counts as none: the limit fails
// open, never with an error.
func (l *Limiter) counts(ctx context.Context, at *Attempt) (ip, pair Count, ipS, pairS slot) {
	byIP, byPair := l.cfg.PerIP > 0, at.Claimed
	for try := 1; ; try++ {
		// The readers count keeps the slots, and so their ends, in
		// place while the lock is released.
		var ipEnds, pairEnds uint64
		if byIP {
			ipS = l.ipSlots[at.Client]
			ipS.readers++
			ipEnds = ipS.ends
			l.ipSlots[at.Client] = ipS
		}
		if byPair {
			pairS = l.pairSlots[at.Pair]
			pairS.readers++
			pairEnds = pairS.ends
			l.pairSlots[at.Pair] = pairS
		}
		l.mu.Unlock()
		ip, pair = l.read(ctx, at, byIP, byPair)
		l.mu.Lock()
		same := true
		if byIP {
			ipS = l.ipSlots[at.Client]
			ipS.readers--
			same = ipS.ends == ipEnds
		}
		if byPair {
			pairS = l.pairSlots[at.Pair]
			pairS.readers--
			same = same && pairS.ends == pairEnds
		}
		if same || try == maxRereads {
			return ip, pair, ipS, pairS
		}
		if byIP {
			put(l.ipSlots, at.Client, ipS)
		}
		if byPair {
			put(l.pairSlots, at.Pair, pairS)
		}
	}
}

// read returns the failures of at's keys that the check needs (byIP,
// byPair), from one PairFailures call when the store can answer both at
// once. A count that cannot be read is none.
func (l *Limiter) read(ctx context.Context, at *Attempt, byIP, byPair bool) (ip, pair Count) {
	var err error
	if byIP && byPair && l.both != nil {
		if ip, pair, err = l.both.PairFailures(ctx, at.Pair); err != nil {
			return Count{}, Count{}
		}
		return ip, pair
	}
	if byIP {
		if ip, err = l.ips.Failures(ctx, Key{Client: at.Client}); err != nil {
			ip = Count{}
		}
	}
	if byPair {
		if pair, err = l.pairs.Failures(ctx, at.Pair); err != nil {
			pair = Count{}
		}
	}
	return ip, pair
}

// End releases the place of at, counting a failure or, on a success,
// resetting the pair it authenticated, and wakes the requests waiting for
// a place of its keys. It does nothing when at holds no place (it ended
// already, or it was blocked), so a deferred End after an explicit one is
// harmless. The store is called without the lock, with a context that no
// request cancels: a client that hangs up at once is counted all the
// same. Its errors lose the failure (or the reset), never the answer.
func (l *Limiter) End(at *Attempt, o Outcome) {
	if !at.reserved {
		return
	}
	at.reserved = false
	byIP, byPair := l.cfg.PerIP > 0, at.Claimed
	forget := o == Success && byPair && at.pairSeen
	if o != Failure && !forget {
		// Nothing to store: the place is free at once.
		l.mu.Lock()
		if byIP {
			put(l.ipSlots, at.Client, woken(l.ipSlots[at.Client], -1))
		}
		if byPair {
			put(l.pairSlots, at.Pair, woken(l.pairSlots[at.Pair], -1))
		}
		l.mu.Unlock()
		return
	}
	fail := 0
	if o == Failure {
		fail = 1
	}
	// Until the store has it, a failure counts as pending: checks
	// meanwhile see its place taken.
	l.mu.Lock()
	if byIP {
		s := l.ipSlots[at.Client]
		s.busy--
		s.pending += fail
		l.ipSlots[at.Client] = s
	}
	if byPair {
		s := l.pairSlots[at.Pair]
		s.busy--
		s.pending += fail
		l.pairSlots[at.Pair] = s
	}
	l.mu.Unlock()
	ctx := context.Background()
	switch {
	case o == Failure:
		if byIP {
			_, _ = l.ips.Fail(ctx, Key{Client: at.Client}, l.cfg.Window)
		}
		if byPair {
			_, _ = l.pairs.Fail(ctx, at.Pair, l.cfg.Window)
		}
	case forget:
		_ = l.pairs.Forget(ctx, at.Pair)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if byIP {
		l.ipSlots[at.Client] = ended(l.ipSlots[at.Client], fail)
		put(l.ipSlots, at.Client, l.ipSlots[at.Client])
	}
	if byPair {
		l.pairSlots[at.Pair] = ended(l.pairSlots[at.Pair], fail)
		put(l.pairSlots, at.Pair, l.pairSlots[at.Pair])
	}
}

// ended is s once an attempt's end is stored: its failure no longer
// pending, the end counted (so that a read that overlapped it is done
// again), and its waiters woken.
func ended(s slot, fail int) slot {
	s.pending -= fail
	s.ends++
	return woken(s, 0)
}

// woken is s with busy changed by d and its waiters woken: a place of the
// key may be free.
func woken(s slot, d int) slot {
	s.busy += d
	if s.wait != nil {
		close(s.wait.ch)
		s.wait = nil
	}
	return s
}
