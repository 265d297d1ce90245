package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestRotateKeepsScheduledRevocation: a key whose revocation is
// scheduled (Revoke with a time to come) hands the revocation on to the
// key that replaces it, with Rotate and RotateExpiring alike. Without it,
// rotating (a self-service "roll key" endpoint, a routine rotation)
// turned "this access ends on Friday" into a fresh key valid for the
// old key's whole lifetime.
func TestRotateKeepsScheduledRevocation(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	a := pgstore.NewAdmin(d.pool, pgstore.WithSchema(d.schema), pgstore.WithClock(func() time.Time { return now }))
	k := mustKey(t, "live")
	rec := k.Record("svc-contractor", []string{"reports:read"}, now.Add(300*24*time.Hour))
	rec.Created = now.Add(-60 * 24 * time.Hour)
	if err := a.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	friday := now.Add(72 * time.Hour)
	if err := a.Revoke(ctx, k.ID(), friday); err != nil {
		t.Fatal(err)
	}
	next := mustKey(t, "live")
	nr, err := a.Rotate(ctx, k.ID(), next, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	third := mustKey(t, "live")
	tr, err := a.RotateExpiring(ctx, next.ID(), third, time.Time{}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]*apikey.Record{}
	recs, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		stored[r.ID] = r
	}
	for _, c := range []struct {
		what string
		r    *apikey.Record
	}{
		{"Rotate's record", nr}, {"the stored rotated-in key", stored[next.ID()]},
		{"RotateExpiring's record", tr}, {"the stored key of the second rotation", stored[third.ID()]},
	} {
		if c.r == nil {
			t.Errorf("%s: missing", c.what)
		} else if !c.r.Revoked.Equal(friday) {
			t.Errorf("%s: revoked at %v, want %s as the key it replaces", c.what, c.r.Revoked, friday)
		}
	}
}

// TestRevokeNowFromAClockAhead: a tool whose clock runs 30 s ahead of
// the servers' revokes a key "now": the instances refuse it at once, not
// 30 s later, because the database's earlier time is written. A
// revocation scheduled for later keeps its time.
func TestRevokeNowFromAClockAhead(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	ahead := func() time.Time { return time.Now().Add(30 * time.Second) }
	a := pgstore.NewAdmin(d.pool, pgstore.WithSchema(d.schema), pgstore.WithClock(ahead))
	now, later := mustKey(t, "live"), mustKey(t, "live")
	for _, k := range []apikey.Key{now, later} {
		if err := a.Create(ctx, k.Record("svc", nil, time.Time{})); err != nil {
			t.Fatal(err)
		}
	}
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	v, err := apikey.New(s, apikey.WithEnvironment("live"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, now.ID(), ahead()); err != nil {
		t.Fatal(err)
	}
	scheduled := ahead().Add(time.Hour).Truncate(time.Microsecond)
	if err := a.Revoke(ctx, later.ID(), scheduled); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool {
		_, err := v.Verify(get("X-API-Key", now.Reveal()))
		return reason(err) == "apikey_revoked"
	}) {
		t.Fatalf("a key revoked now by a tool 30 s ahead still works on the servers' clock (stored: %v)", revokedAt(s, now.ID()))
	}
	if !eventually(time.Second, func() bool { r, err := s.Lookup(ctx, later.ID()); return err == nil && r.Revoked.Equal(scheduled) }) {
		t.Errorf("a scheduled revocation: %v, want %s", revokedAt(s, later.ID()), scheduled)
	}
}

// revokedAt is the revocation time of id in s, or the lookup's error.
func revokedAt(s *pgstore.Store, id string) any {
	r, err := s.Lookup(context.Background(), id)
	if err != nil {
		return err
	}
	return r.Revoked
}
