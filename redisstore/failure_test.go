package redisstore_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/redisstore"
)

// addrKey is the FailureKey of a client address.
func addrKey(ip string) middleware.FailureKey {
	return middleware.FailureKey{Client: netip.MustParseAddr(ip).As16()}
}

func pairKey(ip, user string) middleware.FailureKey {
	k := addrKey(ip)
	k.Scheme, k.Principal = "Basic", user
	return k
}

// TestNewFailureStoreRefuses: a configuration that would not work, or not
// be safe, is an error at start naming what is wrong.
func TestNewFailureStoreRefuses(t *testing.T) {
	t.Parallel()
	good := redis.NewClient(&redis.Options{Addr: testAddr(), ContextTimeoutEnabled: true})
	defer good.Close()
	noCtx := redis.NewClient(&redis.Options{Addr: testAddr()})
	defer noCtx.Close()
	for _, c := range []struct {
		name   string
		client *redis.Client
		secret []byte
		opts   []redisstore.Option
		want   string
	}{
		{"nil client", nil, testSecret, nil, "nil Redis client"},
		{"short secret", good, []byte("fifteen-bytes!!"), nil, "the secret is 15 bytes, at least 16"},
		{"no secret", good, nil, nil, "the secret is 0 bytes"},
		{"no context timeouts", noCtx, testSecret, nil, "ContextTimeoutEnabled"},
		{"empty prefix", good, testSecret, []redisstore.Option{redisstore.WithPrefix("")}, "empty key prefix"},
		{"zero timeout", good, testSecret, []redisstore.Option{redisstore.WithTimeout(0)}, "timeout 0s"},
		{"negative retry", good, testSecret, []redisstore.Option{redisstore.WithRetryInterval(-time.Second)}, "retry interval -1s"},
		// Durations without their unit: nanoseconds.
		{"timeout of 50 ns", good, testSecret, []redisstore.Option{redisstore.WithTimeout(50)}, "timeout 50ns is under 1ms"},
		{"retry of 1 ns", good, testSecret, []redisstore.Option{redisstore.WithRetryInterval(1)}, "retry interval 1ns is under 1ms"},
		{"zero local bound", good, testSecret, []redisstore.Option{redisstore.WithLocalMaxTracked(0)}, "local max tracked 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for name, fn := range map[string]func() error{
				"FailureStore": func() error { _, err := redisstore.NewFailureStore(c.client, c.secret, c.opts...); return err },
				"ReplayStore":  func() error { _, err := redisstore.NewReplayStore(c.client, c.secret, c.opts...); return err },
			} {
				err := fn()
				if !errors.Is(err, redisstore.ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("New%s: %v, want ErrInvalidConfig saying %q", name, err, c.want)
				}
				if err != nil && len(c.secret) > 0 && strings.Contains(err.Error(), string(c.secret)) {
					t.Errorf("New%s's error holds the secret", name)
				}
			}
		})
	}
}

// TestFailureStoreCounts: Fail, Failures, PairFailures and Forget keep the
// gate's Store contract against the real Redis: a window starting at the
// first failure, as the key's expiry.
func TestFailureStoreCounts(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	s := d.failureStore(t, newClient(t, testAddr()))
	ctx := context.Background()
	ip, pair := addrKey("192.0.2.10"), pairKey("192.0.2.10", "alice")
	if c, err := s.Failures(ctx, ip); err != nil || c != (middleware.FailureCount{}) {
		t.Fatalf("no failures yet: %+v, %v", c, err)
	}
	for want := 1; want <= 3; want++ {
		c, err := s.Fail(ctx, ip, time.Minute)
		if err != nil || c.N != want || c.Left <= 59*time.Second || c.Left > time.Minute {
			t.Fatalf("Fail %d: %+v, %v", want, c, err)
		}
	}
	if _, err := s.Fail(ctx, pair, time.Minute); err != nil {
		t.Fatal(err)
	}
	c, p, err := s.PairFailures(ctx, pair)
	if err != nil || c.N != 3 || p.N != 1 || c.Left <= 59*time.Second || p.Left <= 59*time.Second {
		t.Fatalf("PairFailures: address %+v, pair %+v, %v; want 3 and 1 within a minute", c, p, err)
	}
	if err := s.Forget(ctx, pair); err != nil {
		t.Fatal(err)
	}
	if c, p, _ := s.PairFailures(ctx, pair); c.N != 3 || p.N != 0 {
		t.Fatalf("after Forget: address %+v, pair %+v; want 3 and 0", c, p)
	}
	ttl, err := d.direct.PTTL(ctx, d.keys(t)[0]).Result()
	if err != nil || ttl <= 59*time.Second || ttl > time.Minute {
		t.Errorf("the key's expiry is %v (%v), want the window", ttl, err)
	}
	if !s.Shared() {
		t.Error("Shared is false with Redis up")
	}
}

// TestFailureWindowExpires: a count ends with its window, in Redis (the
// key expires) and in the local part alike, and the next failure starts a
// new window.
func TestFailureWindowExpires(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	s := d.failureStore(t, newClient(t, testAddr()))
	other := d.failureStore(t, newClient(t, testAddr())) // counted only in Redis
	ctx := context.Background()
	k := pairKey("2001:db8::1", "bob")
	const window = 300 * time.Millisecond
	for range 2 {
		if _, err := s.Fail(ctx, k, window); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := other.Failures(ctx, k); c.N != 2 || c.Left > window {
		t.Fatalf("within the window: %+v", c)
	}
	time.Sleep(window + 50*time.Millisecond)
	for name, st := range map[string]*redisstore.FailureStore{"counting one": s, "other": other} {
		if c, _ := st.Failures(ctx, k); c.N != 0 {
			t.Errorf("%s after the window: %+v, want none", name, c)
		}
	}
	if n := len(d.keys(t)); n != 0 {
		t.Errorf("%d keys left in Redis after the window", n)
	}
	if c, _ := s.Fail(ctx, k, window); c.N != 1 {
		t.Errorf("a failure after the window: %+v, want a new window's first", c)
	}
}

// TestFleetRoundRobin: guesses sent in turn to two instances (two gates,
// two stores, two clients on one Redis) reach 429 at the global limit,
// per address and per (user, address); each instance alone would have
// allowed twice as many.
func TestFleetRoundRobin(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	fl := middleware.FailureLimit{PerIP: 6, PerPrincipal: 3, Window: time.Minute}
	fleet := []*instance{
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
	}
	const a1, a2 = "192.0.2.1:1000", "198.51.100.7:2000"
	i := 0
	next := func() *instance { i++; return fleet[i%2] }
	// The pair (alice, a1): 3 failures, then 429 on either instance, with
	// the right password too.
	for n := 1; n <= 3; n++ {
		if got := next().do(a1, "alice", "wrong-"+strconv.Itoa(n)); got != 401 {
			t.Fatalf("guess %d for alice: %d, want 401", n, got)
		}
	}
	for range 2 {
		if got := next().do(a1, "alice", users["alice"]); got != 429 {
			t.Fatalf("alice after 3 guesses over two instances: %d, want 429", got)
		}
	}
	// alice from elsewhere is not affected.
	if got := next().do(a2, "alice", users["alice"]); got != 200 {
		t.Fatalf("alice from another address: %d, want 200", got)
	}
	// The address a1: 3 more failures (bob's) make 6, then 429 for anyone.
	for n := 1; n <= 3; n++ {
		if got := next().do(a1, "bob", "wrong-"+strconv.Itoa(n)); got != 401 {
			t.Fatalf("bob's guess %d: %d, want 401", n, got)
		}
	}
	for range 2 {
		if got := next().do(a1, "bob", users["bob"]); got != 429 {
			t.Fatalf("a1 after 6 failures over two instances: %d, want 429", got)
		}
	}
	for _, in := range fleet {
		if !strings.Contains(in.log.String(), `"reason":"too_many_failures"`) {
			t.Errorf("an instance logged no too_many_failures: %s", in.log)
		}
	}
}

// TestFailAtomic: many goroutines on several stores counting one key get
// every count from 1 to the total exactly once, and the total is exact.
func TestFailAtomic(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	const stores, workers, each = 4, 16, 25
	k := pairKey("203.0.113.5", "carol")
	seen := make([]int, stores*workers*each+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []*redisstore.FailureStore
	for range stores {
		s := d.failureStore(t, newClient(t, testAddr(), func(o *redis.Options) { o.PoolSize = workers }))
		all = append(all, s)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					c, _ := s.Fail(context.Background(), k, time.Minute)
					mu.Lock()
					if c.N > 0 && c.N < len(seen) {
						seen[c.N]++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for n := 1; n < len(seen); n++ {
		if seen[n] != 1 {
			t.Fatalf("count %d returned %d times, want once; %v", n, seen[n], seen[:40])
		}
	}
	if c, _ := all[0].Failures(context.Background(), k); c.N != stores*workers*each {
		t.Errorf("total %d, want %d", c.N, stores*workers*each)
	}
	for i, s := range all {
		if !s.Shared() {
			t.Errorf("store %d fell back to local counting", i)
		}
	}
}

// TestRoundTrips: a request from a client without failures costs one
// Redis round trip with both limits on (one script reads the address and
// the pair), a failure one per limit, and a gate without a failure limit
// none at all.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	cmds := &commands{}
	c := newClient(t, testAddr())
	c.AddHook(cmds)
	store := d.failureStore(t, c)
	limited := newInstance(t, middleware.FailureLimit{PerIP: 10, PerPrincipal: 5, Window: time.Minute}, store)
	// Warm up: the scripts are loaded at their first use (EVALSHA, then
	// EVAL on NOSCRIPT).
	limited.do("192.0.2.99:1", "alice", "wrong")
	limited.do("192.0.2.99:1", "alice", users["alice"])

	check := func(name string, in *instance, addr, user, pw string, status int, want int64) {
		t.Helper()
		before := cmds.n.Load()
		if got := in.do(addr, user, pw); got != status {
			t.Fatalf("%s: status %d, want %d", name, got, status)
		}
		if got := cmds.n.Load() - before; got != want {
			t.Errorf("%s: %d Redis round trips, want %d", name, got, want)
		}
	}
	check("success, no failures recorded", limited, "192.0.2.1:1", "alice", users["alice"], 200, 1)
	check("missing credentials", limited, "192.0.2.1:1", "", "", 401, 1)
	check("a guess (read, then one Fail per limit)", limited, "192.0.2.1:1", "alice", "wrong", 401, 3)
	check("success after a failure (read, then Forget of the pair)", limited, "192.0.2.1:1", "alice", users["alice"], 200, 2)

	g := middleware.New(middleware.WithLogger(zerolog.Nop()), middleware.WithFailureStore(store))
	unlimited := &instance{h: g.Require(basicVerifier(t))(okHandler)}
	check("no failure limit: success", unlimited, "192.0.2.2:1", "alice", users["alice"], 200, 0)
	check("no failure limit: a guess", unlimited, "192.0.2.2:1", "alice", "wrong", 401, 0)
	if !store.Shared() {
		t.Error("the store fell back to local counting: the round trips above were not Redis's")
	}
}

// TestFailureKeyNames: a key's name is the prefix and the hex
// HMAC-SHA256 of FailureKey.String() under the secret, as documented; a
// key found without an expiry (not written by the store) is not believed
// and gets the window at the next failure.
func TestFailureKeyNames(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	s := d.failureStore(t, newClient(t, testAddr()))
	ctx := context.Background()
	k := pairKey("198.51.100.20", "dave")
	if _, err := s.Fail(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	ip := addrKey("2001:db8:1:2::99")
	if _, err := s.Fail(ctx, ip, time.Minute); err != nil {
		t.Fatal(err)
	}
	nameOf := func(k middleware.FailureKey) string {
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte(k.String()))
		return d.prefix + hex.EncodeToString(m.Sum(nil))
	}
	name := nameOf(k)
	keys := d.keys(t)
	slices.Sort(keys)
	want := []string{name, nameOf(ip)}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if err := d.direct.Set(ctx, name, 7, 0).Err(); err != nil { // no expiry
		t.Fatal(err)
	}
	if c, _ := s.Failures(ctx, k); c.N != 1 { // the local count: this store's one failure
		t.Errorf("a key without an expiry: %+v, want it ignored (the local 1)", c)
	}
	if c, _ := s.Fail(ctx, k, time.Minute); c.N != 8 || c.Left != time.Minute {
		t.Errorf("Fail on a key without an expiry: %+v, want 8 with the window", c)
	}
	if ttl := d.direct.PTTL(ctx, name).Val(); ttl <= 0 {
		t.Errorf("the key still has no expiry: %v", ttl)
	}
}

// TestFailuresEndedRequest: a read for a request that has ended (the
// client went away) still asks Redis, within the store's timeout, and
// the store keeps sharing, logging nothing.
func TestFailuresEndedRequest(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	slog := &authgatetest.Log{}
	s := d.failureStore(t, newClient(t, testAddr()), redisstore.WithLogger(slog.Logger()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := s.Failures(ctx, addrKey("192.0.2.1")); err != nil || c.N != 0 {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, _, err := s.PairFailures(ctx, pairKey("192.0.2.1", "eve")); err != nil {
		t.Fatal(err)
	}
	if !s.Shared() || slog.String() != "" {
		t.Errorf("an ended request turned the store local (shared %v), log %s", s.Shared(), slog)
	}
}

// TestFleetOvershootBound: guesses sent all at once to two instances
// can pass the limit, but never by more than the README says: each
// instance admits at most the limit, so at most 2 × PerIP failures are
// counted, and every other request gets 429, never 5xx.
func TestFleetOvershootBound(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	const limit, perInstance = 5, 30
	fl := middleware.FailureLimit{PerIP: limit, Window: time.Minute}
	fleet := []*instance{
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, in := range fleet {
		for i := range perInstance {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				code := in.do("192.0.2.50:1", "alice", "wrong-"+strconv.Itoa(i))
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}()
		}
	}
	close(start)
	wg.Wait()
	if statuses[401]+statuses[429] != 2*perInstance {
		t.Fatalf("statuses %v: something other than 401 and 429", statuses)
	}
	if statuses[401] < limit || statuses[401] > 2*limit {
		t.Errorf("%d guesses verified, want between %d and %d (N × limit)", statuses[401], limit, 2*limit)
	}
	c, _ := fleet[0].store.Failures(context.Background(), addrKey("192.0.2.50"))
	if c.N != statuses[401] {
		t.Errorf("Redis counts %d failures, %d were answered 401", c.N, statuses[401])
	}
	t.Logf("%d guesses at once over 2 instances, limit %d: %d verified (overshoot %d)", 2*perInstance, limit, statuses[401], statuses[401]-limit)
}
