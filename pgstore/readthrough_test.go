package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// queryCounter counts the read-through queries of a pool (those reading
// one id), to check what a lookup costs the database.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "WHERE id = $1") {
		q.n.Add(1)
	}
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestReadThrough checks a lookup that misses the replica: a key the
// replica has not heard of (inserted without notification) is read from
// the database once and then served from memory; an unknown id is read
// once, then answered from the negative cache until its TTL ends; a flood
// of lookups of random unknown ids costs one query per distinct id.
func TestReadThrough(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	qc := &queryCounter{}
	pool := newPool(t, testDSN(), "pgstore-test", func(c *pgxpool.Config) { c.ConnConfig.Tracer = qc })
	clock := authgatetest.NewClock(time.Now())
	s := d.open(t, pool, pgstore.WithClock(clock.Now), pgstore.WithNegativeCache(100, time.Minute))
	ctx := context.Background()

	k := mustKey(t, "live")
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, scopes, environment) VALUES ($1, $2, 'svc', '{a}', 'live')", k.ID(), hashOf(k))
	r, err := s.Lookup(ctx, k.ID())
	if err != nil || r.Subject != "svc" || qc.n.Load() != 1 {
		t.Fatalf("read-through of an unnotified key: %v %v, %d queries", r, err, qc.n.Load())
	}
	if r2, err := s.Lookup(ctx, k.ID()); err != nil || r2 != r || qc.n.Load() != 1 {
		t.Fatalf("second lookup: same record %v, %v, %d queries (want 1: served from the replica)", r2 == r, err, qc.n.Load())
	}

	// Unknown: one query, then the negative cache.
	u := mustKey(t, "live")
	for range 5 {
		if _, err := s.Lookup(ctx, u.ID()); !errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	}
	if n := qc.n.Load(); n != 2 {
		t.Fatalf("%d queries for 5 lookups of one unknown id, want 1", n-1)
	}
	// The key appears without notification: the negative cache answers
	// until its TTL ends, then the row is found.
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject) VALUES ($1, $2, 'svc')", u.ID(), hashOf(u))
	if _, err := s.Lookup(ctx, u.ID()); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("within the negative TTL: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := s.Lookup(ctx, u.ID()); err != nil {
		t.Fatalf("after the negative TTL: %v", err)
	}
	// A key created through the Admin (notified) after being looked up
	// as unknown is found without waiting for the TTL.
	w := mustKey(t, "live")
	if _, err := s.Lookup(ctx, w.ID()); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatal(err)
	}
	if err := d.admin.Create(ctx, w.Record("svc", nil, time.Time{})); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, err := s.Lookup(ctx, w.ID()); return err == nil }) {
		t.Fatal("a created key stayed hidden behind the negative cache")
	}

	// A flood: 64 goroutines looking up the same 10 random ids, 20 times.
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = mustKey(t, "live").ID()
	}
	start := qc.n.Load()
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for j := range 20 {
				if _, err := s.Lookup(ctx, ids[(g+j)%len(ids)]); !errors.Is(err, apikey.ErrNotFound) {
					t.Errorf("flood: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := qc.n.Load() - start; n > int64(len(ids)) {
		t.Errorf("the flood of %d lookups of %d ids cost %d queries, want at most %d", 64*20, len(ids), n, len(ids))
	}
	// Ids no key can have cost nothing.
	start = qc.n.Load()
	for _, id := range []string{"", strings.Repeat("a", 65), "a b", "a'--"} {
		if _, err := s.Lookup(ctx, id); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("Lookup(%q) = %v", id, err)
		}
	}
	if qc.n.Load() != start {
		t.Error("impossible ids were queried")
	}
}

// TestReadThroughCancelled checks that a lookup whose request is
// cancelled ends with the context's error, not ErrNotFound.
func TestReadThroughCancelled(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Lookup(ctx, mustKey(t, "live").ID()); !errors.Is(err, context.Canceled) || errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("cancelled lookup: %v", err)
	}
}

func hashOf(k apikey.Key) []byte { h := k.Hash(); return h[:] }

// TestInvalidRow checks a row written by hand that the table's checks
// allow but Record.Validate refuses (a subject with a space): it is not
// served, and its lookups answer 503 (the store cannot tell what the key
// is), not 401, while the other keys keep working.
func TestInvalidRow(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	k := mustKey(t, "live")
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject) VALUES ($1, $2, 'two words')", k.ID(), hashOf(k))
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	if code, reason := serve(t, h, lb, get("X-API-Key", k.Reveal())); code != 503 {
		t.Fatalf("the invalid row's key: %d %s, want 503", code, reason)
	}
	if code, _ := serve(t, h, lb, get("X-API-Key", f.keys["good"])); code != 200 {
		t.Fatalf("a valid key beside an invalid row: %d", code)
	}
}

// TestReadThroughFloodSlowDatabase: a flood of random unknown ids while
// the database is silent holds at most the read-through limit running
// and 16 times as many waiting; the other lookups fail at once with
// ErrReadThroughBusy (503), instead of each holding its request and a
// goroutine for the 2-second wait. None is told ErrNotFound: the store
// could not tell.
func TestReadThroughFloodSlowDatabase(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	p := newProxy(t)
	s := d.open(t, p.pool(t, "pgstore-test"), pgstore.WithReadThroughLimit(2))
	p.Freeze(true)
	defer p.Freeze(false)
	const n = 200
	var (
		wg         sync.WaitGroup
		fast, busy atomic.Int64
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := s.Lookup(context.Background(), mustKey(t, "live").ID())
			if errors.Is(err, apikey.ErrNotFound) || err == nil {
				t.Errorf("a lookup the silent database could not answer: %v", err)
			}
			if errors.Is(err, pgstore.ErrReadThroughBusy) {
				busy.Add(1)
			}
			if time.Since(start) < 500*time.Millisecond {
				fast.Add(1)
			}
		}()
	}
	wg.Wait()
	// 2 running and 32 waiting may wait; the others fail at once.
	if want := int64(n - 2 - 32); busy.Load() < want || fast.Load() < want {
		t.Errorf("of %d lookups, %d failed busy and %d within 500 ms; want at least %d each", n, busy.Load(), fast.Load(), want)
	}
}
