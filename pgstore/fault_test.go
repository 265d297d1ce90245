package pgstore_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// fast are the timings of the fault tests: reconnect within 10-50 ms,
// ping every 20 ms, give up on a statement after 300 ms.
var fast = pgstore.WithTimingForTest(10*time.Millisecond, 50*time.Millisecond, 20*time.Millisecond, 300*time.Millisecond)

// TestResyncRecoversLostNotify checks that a change whose notification
// never reached a Store — sent while its connection was cut — is applied
// by the re-read after it reconnects, and that a change made without any
// notification is applied by the periodic re-read.
func TestResyncRecoversLostNotify(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	p := newProxy(t)
	s := d.open(t, p.pool(t, "pgstore-test"), fast)
	ctx := context.Background()
	id := f.ids["good"]

	p.Cut()
	if !eventually(2*time.Second, func() bool { return !pgstore.Healthy(s) }) {
		t.Fatal("the store did not notice the cut")
	}
	if err := d.admin.Revoke(ctx, id, t0); err != nil { // notified while nobody listens through the proxy
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if r, err := s.Lookup(ctx, id); err != nil || !r.Revoked.IsZero() {
		t.Fatalf("during the cut: %v %v (want the replica's unrevoked record)", r, err)
	}
	p.Restore()
	if !eventually(2*time.Second, func() bool { r, _ := s.Lookup(ctx, id); return r != nil && r.Revoked.Equal(t0) }) {
		t.Fatal("the revocation made during the cut was not applied after it")
	}

	// No notification at all: only the periodic re-read finds it.
	s2 := d.open(t, newPool(t, testDSN(), "pgstore-test"), pgstore.WithShortIntervalsForTest(), pgstore.WithResyncInterval(100*time.Millisecond))
	d.rawExec(t, "UPDATE TABLE SET revoked = $2 WHERE id = $1", f.ids["scheduled"], t0)
	if !eventually(2*time.Second, func() bool { r, _ := s2.Lookup(ctx, f.ids["scheduled"]); return r != nil && r.Revoked.Equal(t0) }) {
		t.Fatal("the periodic re-read did not apply an unnotified change")
	}
}

// TestStaleness checks the outage: within the staleness limit valid keys
// still pass the gate (200), past it every lookup is a 503
// verifier_unavailable, never a 401; one error line when the outage
// begins and one info line when it ends; a revocation made meanwhile
// applies once the database is back.
func TestStaleness(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	p := newProxy(t)
	clock := authgatetest.NewClock(time.Now())
	storeLog := &authgatetest.Log{}
	s := d.open(t, p.pool(t, "pgstore-test"), fast, pgstore.WithClock(clock.Now),
		pgstore.WithMaxStaleness(time.Minute), pgstore.WithLogger(storeLog.Logger()))
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	ctx := context.Background()
	good, other := f.keys["good"], f.keys["scheduled"]

	if code, _ := serve(t, h, lb, get("X-API-Key", good)); code != 200 {
		t.Fatalf("before the cut: %d", code)
	}
	p.Cut()
	if !eventually(2*time.Second, func() bool { return !pgstore.Healthy(s) }) {
		t.Fatal("the store did not notice the cut")
	}
	if err := d.admin.Revoke(ctx, f.ids["good"], t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	if code, reason := serve(t, h, lb, get("X-API-Key", good)); code != 200 {
		t.Fatalf("within the staleness limit: %d %s, want 200 from the replica", code, reason)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready within the limit: %v", err)
	}
	clock.Advance(2 * time.Second)
	for _, key := range []string{good, other, f.keys["unknown"]} {
		code, reason := serve(t, h, lb, get("X-API-Key", key))
		if code != 503 || reason != string(verifiers.VerifierUnavailable) {
			t.Fatalf("past the limit: %d %s, want 503 verifier_unavailable", code, reason)
		}
	}
	if _, err := s.Lookup(ctx, f.ids["good"]); !errors.Is(err, pgstore.ErrStale) || errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("Lookup past the limit: %v, want ErrStale", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, pgstore.ErrStale) {
		t.Fatalf("Ready past the limit: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // several failed reconnections: still one line
	p.Restore()
	if !eventually(3*time.Second, func() bool { code, _ := serve(t, h, lb, get("X-API-Key", good)); return code == 401 }) {
		t.Fatal("the store did not recover")
	}
	if code, reason := serve(t, h, lb, get("X-API-Key", good)); code != 401 || reason != string(verifiers.APIKeyRevoked) {
		t.Fatalf("after recovery: %d %s, want 401 apikey_revoked", code, reason)
	}
	if code, _ := serve(t, h, lb, get("X-API-Key", other)); code != 200 {
		t.Fatalf("after recovery, the other key: %d", code)
	}
	var errs, infos int
	for _, ev := range storeLog.Events(t) {
		switch ev["level"] {
		case "error":
			errs++
			if !strings.Contains(ev["message"].(string), "lost the key store database") {
				t.Errorf("error line %v", ev)
			}
		case "info":
			infos++
		}
	}
	if errs != 1 || infos != 1 {
		t.Fatalf("%d error and %d info lines, want 1 and 1:\n%s", errs, infos, storeLog)
	}
}

// TestCutRestoreCycles cuts and restores the connection many times and
// checks that the store recovers each time and leaks neither goroutines
// nor connections.
func TestCutRestoreCycles(t *testing.T) {
	d := newDB(t)
	f := newFixture(t, d)
	ctx := context.Background()
	app := "pgstore-test-cycles-" + randHex(4)
	conns := func() int {
		var n int
		if err := d.pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := runtime.NumGoroutine()
	p := newProxy(t)
	pool := p.pool(t, app)
	s, err := pgstore.Open(ctx, pool, pgstore.WithSchema(d.schema), fast, pgstore.WithLogger(authgatetestLog(t)))
	if err != nil {
		t.Fatal(err)
	}
	const cycles = 25
	for i := range cycles {
		p.Cut()
		if !eventually(2*time.Second, func() bool { return !pgstore.Healthy(s) }) {
			t.Fatalf("cycle %d: the cut went unnoticed", i)
		}
		// A read-through during the cut fails fast with a 503, not a 401.
		if _, err := s.Lookup(ctx, "nosuchid"+randHex(2)); err == nil || errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("cycle %d: read-through during the cut: %v", i, err)
		}
		p.Restore()
		if !eventually(2*time.Second, func() bool { return pgstore.Healthy(s) }) {
			t.Fatalf("cycle %d: no recovery", i)
		}
		if _, err := s.Lookup(ctx, f.ids["good"]); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if n := conns(); n > 5 { // the pool's 4 and the listener
			t.Fatalf("cycle %d: %d connections of %s", i, n, app)
		}
	}
	if n := p.accept.Load(); n < cycles {
		t.Errorf("only %d connections went through the proxy in %d cycles", n, cycles)
	}
	s.Close()
	s.Close() // again: nothing
	if _, err := s.Lookup(ctx, f.ids["good"]); !errors.Is(err, pgstore.ErrClosed) {
		t.Errorf("Lookup after Close: %v", err)
	}
	if err := s.Ready(ctx); !errors.Is(err, pgstore.ErrClosed) {
		t.Errorf("Ready after Close: %v", err)
	}
	pool.Close()
	if !eventually(3*time.Second, func() bool { return conns() == 0 }) {
		t.Errorf("%d connections of %s left after Close", conns(), app)
	}
	// The proxy's own goroutines end with the test; compare without them.
	p.Cut()
	if !eventually(3*time.Second, func() bool { return runtime.NumGoroutine() <= before+1 }) { // +1: the proxy's accept loop
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	}
}

// TestFrozenConnection checks a connection that goes silent without
// closing (a firewall dropping packets, a failover): the heartbeat's ping
// times out, the store serves its replica, then 503s past the staleness
// limit, never hanging, and recovers when packets flow again.
func TestFrozenConnection(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	p := newProxy(t)
	clock := authgatetest.NewClock(time.Now())
	s := d.open(t, p.pool(t, "pgstore-test"), fast, pgstore.WithClock(clock.Now), pgstore.WithMaxStaleness(time.Minute))
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	ctx := context.Background()

	p.Freeze(true)
	if !eventually(3*time.Second, func() bool { return !pgstore.Healthy(s) }) {
		t.Fatal("a silent connection went unnoticed")
	}
	if code, _ := serve(t, h, lb, get("X-API-Key", f.keys["good"])); code != 200 {
		t.Fatalf("within the staleness limit: %d", code)
	}
	if err := d.admin.Revoke(ctx, f.ids["good"], t0); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	start := time.Now()
	if code, reason := serve(t, h, lb, get("X-API-Key", f.keys["good"])); code != 503 || reason != string(verifiers.VerifierUnavailable) {
		t.Fatalf("past the limit: %d %s", code, reason)
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("the 503 took %s: the lookup waited on the silent database", took)
	}
	p.Freeze(false)
	if !eventually(5*time.Second, func() bool { code, _ := serve(t, h, lb, get("X-API-Key", f.keys["good"])); return code == 401 }) {
		t.Fatal("no recovery after the connection came back")
	}
	if _, reason := serve(t, h, lb, get("X-API-Key", f.keys["good"])); reason != string(verifiers.APIKeyRevoked) {
		t.Fatalf("after recovery: %s, want apikey_revoked", reason)
	}
}

// TestFrozenPastShortStaleness: with a maximum staleness shorter than
// the listener's statement timeout (1 s against 10 s), a connection
// that goes silent mid-ping still turns lookups into 503 once the
// replica has gone unconfirmed for the limit, not when the ping gives up:
// a key revoked meanwhile is refused from then on, not accepted for the
// timeout's length. It recovers when packets flow again.
func TestFrozenPastShortStaleness(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	p := newProxy(t)
	s := d.open(t, p.pool(t, "pgstore-test"), pgstore.WithMaxStaleness(time.Second))
	ctx := context.Background()
	if _, err := s.Lookup(ctx, f.ids["good"]); err != nil {
		t.Fatal(err)
	}
	p.Freeze(true)
	frozen := time.Now()
	if !eventually(3*time.Second, func() bool { _, err := s.Lookup(ctx, f.ids["good"]); return errors.Is(err, pgstore.ErrStale) }) {
		t.Fatalf("a replica unconfirmed for %s, over its 1 s limit, still answers (healthy %v)", time.Since(frozen).Round(time.Millisecond), pgstore.Healthy(s))
	}
	if err := s.Ready(ctx); !errors.Is(err, pgstore.ErrStale) {
		t.Errorf("Ready past the limit: %v", err)
	}
	p.Freeze(false)
	if !eventually(5*time.Second, func() bool { _, err := s.Lookup(ctx, f.ids["good"]); return err == nil }) {
		t.Fatal("no recovery after the connection came back")
	}
}
