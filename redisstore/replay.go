package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReplayStore records DPoP proof identifiers in Redis, shared by every
// instance given the same Redis, prefix and secret, so that a proof
// replayed to another instance is recognised. It implements the bearer
// verifier's ReplayStore interface (Use). Make one with NewReplayStore;
// it is safe for concurrent use.
//
// Use is one SET NX PXAT: atomic, so of two instances receiving the same
// proof at once exactly one is told it is fresh. The key name is the
// prefix and the hex HMAC-SHA256 of the verifier's key under the secret;
// the value is "1"; the key expires at until. It fails closed: when Redis
// cannot be reached or does not answer within the timeout, Use returns an
// error (the verifier answers 503), never fresh.
type ReplayStore struct {
	client  redis.UniversalClient
	names   *namer
	timeout time.Duration
	now     func() time.Time
	check   *secretCheck
}

// replayDomain begins the HMAC input of a replay key, so that no replay
// key can have the name of a failure count (whose input begins "ip:" or
// "pair:") even when both stores share a prefix.
const replayDomain = "replay:"

// ErrReplayStoreUnavailable is wrapped by Use's errors when Redis did not
// answer.
var ErrReplayStoreUnavailable = errors.New("redisstore: DPoP replay store unavailable")

// NewReplayStore returns a ReplayStore on client (whose options must set
// ContextTimeoutEnabled) naming its keys with secret, at least
// MinSecretLength bytes and the same on every instance. Its prefix is
// DefaultReplayPrefix unless WithPrefix says otherwise. It does not
// contact Redis: the first Use does.
func NewReplayStore(client redis.UniversalClient, secret []byte, opts ...Option) (*ReplayStore, error) {
	c, err := newConfig(client, secret, DefaultReplayPrefix, opts)
	if err != nil {
		return nil, err
	}
	names := newNamer(c.prefix, secret)
	return &ReplayStore{client: client, names: names, timeout: c.timeout, now: c.now, check: newSecretCheck(client, names, c, "replay")}, nil
}

// Use records key until until and reports whether it was not recorded
// before: true for a fresh proof, false for a replay. An until that is
// not after now is answered fresh without a call to Redis, as the
// in-memory store does: the proof's window has closed, there is nothing
// left to protect. Any failure to get Redis's answer (unreachable, slow,
// ctx done) is an error wrapping ErrReplayStoreUnavailable and the
// cause.
func (s *ReplayStore) Use(ctx context.Context, key string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%w: %w", ErrReplayStoreUnavailable, err)
	}
	if !until.After(s.now()) {
		return true, nil
	}
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.client.Do(tctx, "SET", s.names.name(replayDomain, key), "1", "NX", "PXAT", until.UnixMilli()).Err()
	switch {
	case err == nil:
		s.check.maybe(ctx)
		return true, nil
	case errors.Is(err, redis.Nil):
		s.check.maybe(ctx)
		return false, nil
	default:
		return false, fmt.Errorf("%w: %w", ErrReplayStoreUnavailable, err)
	}
}
