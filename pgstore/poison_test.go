package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/pgstore"
)

// TestRowsTheScannerCannotRead: values the table's checks allow but
// Go's types do not hold (a NULL among the scopes, an infinite
// timestamp, as a DBA writes "never expires") neither fail Open nor a
// re-read of the table: failing the whole read left a restarted instance
// unable to start and a running one reconnecting in a loop until its
// replica went stale and every key answered 503. Infinite times mean
// what PostgreSQL says: expires 'infinity' never expires, '-infinity'
// has expired, revoked '-infinity' is revoked. A NULL scope makes the
// row invalid: not served, like any invalid row.
func TestRowsTheScannerCannotRead(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	never, expired, revoked, nullScope := mustKey(t, "live"), mustKey(t, "live"), mustKey(t, "live"), mustKey(t, "live")
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, expires, created) VALUES ($1, $2, 'svc-never', 'infinity', '-infinity')", never.ID(), hashOf(never))
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, expires) VALUES ($1, $2, 'svc-expired', '-infinity')", expired.ID(), hashOf(expired))
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, revoked) VALUES ($1, $2, 'svc-revoked', '-infinity')", revoked.ID(), hashOf(revoked))
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, scopes) VALUES ($1, $2, 'svc-null', '{a,NULL}')", nullScope.ID(), hashOf(nullScope))
	s, err := pgstore.Open(context.Background(), newPool(t, testDSN(), "pgstore-test"), pgstore.WithSchema(d.schema),
		pgstore.WithLogger(authgatetestLog(t)), pgstore.WithShortIntervalsForTest(), pgstore.WithResyncInterval(50*time.Millisecond))
	if err != nil {
		t.Fatalf("Open beside rows with an infinite time or a NULL scope: %v", err)
	}
	t.Cleanup(s.Close)
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	for _, c := range []struct {
		name, key string
		code      int
		reason    string
	}{
		{"good", f.keys["good"], 200, ""},
		{"expires infinity", never.Reveal(), 200, ""},
		{"expires -infinity", expired.Reveal(), 401, "apikey_expired"},
		{"revoked -infinity", revoked.Reveal(), 401, "apikey_revoked"},
		{"a NULL scope", nullScope.Reveal(), 503, "verifier_unavailable"},
	} {
		if code, reason := serve(t, h, lb, get("X-API-Key", c.key)); code != c.code || c.reason != "" && reason != c.reason {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, reason, c.code, c.reason)
		}
	}
	// A running store: a change that makes a row unreadable (notified)
	// and the re-reads of the table keep it healthy, and a revocation
	// made afterwards still arrives.
	if _, err := d.pool.Exec(context.Background(), "UPDATE "+pgx.Identifier{d.schema, "api_keys"}.Sanitize()+" SET scopes = '{NULL}' WHERE id = $1", f.ids["test"]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // several re-reads of the table
	if err := d.admin.Revoke(context.Background(), f.ids["good"], t0.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if !eventually(2*time.Second, func() bool {
		_, reason := serve(t, h, lb, get("X-API-Key", f.keys["good"]))
		return reason == "apikey_revoked"
	}) {
		t.Fatalf("a revocation after an unreadable row was notified did not arrive (healthy %v)", pgstore.Healthy(s))
	}
	if !pgstore.Healthy(s) {
		t.Error("the store is not healthy after reading an unreadable row")
	}
}
