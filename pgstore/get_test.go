package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers/apikey"
)

// TestAdminGet: Get returns one stored record, validated, and
// ErrNotFound for an id with none; a row elsewhere that fails validation
// (a NULL scope) does not stop it, though it stops List.
func TestAdminGet(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	a := d.admin
	k := mustKey(t, "live")
	rec := k.Record("svc-a", []string{"reports:read"}, time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC))
	if err := a.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	bad := mustKey(t, "live")
	d.rawExec(t, "INSERT INTO TABLE (id, hash, subject, scopes) VALUES ($1, $2, 'svc-null', '{a,NULL}')", bad.ID(), hashOf(bad))

	got, err := a.Get(ctx, k.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != rec.ID || got.Hash != rec.Hash || got.Subject != "svc-a" || len(got.Scopes) != 1 || got.Scopes[0] != "reports:read" ||
		!got.Expires.Equal(rec.Expires) || !got.Revoked.IsZero() || got.Environment != "live" {
		t.Errorf("Get returned %+v, want %+v", got, rec)
	}
	if _, err := a.Get(ctx, "NoSuchKey123"); !errors.Is(err, apikey.ErrNotFound) || err.Error() != "pgstore: get key NoSuchKey123: apikey: no such key" {
		t.Errorf("Get(unknown): %v", err)
	}
	if _, err := a.Get(ctx, bad.ID()); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Get(the invalid row): %v, want ErrInvalidRecord", err)
	}
	if _, err := a.List(ctx); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("List beside an invalid row: %v, want ErrInvalidRecord", err)
	}
}
