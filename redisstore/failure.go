package redisstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
)

// FailureStore is a middleware.FailureStore (and FailurePairStore) in
// Redis: the failure counts of every gate given the same Redis, prefix
// and secret are shared, so a client's failed attempts count against one
// budget whichever instance they reach. Make one with NewFailureStore;
// it is safe for concurrent use.
//
// Every call is one round trip running one atomic script: Failures reads
// a key, PairFailures a client's and a pair's keys together, Fail
// increments a key and, on the first failure of a window, sets the key to
// expire with the window (so counts leave Redis by themselves), Forget
// deletes a key. A key name is the prefix and the hex HMAC-SHA256 of the
// middleware.FailureKey's String under the secret; a value is a count.
//
// It also counts the failures it sees in memory (a
// middleware.NewMemoryFailureStore), and a count it reads is never lower
// than that local one. When a call to Redis fails or takes longer than
// the timeout, the store logs once at error level and counts locally
// only: each instance then limits on its own, as without a shared store,
// and nobody is locked out nor answered 5xx because Redis is down. After
// the retry interval, the next call tries Redis again; when Redis answers,
// the store logs once at info level and shares again. Failures counted
// only locally meanwhile are not copied to Redis. Its methods never
// return an error.
type FailureStore struct {
	client  *redis.Client
	names   *namer
	timeout time.Duration
	retry   time.Duration
	now     func() time.Time
	log     zerolog.Logger
	max     int
	check   *secretCheck

	local atomic.Pointer[local] // nil until the first failure
	down  atomic.Bool           // counting locally only

	mu      sync.Mutex // guards the fields below, the state changes
	since   time.Time  // when Redis was lost
	next    time.Time  // when a call may try Redis again
	probing bool       // a call is trying Redis
}

// local is the in-memory part of a FailureStore, made on the first
// failure with that failure's window.
type local struct{ s middleware.FailureStore }

var _ middleware.FailurePairStore = (*FailureStore)(nil)

// NewFailureStore returns a FailureStore on client (whose options must set
// ContextTimeoutEnabled; a client of NewFailoverClient, for Sentinel, is
// one too) naming its keys with secret, at least
// MinSecretLength bytes and the same on every instance of the fleet
// (32 random bytes, kept like a password: with it, the names can be
// tested against guessed addresses and user names). It does not contact
// Redis: the first call does.
//
// It takes a *redis.Client, one server, and no Cluster or Ring client:
// PairFailures reads two keys in one script, which a Cluster refuses
// (CROSSSLOT) and a Ring would run on the first key's shard only. Failure
// counts are small; one Redis, with Sentinel failover if wanted, holds
// a fleet's.
func NewFailureStore(client *redis.Client, secret []byte, opts ...Option) (*FailureStore, error) {
	c, err := newConfig(client, secret, DefaultFailurePrefix, opts)
	if err != nil {
		return nil, err
	}
	names := newNamer(c.prefix, secret)
	return &FailureStore{
		client: client, names: names, timeout: c.timeout, retry: c.retry,
		now: c.now, log: c.log, max: c.maxTracked, check: newSecretCheck(client, names, c, "failures"),
	}, nil
}

// Failures implements middleware.FailureStore: the count of k in Redis,
// or the local one when it is higher or Redis cannot be reached.
func (s *FailureStore) Failures(ctx context.Context, k middleware.FailureKey) (middleware.FailureCount, error) {
	var c middleware.FailureCount
	if s.useRedis() {
		v, err := s.run(ctx, failuresScript, []string{s.key(k)})
		if s.settle(err) && len(v) == 2 {
			c = count(v[0], v[1])
			s.check.maybe(ctx)
		}
	}
	if l := s.local.Load(); l != nil {
		lc, _ := l.s.Failures(ctx, k)
		c = higher(c, lc)
	}
	return c, nil
}

// PairFailures implements middleware.FailurePairStore: the counts of
// pair's client address and of pair, read from Redis in one round trip.
func (s *FailureStore) PairFailures(ctx context.Context, pair middleware.FailureKey) (client, paired middleware.FailureCount, err error) {
	ip := middleware.FailureKey{Client: pair.Client}
	if s.useRedis() {
		v, err := s.run(ctx, pairFailuresScript, []string{s.key(ip), s.key(pair)})
		if s.settle(err) && len(v) == 4 {
			client, paired = count(v[0], v[1]), count(v[2], v[3])
			s.check.maybe(ctx)
		}
	}
	if l := s.local.Load(); l != nil {
		lc, _ := l.s.Failures(ctx, ip)
		lp, _ := l.s.Failures(ctx, pair)
		client, paired = higher(client, lc), higher(paired, lp)
	}
	return client, paired, nil
}

// Fail implements middleware.FailureStore: one more failure of k, in
// Redis and locally; the count returned is Redis's when it answered.
func (s *FailureStore) Fail(ctx context.Context, k middleware.FailureKey, window time.Duration) (middleware.FailureCount, error) {
	lc, _ := s.localStore(window).Fail(ctx, k, window)
	if !s.useRedis() {
		return lc, nil
	}
	ms := max(window.Milliseconds(), 1)
	v, err := s.run(ctx, failScript, []string{s.key(k)}, ms)
	if !s.settle(err) || len(v) != 2 {
		return lc, nil
	}
	s.check.maybe(ctx)
	// Redis's count alone: the local one may run ahead of it for a
	// moment (this instance's failures in flight to Redis), and Redis has
	// them all.
	return count(v[0], v[1]), nil
}

// Forget implements middleware.FailureStore: k's count is deleted from
// Redis and from memory.
func (s *FailureStore) Forget(ctx context.Context, k middleware.FailureKey) error {
	if l := s.local.Load(); l != nil {
		_ = l.s.Forget(ctx, k)
	}
	if s.useRedis() {
		// One command, atomic as it is: no script needed.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		err := s.client.Del(tctx, s.key(k)).Err()
		cancel()
		s.settle(err)
	}
	return nil
}

// Shared reports whether the store counts in Redis, false while it counts
// locally because Redis could not be reached: for a readiness probe or
// a metric.
func (s *FailureStore) Shared() bool { return !s.down.Load() }

func (s *FailureStore) key(k middleware.FailureKey) string { return s.names.failureName(k) }

// localStore returns the local part, making it with window on the first
// failure: its generations turn with the gate's window.
func (s *FailureStore) localStore(window time.Duration) middleware.FailureStore {
	if l := s.local.Load(); l != nil {
		return l.s
	}
	l := &local{s: middleware.NewMemoryFailureStore(s.max, max(window, time.Millisecond), s.now)}
	if s.local.CompareAndSwap(nil, l) {
		return l.s
	}
	return s.local.Load().s
}

// run runs script on keys with args within the timeout, and returns its
// integers. The call is bounded by the timeout alone, not by ctx's end:
// a client that ends its request at once (it half-closes its connection,
// and can still read the answer) would otherwise have every read fail
// before it reaches Redis, and be limited by this instance's count only,
// one budget per instance. ctx's values are kept (for tracing hooks).
func (s *FailureStore) run(ctx context.Context, script *redis.Script, keys []string, args ...any) ([]int64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	return script.Run(ctx, s.client, keys, args...).Int64Slice()
}

// count is a script's count and ms left as a FailureCount; a key without
// an expiry (ms left negative) is not believed.
func count(n, ms int64) middleware.FailureCount {
	if n <= 0 || ms <= 0 {
		return middleware.FailureCount{}
	}
	return middleware.FailureCount{N: int(n), Left: time.Duration(ms) * time.Millisecond}
}

// higher is the count with more failures, the one with more time left
// when they are equal.
func higher(a, b middleware.FailureCount) middleware.FailureCount {
	if b.N > a.N || (b.N == a.N && b.Left > a.Left) {
		return b
	}
	return a
}
