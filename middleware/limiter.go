package middleware

import (
	"context"
	"sync"
	"time"

	core "github.com/authgate/authgate/internal/limiter"
)

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
	mu sync.Mutex
	fl FailureLimit
	// The failure counts, of client addresses and of pairs: two Memory
	// stores by default, so that one address's junk principals cannot push
	// its own address's count out; a WithFailureStore store holds both.
	ips, pairs core.Store
	ipBusy     map[clientKey]int
	pairBusy   map[pairKey]int
	ipWait     map[clientKey]*waitList
	pairWait   map[pairKey]*waitList
	waitLimit  time.Duration // maxLimitWait; shorter in tests
}

// pairKey is a claimed principal from one client: the store's Key with
// Scheme and Principal set.
type pairKey = core.Key

// ipStoreKey is the store's Key of a client address.
func ipStoreKey(k clientKey) core.Key { return core.Key{Client: k} }

func newLimiter(fl FailureLimit, now func() time.Time, store core.Store) *limiter {
	l := &limiter{
		fl:        fl,
		ips:       store,
		pairs:     store,
		ipBusy:    make(map[clientKey]int),
		pairBusy:  make(map[pairKey]int),
		ipWait:    make(map[clientKey]*waitList),
		pairWait:  make(map[pairKey]*waitList),
		waitLimit: maxLimitWait,
	}
	if store == nil {
		l.ips = core.NewMemory(fl.MaxTracked, fl.Window, now)
		l.pairs = core.NewMemory(fl.MaxTracked, fl.Window, now)
	}
	return l
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

// look reads the limits for at: hit when its failures reach a limit (b
// says which), full when its failures and attempts in flight do (b then
// says which, with the busy count). A count the store cannot read counts
// as none: the limit fails open, never with a 5xx.
func (l *limiter) look(ctx context.Context, at *attempt) (b blocked, hit, full bool) {
	if l.fl.PerIP > 0 {
		c, err := l.ips.Failures(ctx, ipStoreKey(at.cl.key))
		if err != nil {
			c = core.Count{}
		}
		if c.N >= l.fl.PerIP {
			return blocked{n: c.N, retry: c.Left}, true, true
		}
		if busy := l.ipBusy[at.cl.key]; c.N+busy >= l.fl.PerIP {
			return blocked{n: c.N, busy: busy, expires: c.Left}, false, true
		}
	}
	if at.claimed {
		c, err := l.pairs.Failures(ctx, at.pair)
		if err != nil {
			c = core.Count{}
		}
		if c.N > 0 {
			at.pairSeen = true
		}
		if c.N >= l.fl.PerPrincipal {
			return blocked{perPrincipal: true, n: c.N, retry: c.Left}, true, true
		}
		if busy := l.pairBusy[at.pair]; c.N+busy >= l.fl.PerPrincipal {
			return blocked{perPrincipal: true, n: c.N, busy: busy, expires: c.Left}, false, true
		}
	}
	return blocked{}, false, false
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
// explicit one is harmless. The store is called with a context that the
// request's end does not cancel: a client that hangs up at once is
// counted all the same. Its errors lose the failure (or the reset), never
// the answer.
func (l *limiter) end(at *attempt, o outcome) {
	if !at.reserved {
		return
	}
	at.reserved = false
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx := context.Background()
	if l.fl.PerIP > 0 {
		if o == outcomeFailure {
			_, _ = l.ips.Fail(ctx, ipStoreKey(at.cl.key), l.fl.Window)
		}
		decBusy(l.ipBusy, at.cl.key)
		wakeWait(l.ipWait, at.cl.key)
	}
	if at.claimed {
		switch {
		case o == outcomeFailure:
			_, _ = l.pairs.Fail(ctx, at.pair, l.fl.Window)
		case o == outcomeSuccess && at.pairSeen:
			_ = l.pairs.Forget(ctx, at.pair)
		}
		decBusy(l.pairBusy, at.pair)
		wakeWait(l.pairWait, at.pair)
	}
}

func decBusy[K comparable](m map[K]int, k K) {
	if n := m[k]; n > 1 {
		m[k] = n - 1
	} else {
		delete(m, k)
	}
}
