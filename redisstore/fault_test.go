package redisstore_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/redisstore"
)

const (
	lostMsg = "Redis unreachable; counting failures locally"
	backMsg = "Redis answers again"
)

// logLines counts the lines of l at level holding msg.
func logLines(l *authgatetest.Log, level, msg string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, `"level":"`+level+`"`) && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

// cutInstance is a fleet instance whose Redis connection goes through p,
// with its store's log in slog.
func cutInstance(t *testing.T, d *rdb, p *proxy, fl middleware.FailureLimit, slog *authgatetest.Log, mod func(*redis.Options), opts ...redisstore.Option) *instance {
	t.Helper()
	c := newClient(t, p.Addr(), func(o *redis.Options) {
		if mod != nil {
			mod(o)
		}
	})
	opts = append([]redisstore.Option{redisstore.WithTimeout(250 * time.Millisecond),
		redisstore.WithRetryInterval(100 * time.Millisecond), redisstore.WithLogger(slog.Logger())}, opts...)
	s := d.failureStore(t, c, opts...)
	in := newInstance(t, fl, s)
	in.client = c
	return in
}

// TestRedisCutLimitsLocally: with its connection cut, an instance keeps
// limiting with its own counts (those it saw before the cut included),
// never answers 5xx, and logs the loss once; when Redis is back it
// shares again and logs that once.
func TestRedisCutLimitsLocally(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	p := newProxy(t)
	slog := &authgatetest.Log{}
	fl := middleware.FailureLimit{PerIP: 4, PerPrincipal: 100, Window: time.Minute}
	a := cutInstance(t, d, p, fl, slog, nil)
	b := newInstance(t, fl, d.failureStore(t, newClient(t, testAddr())))
	const a1, a2 = "192.0.2.1:1000", "192.0.2.2:1000"
	ctx := context.Background()
	for range 2 {
		if got := a.do(a1, "alice", "wrong"); got != 401 {
			t.Fatalf("before the cut: %d, want 401", got)
		}
	}
	if c, _ := b.store.Failures(ctx, addrKey("192.0.2.1")); c.N != 2 {
		t.Fatalf("before the cut the other instance sees %d failures, want 2", c.N)
	}

	p.Cut()
	var got []int
	for range 5 {
		got = append(got, a.do(a1, "bob", "wrong"))
	}
	if want := []int{401, 401, 429, 429, 429}; !slices.Equal(got, want) {
		t.Fatalf("during the cut: statuses %v, want %v (2 failures before the cut, 2 during, limit 4)", got, want)
	}
	if got := a.do(a2, "alice", users["alice"]); got != 200 {
		t.Fatalf("a valid client during the cut: %d, want 200", got)
	}
	if a.store.Shared() {
		t.Error("Shared is true during the cut")
	}
	if n := logLines(slog, "error", lostMsg); n != 1 {
		t.Errorf("%d error lines for the loss, want 1: %s", n, slog)
	}
	if c, _ := b.store.Failures(ctx, addrKey("192.0.2.1")); c.N != 2 {
		t.Errorf("the failures counted during the cut reached Redis: the other instance sees %d", c.N)
	}

	p.Restore()
	// Past the retry interval, a request tries Redis again.
	if !eventually(5*time.Second, func() bool {
		if got := a.do(a2, "alice", users["alice"]); got != 200 {
			t.Fatalf("after the restore: %d, want 200", got)
		}
		return a.store.Shared()
	}) {
		t.Fatalf("not shared again after the restore; log %s", slog)
	}
	if got := a.do(a2, "carol", "wrong"); got != 401 {
		t.Fatalf("a guess after the restore: %d, want 401", got)
	}
	if c, _ := b.store.Failures(ctx, addrKey("192.0.2.2")); c.N != 1 {
		t.Errorf("after the restore the other instance sees %d failures of a2, want 1", c.N)
	}
	if n, m := logLines(slog, "error", lostMsg), logLines(slog, "info", backMsg); n != 1 || m != 1 {
		t.Errorf("%d loss and %d recovery lines, want 1 each: %s", n, m, slog)
	}
	if strings.Contains(slog.String(), string(testSecret)) || strings.Contains(slog.String(), "alice") {
		t.Errorf("the store's log holds the secret or a user name: %s", slog)
	}
}

// TestRedisSilentTimesOut: a Redis that stops answering (packets held,
// nothing closed) costs a request at most about the timeout, then the
// instance counts locally without waiting for it again until the retry
// interval has passed.
func TestRedisSilentTimesOut(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	p := newProxy(t)
	slog := &authgatetest.Log{}
	fl := middleware.FailureLimit{PerIP: 3, Window: time.Minute}
	const retry = 2 * time.Second
	a := cutInstance(t, d, p, fl, slog, nil, redisstore.WithRetryInterval(retry))
	cmds := &commands{}
	a.client.AddHook(cmds)
	if got := a.do("192.0.2.1:1", "alice", users["alice"]); got != 200 {
		t.Fatalf("warm-up: %d", got)
	}
	p.Freeze(true)
	start := time.Now()
	if got := a.do("192.0.2.1:1", "alice", "wrong"); got != 401 {
		t.Fatalf("first request with Redis silent: %d, want 401", got)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("a request with Redis silent took %v; the timeout is 250ms", el)
	}
	// Within the retry interval no request calls Redis, so none waits
	// for it (counted, not timed: a loaded machine stalls at random).
	before := cmds.n.Load()
	start = time.Now()
	for range 10 {
		a.do("192.0.2.1:1", "alice", users["alice"])
	}
	if n := cmds.n.Load() - before; n != 0 && time.Since(start) < retry {
		t.Errorf("%d Redis calls within the retry interval while counting locally", n)
	}
	if a.store.Shared() || logLines(slog, "error", lostMsg) != 1 {
		t.Errorf("shared %v, log %s", a.store.Shared(), slog)
	}
	p.Freeze(false)
	if !eventually(retry+5*time.Second, func() bool {
		a.do("192.0.2.9:1", "alice", users["alice"])
		return a.store.Shared()
	}) {
		t.Fatalf("not shared again after Redis answered; log %s", slog)
	}
	if m := logLines(slog, "info", backMsg); m != 1 {
		t.Errorf("%d recovery lines, want 1", m)
	}
}

// TestRedisCutRestoreCycles: many cuts and restores leave no goroutine
// and no connection behind, and log exactly one line each way per cycle.
// Not parallel: it counts the process's goroutines.
func TestRedisCutRestoreCycles(t *testing.T) {
	d := newRDB(t)
	p := newProxy(t)
	slog := &authgatetest.Log{}
	fl := middleware.FailureLimit{PerIP: 1000, PerPrincipal: 1000, Window: time.Minute}
	const poolSize = 4
	a := cutInstance(t, d, p, fl, slog, func(o *redis.Options) { o.PoolSize = poolSize })
	if got := a.do("192.0.2.1:1", "alice", "wrong"); got != 401 {
		t.Fatalf("warm-up: %d", got)
	}
	base := runtime.NumGoroutine()
	const cycles = 25
	for i := range cycles {
		p.Cut()
		for range 3 {
			if got := a.do("192.0.2.1:1", "alice", "wrong"); got != 401 {
				t.Fatalf("cycle %d, cut: %d, want 401", i, got)
			}
		}
		if a.store.Shared() {
			t.Fatalf("cycle %d: still shared after the cut", i)
		}
		p.Restore()
		if !eventually(5*time.Second, func() bool {
			if got := a.do("192.0.2.1:1", "alice", users["alice"]); got != 200 {
				t.Fatalf("cycle %d, restored: %d, want 200", i, got)
			}
			return a.store.Shared()
		}) {
			t.Fatalf("cycle %d: not shared again after the restore; log %s", i, slog)
		}
	}
	if n, m := logLines(slog, "error", lostMsg), logLines(slog, "info", backMsg); n != cycles || m != cycles {
		t.Errorf("%d loss and %d recovery lines over %d cycles, want one each per cycle", n, m, cycles)
	}
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= base+4 }) {
		t.Errorf("goroutines: %d before the cycles, %d after", base, runtime.NumGoroutine())
	}
	ps := a.client.PoolStats()
	t.Logf("%d cycles: goroutines %d before, %d after; pool %d connections (%d idle), %d accepted by the proxy",
		cycles, base, runtime.NumGoroutine(), ps.TotalConns, ps.IdleConns, p.accept.Load())
	if ps.TotalConns > poolSize {
		t.Errorf("pool after %d cycles: %+v, more connections than its size %d", cycles, ps, poolSize)
	}
}

// eventually polls cond every few milliseconds for up to d, and reports
// whether it became true.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
