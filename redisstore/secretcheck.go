package redisstore

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Instances of one fleet given different secrets name the same client's
// keys differently: each counts on its own (a FailureStore), or does not
// see the proofs another recorded (a ReplayStore), and nothing fails. So
// every store says, in Redis, which secret it names its keys with, and
// logs at error level when another instance sharing its prefix said a
// different one. What it writes is a fingerprint: the hex HMAC-SHA256, under
// the secret, of a fixed text, which reveals nothing the key names do not.
//
// The fingerprints live in one sorted set per prefix and kind of store
// (the prefix, "secret-check:" and "failures" or "replay", so that a
// FailureStore and a ReplayStore sharing a prefix may have secrets of
// their own), each scored with the Redis time until which it counts:
// a store adds its own, drops the expired, and counts the others, in one
// script, after its first call that Redis answered, and then at most every
// secretCheckInterval.
// A fingerprint counts for secretCheckTTL after the last check of an
// instance that has it, so after a rotation of the secret over the whole
// fleet, the old one stops being reported within that time.
const (
	secretCheckInterval = 10 * time.Minute
	secretCheckTTL      = 3 * secretCheckInterval
	secretCheckDomain   = "secret-check:" // the HMAC input of the fingerprint
	secretCheckSuffix   = "secret-check:" // and the store's kind; not hex: no store's key has this name
)

// secretCheckScript adds ARGV[1] to the sorted set KEYS[1] until ARGV[2]
// ms from now (Redis's clock), drops the fingerprints past their time,
// and returns how many others remain.
var secretCheckScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return redis.call('ZCARD', KEYS[1]) - 1
`)

// secretCheck is a store's part of the fleet's secret check.
type secretCheck struct {
	client   redis.UniversalClient
	key      string // the sorted set
	prefix   string // the store's prefix, for the log
	print    string // this store's fingerprint
	store    string // "failures" or "replay"
	log      zerolog.Logger
	now      func() time.Time
	timeout  time.Duration
	interval time.Duration
	ttl      time.Duration

	next    atomic.Int64 // UnixNano of the next check; 0: at the first call
	running atomic.Bool
}

func newSecretCheck(client redis.UniversalClient, names *namer, c *config, store string) *secretCheck {
	print := names.name(secretCheckDomain, "")[len(names.prefix):]
	return &secretCheck{
		client: client, key: names.prefix + secretCheckSuffix + store, prefix: names.prefix, print: print, store: store,
		log: c.log, now: c.now, timeout: c.timeout, interval: secretCheckInterval, ttl: secretCheckTTL,
	}
}

// maybe makes a check when one is due and no other call is making one.
// Stores call it after a call that Redis answered, so that a Redis that
// does not answer costs a request one timeout, not two: the first such
// call, then one call every interval, pays one round trip more (bounded
// by the store's timeout); the others a clock read and an atomic load. It
// runs on the caller's goroutine, so that no work outlives the store's
// calls.
func (sc *secretCheck) maybe(ctx context.Context) {
	if !sc.due() || !sc.running.CompareAndSwap(false, true) {
		return
	}
	if !sc.due() { // another call has just made it
		sc.running.Store(false)
		return
	}
	sc.run(ctx)
}

// due reports whether a check is due: the next one's time has come, or
// it is more than an interval away (the clock went back).
func (sc *secretCheck) due() bool {
	now, next := sc.now().UnixNano(), sc.next.Load()
	return now >= next || next-now > int64(sc.interval)
}

// run makes one check, bounded by the store's timeout and not by ctx's
// end (ctx's values are kept, for tracing hooks). Its errors are not the
// request's, and an unreachable Redis is reported by the store's own
// calls: it only tries again at the next interval.
func (sc *secretCheck) run(ctx context.Context) {
	defer sc.running.Store(false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sc.timeout)
	others, err := secretCheckScript.Run(ctx, sc.client, []string{sc.key}, sc.print, sc.ttl.Milliseconds()).Int64()
	cancel()
	sc.next.Store(sc.now().Add(sc.interval).UnixNano())
	if err == nil && others > 0 {
		sc.log.Error().Str("store", sc.store).Str("prefix", sc.prefix).
			Int64("other_secrets", others).Dur("within", sc.ttl).
			Msg("redisstore: another instance uses this prefix with a different secret; instances with different secrets do not share their state (failure counts, DPoP proofs seen): give every instance of the fleet the same secret, or each fleet its own prefix")
	}
}
