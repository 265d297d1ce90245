package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestGateOutcomes runs every outcome of the apikey verifier's table
// through a real gate over a Store on PostgreSQL, and checks the status,
// the logged reason and the public reason in the body.
func TestGateOutcomes(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	good := f.keys["good"]
	cases := []struct {
		name   string
		key    string
		status int
		reason verifiers.Reason // logged; "" for success
		public verifiers.Reason // in the body
	}{
		{"valid", good, 200, "", ""},
		{"valid_foreign", f.keys["foreign"], 200, "", ""},
		{"scheduled_revocation_still_valid", f.keys["scheduled"], 200, "", ""},
		{"unknown_id", f.keys["unknown"], 401, verifiers.APIKeyUnknown, verifiers.CredentialsInvalid},
		{"unknown_foreign", f.keys["foreignUnknown"], 401, verifiers.APIKeyUnknown, verifiers.CredentialsInvalid},
		{"wrong_secret", mismatch(t, good), 401, verifiers.APIKeySecretMismatch, verifiers.CredentialsInvalid},
		{"revoked", f.keys["revoked"], 401, verifiers.APIKeyRevoked, verifiers.APIKeyRevoked},
		{"expired", f.keys["expired"], 401, verifiers.APIKeyExpired, verifiers.APIKeyExpired},
		{"wrong_environment_tag", f.keys["test"], 401, verifiers.APIKeyWrongEnv, verifiers.APIKeyWrongEnv},
		{"wrong_environment_record", f.keys["envrec"], 401, verifiers.APIKeyWrongEnv, verifiers.APIKeyWrongEnv},
		{"checksum_invalid", good[:len(good)-1] + "x", 401, verifiers.APIKeyChecksumInvalid, verifiers.APIKeyChecksumInvalid},
		{"malformed", "ak_live_" + f.ids["good"], 401, verifiers.CredentialsMalformed, verifiers.CredentialsMalformed},
		{"missing", "", 401, verifiers.CredentialsMissing, verifiers.CredentialsMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lb.Reset()
			req := get()
			if c.key != "" {
				req = get("X-API-Key", c.key)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s; log %s", w.Code, c.status, w.Body, lb)
			}
			rs := lb.Reasons(t)
			switch {
			case c.reason == "" && len(rs) != 0:
				t.Fatalf("refused with %v", rs)
			case c.reason != "" && (len(rs) != 1 || rs[0] != string(c.reason)):
				t.Fatalf("logged reasons %v, want [%s]", rs, c.reason)
			}
			if c.public != "" {
				var body map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["reason"] != string(c.public) {
					t.Errorf("body reason %v (%v), want %s", body["reason"], err, c.public)
				}
			}
		})
	}
}

// TestLookupSharesRecords checks that Lookup returns the same *Record for
// an id until its row changes, so that the verifier reuses its Identity,
// and a new one after.
func TestLookupSharesRecords(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	ctx := context.Background()
	id := f.ids["good"]
	a, err := s.Lookup(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Lookup(ctx, id); b != a {
		t.Fatal("two lookups returned different records")
	}
	if a.Hash != f.recs["good"].Hash || a.Subject != "svc-good" || strings.Join(a.Scopes, ",") != "reports:read,orders:write" || a.Environment != "live" || !a.Created.Equal(f.recs["good"].Created) {
		t.Errorf("record %+v differs from the one created", a)
	}
	// An update that changes nothing (a touch) keeps the record.
	if _, err := d.pool.Exec(ctx, "UPDATE "+d.schema+".api_keys SET subject = subject WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if err := d.admin.Revoke(ctx, f.ids["revoked"], t0); err != nil { // a later change, to know the first was seen
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if b, _ := s.Lookup(ctx, id); b != a {
		t.Error("an unchanged row replaced its record")
	}
	if err := d.admin.Revoke(ctx, id, t0); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { b, _ := s.Lookup(ctx, id); return b != a && b.Revoked.Equal(t0) }) {
		t.Fatal("the revocation did not reach the replica within 1s")
	}
	if !a.Revoked.IsZero() {
		t.Error("the revocation modified the old record")
	}
	// Deleting the row removes the key.
	if _, err := d.pool.Exec(ctx, "DELETE FROM "+d.schema+".api_keys WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, err := s.Lookup(ctx, id); return errors.Is(err, apikey.ErrNotFound) }) {
		t.Fatal("a deleted row is still served")
	}
	// TRUNCATE empties every replica.
	if _, err := d.pool.Exec(ctx, "TRUNCATE "+d.schema+".api_keys"); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { _, err := s.Lookup(ctx, f.ids["scheduled"]); return errors.Is(err, apikey.ErrNotFound) }) {
		t.Fatal("a truncated table is still served")
	}
}

// TestSchemasAreSeparate checks that two schemas on one database do not
// hear each other's notifications.
func TestSchemasAreSeparate(t *testing.T) {
	t.Parallel()
	d1, d2 := newDB(t), newDB(t)
	ctx := context.Background()
	k := mustKey(t, "live")
	r := k.Record("svc", nil, time.Time{})
	for _, d := range []*db{d1, d2} {
		if err := d.admin.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	pool := newPool(t, testDSN(), "pgstore-test")
	s1, s2 := d1.open(t, pool), d2.open(t, pool)
	if err := d2.admin.Revoke(ctx, k.ID(), t0); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { r, _ := s2.Lookup(ctx, k.ID()); return r != nil && !r.Revoked.IsZero() }) {
		t.Fatal("the revocation did not reach its own schema's store")
	}
	time.Sleep(50 * time.Millisecond)
	if r, err := s1.Lookup(ctx, k.ID()); err != nil || !r.Revoked.IsZero() {
		t.Fatalf("the other schema's store saw the revocation: %v %v", r, err)
	}
}

// TestOpenErrors checks the startup errors: the database unreachable (the
// address named, the password never), the table missing, bad options.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const password = "Canary-pa55word-7f3a9c"
	// A port nothing listens on: a proxy's, closed.
	p := newProxy(t)
	port := p.ln.Addr().String()
	_ = p.ln.Close()
	pool := newPool(t, "postgres://postgres:"+password+"@"+port+"/test?sslmode=disable", "pgstore-test")
	_, err := pgstore.Open(ctx, pool)
	if err == nil {
		t.Fatal("Open on an unreachable database succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, port) || !strings.HasPrefix(msg, "pgstore: ") {
		t.Errorf("error %q does not name %s", msg, port)
	}
	if strings.Contains(msg, password) || strings.Contains(msg, password[:8]) {
		t.Errorf("error %q shows the password", msg)
	}
	if errors.Is(err, apikey.ErrNotFound) {
		t.Error("an unreachable database is ErrNotFound")
	}
	t.Log(msg)

	needDB(t)
	direct := newPool(t, testDSN(), "pgstore-test")
	_, err = pgstore.Open(ctx, direct, pgstore.WithSchema("pgstore_never_migrated_"+randHex(4)))
	if err == nil || !strings.Contains(err.Error(), "pgstore.Migrate") {
		t.Errorf("Open on a missing table: %v", err)
	}
	for _, o := range []pgstore.Option{
		pgstore.WithMaxStaleness(0), pgstore.WithResyncInterval(-1), pgstore.WithNegativeCache(0, time.Minute),
		pgstore.WithNegativeCache(10, 0), pgstore.WithReadThroughLimit(0), pgstore.WithClock(nil),
		// Durations without their unit, nanoseconds: a resync every
		// 60 ns would re-read the table in a loop, a staleness of 300 ns
		// answers 503 at the first hiccup, a 60 ns TTL caches nothing.
		pgstore.WithResyncInterval(60), pgstore.WithMaxStaleness(300), pgstore.WithNegativeCache(10, 60),
		pgstore.WithMaxStaleness(999 * time.Millisecond),
	} {
		if _, err := pgstore.Open(ctx, direct, o); !errors.Is(err, pgstore.ErrInvalidConfig) {
			t.Errorf("Open with a bad option: %v", err)
		}
	}
	// A nil pool is an error, not a panic, for all three.
	if _, err := pgstore.Open(ctx, nil); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Open with a nil pool: %v", err)
	}
	if err := pgstore.Migrate(ctx, nil); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Migrate with a nil pool: %v", err)
	}
	if _, err := pgstore.NewAdmin(nil).List(ctx); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Admin.List with a nil pool: %v", err)
	}
}

// TestSchemaName checks that only plain identifiers are accepted as
// schema names, everywhere one is given: the name is pasted into SQL.
func TestSchemaName(t *testing.T) {
	t.Parallel()
	bad := []string{
		"", "Authgate", "auth gate", `a"; DROP TABLE x; --`, "a'b", "a.b", "1abc", "pg_keys", "ä",
		strings.Repeat("a", 49), "a-b", "a\x00",
	}
	for _, name := range bad {
		if _, err := pgstore.SchemaSQL(name); !errors.Is(err, pgstore.ErrInvalidSchema) {
			t.Errorf("SchemaSQL(%q) = %v, want ErrInvalidSchema", name, err)
		}
	}
	for _, name := range []string{"authgate", "_x", "keys_2", "select", strings.Repeat("a", 48)} {
		sql, err := pgstore.SchemaSQL(name)
		if err != nil {
			t.Errorf("SchemaSQL(%q) = %v", name, err)
			continue
		}
		if !strings.Contains(sql, `CREATE TABLE IF NOT EXISTS "`+name+`".api_keys`) || !strings.Contains(sql, `pg_notify('`+name+`.api_keys', NEW.id)`) {
			t.Errorf("SchemaSQL(%q) lacks the table or the channel", name)
		}
		if strings.Contains(sql, "{{") {
			t.Errorf("SchemaSQL(%q) left a placeholder", name)
		}
	}
	// Every entry point refuses a bad name before touching the database.
	pool := newPool(t, "postgres://postgres@127.0.0.1:1/none", "pgstore-test")
	ctx := context.Background()
	o := pgstore.WithSchema(`x"y`)
	if err := pgstore.Migrate(ctx, pool, o); !errors.Is(err, pgstore.ErrInvalidSchema) {
		t.Errorf("Migrate: %v", err)
	}
	if _, err := pgstore.Open(ctx, pool, o); !errors.Is(err, pgstore.ErrInvalidSchema) {
		t.Errorf("Open: %v", err)
	}
	a := pgstore.NewAdmin(pool, o)
	if _, err := a.List(ctx); !errors.Is(err, pgstore.ErrInvalidSchema) {
		t.Errorf("Admin.List: %v", err)
	}
	if err := a.Revoke(ctx, "x", t0); !errors.Is(err, pgstore.ErrInvalidSchema) {
		t.Errorf("Admin.Revoke: %v", err)
	}
}

// TestMigrate checks that Migrate can run again, and from several
// instances at once, without error or change.
func TestMigrate(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	k := mustKey(t, "live")
	if err := d.admin.Create(ctx, k.Record("svc", nil, time.Time{})); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- pgstore.Migrate(ctx, d.pool, pgstore.WithSchema(d.schema)) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	recs, err := d.admin.List(ctx)
	if err != nil || len(recs) != 1 || recs[0].ID != k.ID() {
		t.Fatalf("after migrating again: %v %v", recs, err)
	}
	// The table refuses what Record.Validate refuses, for teams writing
	// to it by hand.
	for _, sql := range []string{
		"INSERT INTO TABLE (id, hash, subject) VALUES ('a b', '\\x" + strings.Repeat("00", 32) + "', 's')",
		"INSERT INTO TABLE (id, hash, subject) VALUES ('ab', '\\x00', 's')",
		"INSERT INTO TABLE (id, hash, subject, environment) VALUES ('ab', '\\x" + strings.Repeat("01", 32) + "', 's', 'LIVE')",
	} {
		sql = strings.ReplaceAll(sql, "TABLE", d.schema+".api_keys")
		if _, err := d.pool.Exec(ctx, sql); err == nil {
			t.Errorf("the table accepted %s", sql)
		}
	}
}
