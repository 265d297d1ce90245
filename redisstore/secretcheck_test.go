package redisstore_test

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/redisstore"
)

// secretMismatchMsg is the message of the secret check's event.
const secretMismatchMsg = "redisstore: another instance uses this prefix with a different secret; instances with different secrets do not share their state (failure counts, DPoP proofs seen): give every instance of the fleet the same secret, or each fleet its own prefix"

// clock is a settable clock for the stores' check interval.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mismatches returns the secret check's events in l, failing t on any
// other event.
func mismatches(t *testing.T, l *authgatetest.Log) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range l.Events(t) {
		if ev["message"] != secretMismatchMsg || ev["level"] != "error" {
			t.Errorf("unexpected event %v", ev)
			continue
		}
		out = append(out, ev)
	}
	return out
}

// TestSecretCheck_different_secrets_are_reported: two instances under one
// prefix with different secrets, which would silently count apart, each
// log one error at their next check naming the store and the prefix,
// never a secret; an instance with the fleet's secret logs nothing.
func TestSecretCheck_different_secrets_are_reported(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	ctx := context.Background()
	c := newClient(t, testAddr())
	other := []byte("other-secret-" + randHex(16))
	clk := &clock{t: time.Now()}
	var logA, logB, logC authgatetest.Log
	a := d.failureStore(t, c, redisstore.WithLogger(logA.Logger()), redisstore.WithClock(clk.now))
	b, err := redisstore.NewFailureStore(c, other, redisstore.WithPrefix(d.prefix), redisstore.WithTimeout(2*time.Second),
		redisstore.WithLogger(logB.Logger()), redisstore.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	same := d.failureStore(t, c, redisstore.WithLogger(logC.Logger()), redisstore.WithClock(clk.now))
	k := addrKey("198.51.100.7")

	if _, err := a.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &logA); len(evs) != 0 {
		t.Fatalf("the first instance alone reported %v", evs)
	}
	if _, err := same.Failures(ctx, k); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &logC); len(evs) != 0 {
		t.Fatalf("an instance with the same secret reported %v", evs)
	}
	if _, err := b.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	evs := mismatches(t, &logB)
	if len(evs) != 1 || evs[0]["store"] != "failures" || evs[0]["prefix"] != d.prefix || evs[0]["other_secrets"] != 1.0 {
		t.Fatalf("the instance with another secret logged %v, want one event", evs)
	}
	// The check is not made again before the interval...
	if _, err := b.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &logB); len(evs) != 1 {
		t.Errorf("%d events before the interval passed, want 1", len(evs))
	}
	// ...after it, the first instance learns of the other secret too.
	clk.add(11 * time.Minute)
	if _, err := a.Failures(ctx, k); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &logA); len(evs) != 1 || evs[0]["other_secrets"] != 1.0 {
		t.Errorf("the first instance after the interval logged %v, want one event", evs)
	}
	for _, l := range []*authgatetest.Log{&logA, &logB, &logC} {
		for _, f := range [][]byte{testSecret, other} {
			if s := l.String(); strings.Contains(s, string(f)) || strings.Contains(s, hex.EncodeToString(f)) {
				t.Fatalf("a secret in the log: %s", s)
			}
		}
	}
	if n := d.direct.ZCard(ctx, d.checkKey()).Val(); n != 2 {
		t.Errorf("%d fingerprints in the set, want 2", n)
	}
}

// TestSecretCheck_replay_store: a ReplayStore with another secret than
// the fleet's, which would let a proof replayed to it pass, says so too.
func TestSecretCheck_replay_store(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	ctx := context.Background()
	c := newClient(t, testAddr())
	until := time.Now().Add(time.Minute)
	if _, err := d.replayStore(t, c).Use(ctx, "thumb.jti-1", until); err != nil {
		t.Fatal(err)
	}
	var l authgatetest.Log
	rs, err := redisstore.NewReplayStore(c, []byte("other-secret-"+randHex(16)), redisstore.WithPrefix(d.prefix),
		redisstore.WithTimeout(2*time.Second), redisstore.WithLogger(l.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := rs.Use(ctx, "thumb.jti-1", until)
	if err != nil || !fresh {
		t.Fatalf("Use: %v %v (a store with another secret does not see the proof: the reason for the check)", fresh, err)
	}
	if evs := mismatches(t, &l); len(evs) != 1 || evs[0]["store"] != "replay" {
		t.Errorf("logged %v, want one event of store replay", evs)
	}
}

// TestSecretCheck_rotation_ends: after the whole fleet moved to a new
// secret, the old one's fingerprint stops counting once its time is
// over: the new instances' next check is quiet.
func TestSecretCheck_rotation_ends(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	ctx := context.Background()
	c := newClient(t, testAddr())
	clk := &clock{t: time.Now()}
	old := d.failureStore(t, c, redisstore.WithClock(clk.now))
	redisstore.SecretCheckTimes(old, time.Minute, 300*time.Millisecond)
	var l authgatetest.Log
	rotated, err := redisstore.NewFailureStore(c, []byte("rotated-secret-"+randHex(16)), redisstore.WithPrefix(d.prefix),
		redisstore.WithTimeout(2*time.Second), redisstore.WithLogger(l.Logger()), redisstore.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	redisstore.SecretCheckTimes(rotated, time.Minute, 300*time.Millisecond)
	k := addrKey("198.51.100.8")
	if _, err := old.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &l); len(evs) != 1 {
		t.Fatalf("during the rotation: %v, want one event", evs)
	}
	time.Sleep(400 * time.Millisecond) // the old fingerprint's time passes (Redis's clock)
	clk.add(2 * time.Minute)
	if _, err := rotated.Failures(ctx, k); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &l); len(evs) != 1 {
		t.Errorf("after the rotation: %d events, want still 1", len(evs))
	}
	if n := d.direct.ZCard(ctx, d.checkKey()).Val(); n != 1 {
		t.Errorf("%d fingerprints after the rotation, want 1", n)
	}
}

// TestSecretCheck_store_kinds_apart: a FailureStore and a ReplayStore
// sharing a prefix may each have a secret of their own (they never read
// each other's keys): that is not reported.
func TestSecretCheck_store_kinds_apart(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	ctx := context.Background()
	c := newClient(t, testAddr())
	var l authgatetest.Log
	fs := d.failureStore(t, c, redisstore.WithLogger(l.Logger()))
	rs, err := redisstore.NewReplayStore(c, []byte("replay-secret-"+randHex(16)), redisstore.WithPrefix(d.prefix),
		redisstore.WithTimeout(2*time.Second), redisstore.WithLogger(l.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Fail(ctx, addrKey("198.51.100.9"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Use(ctx, "thumb.jti-1", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if evs := mismatches(t, &l); len(evs) != 0 {
		t.Errorf("reported %v", evs)
	}
	for _, set := range []string{d.checkKey(), d.replayCheckKey()} {
		if n := d.direct.ZCard(ctx, set).Val(); n != 1 {
			t.Errorf("%s holds %d fingerprints, want 1", set, n)
		}
	}
}

// TestSecretCheck_clock_back: a clock set back by more than the interval
// does not stop the checks until it catches up.
func TestSecretCheck_clock_back(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	ctx := context.Background()
	c := newClient(t, testAddr())
	clk := &clock{t: time.Now()}
	s := d.failureStore(t, c, redisstore.WithClock(clk.now))
	k := addrKey("198.51.100.10")
	if _, err := s.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := d.direct.Del(ctx, d.checkKey()).Err(); err != nil {
		t.Fatal(err)
	}
	clk.add(-time.Hour)
	if _, err := s.Failures(ctx, k); err != nil {
		t.Fatal(err)
	}
	if n := d.direct.ZCard(ctx, d.checkKey()).Val(); n != 1 {
		t.Errorf("no check after the clock went back an hour (%d fingerprints)", n)
	}
}

// TestSecretCheck_silent_redis_costs_one_call: the check follows a call
// Redis answered, so with Redis silent a store's first call waits for
// its own call only, not for the check too (counted, not timed).
func TestSecretCheck_silent_redis_costs_one_call(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	p := newProxy(t)
	c := newClient(t, p.Addr())
	checks := &checkCalls{}
	c.AddHook(checks)
	rs := d.replayStore(t, c, redisstore.WithTimeout(100*time.Millisecond))
	fs := d.failureStore(t, c, redisstore.WithTimeout(100*time.Millisecond), redisstore.WithLogger(zerolog.Nop()))
	p.Freeze(true)
	ctx := context.Background()
	if _, err := rs.Use(ctx, "thumb.jti-1", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("Use with Redis silent: no error")
	}
	if _, err := fs.Fail(ctx, addrKey("198.51.100.11"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := checks.n.Load(); n != 0 {
		t.Errorf("%d secret checks sent to a silent Redis, want 0", n)
	}
	p.Freeze(false)
	if _, err := rs.Use(ctx, "thumb.jti-2", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := checks.n.Load(); n != 1 {
		t.Errorf("%d secret checks after Redis answered again, want 1", n)
	}
	if n := d.direct.ZCard(ctx, d.replayCheckKey()).Val(); n != 1 {
		t.Errorf("%d fingerprints, want 1", n)
	}
}

// checkCalls counts the commands that name a secret check's set.
type checkCalls struct{ n atomic.Int64 }

func (c *checkCalls) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *checkCalls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.Contains(s, "secret-check:") {
				c.n.Add(1)
				break
			}
		}
		return next(ctx, cmd)
	}
}
func (c *checkCalls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
