package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestKeysRevokeBesideAnInvalidRow: revoke reads the one key it works on,
// so a row elsewhere in the table that fails validation (a NULL scope,
// which the table allows) does not stop it; list still names the bad row.
func TestKeysRevokeBesideAnInvalidRow(t *testing.T) {
	t.Parallel()
	b := pgBackend(t)
	k := b.create(t, "--subject", "svc")
	bad := b.create(t, "--subject", "svc-bad")
	pool := newPool(t)
	if _, err := pool.Exec(context.Background(), "UPDATE "+pgx.Identifier{b.flags[3], "api_keys"}.Sanitize()+" SET scopes = '{NULL}' WHERE id = $1", bad.ID()); err != nil {
		t.Fatal(err)
	}
	r := keysRun(t, nil, append([]string{"revoke", k.ID()}, b.flags...)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "key "+k.ID()+" revoked at ") || r.stderr != "" {
		t.Fatalf("revoke beside an invalid row: %s", r)
	}
	if r := keysRun(t, nil, append([]string{"list"}, b.flags...)...); r.code != 1 || !strings.Contains(r.stderr, bad.ID()) {
		t.Errorf("list with an invalid row: %s", r)
	}
}

// TestKeysRevokeClockAhead: on a machine whose clock runs ahead of the
// database's, a revocation made now is stored at the database's (earlier)
// time, as pgstore.Admin does on purpose; the command says the key is
// revoked, not that it "was already revoked".
func TestKeysRevokeClockAhead(t *testing.T) {
	t.Parallel()
	b := pgBackend(t)
	k := b.create(t, "--subject", "svc")
	ahead := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	kf := &keysFlags{op: "revoke", postgres: testDSN(), schema: b.flags[3], id: k.ID(), now: ahead, atTime: ahead}
	ctx := context.Background()
	s, err := openKeyStore(ctx, kf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	var out, errb bytes.Buffer
	if err := keysRevoke(ctx, env{stdout: &out, stderr: &errb}, kf, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "key "+k.ID()+" revoked at ") || errb.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", out.String(), errb.String())
	}
	if strings.Contains(out.String(), ahead.Format(time.RFC3339)) {
		t.Errorf("stored this machine's time, not the database's: %q", out.String())
	}
	if _, reason := b.verify(t, k.Reveal()); reason != "apikey_revoked" {
		t.Errorf("revoked key: %q", reason)
	}
}
