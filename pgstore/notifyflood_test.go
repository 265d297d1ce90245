package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/verifiers/apikey"
)

// fullReads counts a pool's reads of the whole key table.
type fullReads struct{ n atomic.Int64 }

func (q *fullReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.HasPrefix(d.SQL, "SELECT id, hash") && !strings.Contains(d.SQL, "WHERE") {
		q.n.Add(1)
	}
	return ctx
}

func (q *fullReads) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestNotifyFlood: NOTIFY needs no privilege, so any role that can
// connect to the database can send on the store's channel. A flood of
// empty payloads (what a TRUNCATE sends) costs each instance at most one
// read of the whole table a second, where it used to read it back to
// back, and payloads that cannot be ids are ignored. A real TRUNCATE
// still reaches the replica.
func TestNotifyFlood(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	fr := &fullReads{}
	s := d.open(t, newPool(t, testDSN(), "pgstore-test", func(c *pgxpool.Config) { c.ConnConfig.Tracer = fr }))
	ctx := context.Background()
	before := fr.n.Load()
	ch := pgx.Identifier{d.schema + ".api_keys"}.Sanitize()
	start := time.Now()
	for i := range 40 {
		payload := "''"
		if i%4 == 3 {
			payload = "'not an id; " + strings.Repeat("x", 500) + "'"
		}
		if _, err := d.pool.Exec(ctx, "NOTIFY "+ch+", "+payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(15 * time.Millisecond)
	}
	// The reads they asked for: the first at once, then one a second
	// at most; the last may wait for the gap.
	time.Sleep(1200 * time.Millisecond)
	elapsed := time.Since(start)
	reads := fr.n.Load() - before
	if limit := int64(elapsed/time.Second) + 1; reads > limit {
		t.Errorf("30 empty notifications over %s made %d reads of the whole table, want at most %d", elapsed.Round(time.Millisecond), reads, limit)
	}
	if reads == 0 {
		t.Error("no read of the whole table for an empty notification")
	}
	if _, err := s.Lookup(ctx, f.ids["good"]); err != nil {
		t.Fatalf("the good key after the flood: %v", err)
	}
	if _, err := d.pool.Exec(ctx, "TRUNCATE "+pgx.Identifier{d.schema, "api_keys"}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if !eventually(3*time.Second, func() bool {
		_, err := s.Lookup(ctx, f.ids["good"])
		return errors.Is(err, apikey.ErrNotFound)
	}) {
		t.Error("a TRUNCATE after the flood did not reach the replica")
	}
}
