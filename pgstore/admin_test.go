package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestAdmin checks Create, Revoke, List and Rotate, and what every Store
// on the table makes of them.
func TestAdmin(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	a := pgstore.NewAdmin(d.pool, pgstore.WithSchema(d.schema), pgstore.WithClock(func() time.Time { return now }))
	s := d.open(t, newPool(t, testDSN(), "pgstore-test"))
	v, err := apikey.New(s, apikey.WithEnvironment("live"), apikey.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(key string) verifiers.Reason {
		_, err := v.Verify(get("X-API-Key", key))
		return reason(err)
	}

	k := mustKey(t, "live")
	rec := k.Record("svc-a", []string{"reports:read"}, now.Add(90*24*time.Hour))
	rec.Created = now.Add(-10 * 24 * time.Hour)
	if err := a.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := a.Create(ctx, rec); !errors.Is(err, pgstore.ErrExists) {
		t.Errorf("Create twice: %v", err)
	}
	if err := a.Create(ctx, &apikey.Record{ID: "x"}); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Create(invalid): %v", err)
	}
	if err := a.Create(ctx, nil); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Create(nil): %v", err)
	}
	if !eventually(time.Second, func() bool { return verify(k.Reveal()) == "" }) {
		t.Fatalf("a created key is refused: %s", verify(k.Reveal()))
	}

	list, err := a.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %v %v", list, err)
	}
	if got := list[0]; got.ID != rec.ID || got.Hash != rec.Hash || got.Subject != rec.Subject || !got.Expires.Equal(rec.Expires) || !got.Created.Equal(rec.Created) || !got.Revoked.IsZero() {
		t.Errorf("List returned %+v, want %+v", got, rec)
	}

	// Rotate: the new key works at once, with the old one's subject,
	// scopes and lifetime; the old one until oldExpires.
	next := mustKey(t, "live")
	overlap := now.Add(24 * time.Hour)
	nr, err := a.Rotate(ctx, k.ID(), next, overlap)
	if err != nil {
		t.Fatal(err)
	}
	if nr.ID != next.ID() || nr.Subject != "svc-a" || len(nr.Scopes) != 1 || !nr.Created.Equal(now) || !nr.Expires.Equal(now.Add(100*24*time.Hour)) {
		t.Errorf("Rotate returned %+v", nr)
	}
	if !eventually(time.Second, func() bool { return verify(next.Reveal()) == "" }) {
		t.Fatalf("the rotated-in key is refused: %s", verify(next.Reveal()))
	}
	if !eventually(time.Second, func() bool { r, _ := s.Lookup(ctx, k.ID()); return r.Expires.Equal(overlap) }) {
		t.Fatal("the old key's expiry did not reach the store")
	}
	if r := verify(k.Reveal()); r != "" {
		t.Errorf("the old key within the overlap: %s", r)
	}
	// A later oldExpires does not extend the old key.
	if _, err := a.Rotate(ctx, k.ID(), mustKey(t, "live"), overlap.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if recs, _ := a.List(ctx); !recs[0].Expires.Equal(overlap) {
		t.Errorf("a second rotation extended the old key to %s", recs[0].Expires)
	}
	if _, err := a.Rotate(ctx, "nosuchkey", mustKey(t, "live"), overlap); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Rotate(unknown): %v", err)
	}
	if _, err := a.Rotate(ctx, k.ID(), next, overlap); !errors.Is(err, pgstore.ErrExists) {
		t.Errorf("Rotate to a stored key: %v", err)
	}
	if _, err := a.Rotate(ctx, k.ID(), mustKey(t, "test"), overlap); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Rotate to another environment: %v", err)
	}
	if _, err := a.Rotate(ctx, k.ID(), apikey.Key{}, overlap); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Rotate to an empty key: %v", err)
	}
	exp := now.Add(7 * 24 * time.Hour)
	if r, err := a.RotateExpiring(ctx, next.ID(), mustKey(t, "live"), exp, overlap); err != nil || !r.Expires.Equal(exp) {
		t.Errorf("RotateExpiring: %v %v", r, err)
	}

	// Revoke: immediate, scheduled, never postponed.
	if err := a.Revoke(ctx, "nosuchkey", now); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Revoke(unknown): %v", err)
	}
	if err := a.Revoke(ctx, k.ID(), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return verify(k.Reveal()) == verifiers.APIKeyRevoked }) {
		t.Fatalf("revoked key: %s", verify(k.Reveal()))
	}
	if err := a.Revoke(ctx, k.ID(), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if r := verify(k.Reveal()); r != verifiers.APIKeyRevoked {
		t.Errorf("a later revocation time revived the key: %s", r)
	}
	if _, err := a.Rotate(ctx, k.ID(), mustKey(t, "live"), overlap); !errors.Is(err, pgstore.ErrNotRotatable) {
		t.Errorf("Rotate(revoked): %v", err)
	}
	if err := a.Revoke(ctx, next.ID(), now.Add(time.Hour)); err != nil { // scheduled
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if r := verify(next.Reveal()); r != "" {
		t.Errorf("a scheduled revocation refused the key early: %s", r)
	}
	if err := a.Revoke(ctx, next.ID(), time.Time{}); !errors.Is(err, pgstore.ErrInvalidConfig) {
		t.Errorf("Revoke at the zero time: %v", err)
	}
}

// TestConcurrentChanges creates and revokes keys while lookups and
// verifications run on two Stores (for the race detector), then checks
// that both replicas converge on the table.
func TestConcurrentChanges(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	pool := newPool(t, testDSN(), "pgstore-test")
	stores := []*pgstore.Store{d.open(t, pool), d.open(t, newPool(t, testDSN(), "pgstore-test"))}
	ctx := context.Background()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for _, s := range stores {
		v := newVerifier(t, s)
		for range 4 {
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := v.Verify(get("X-API-Key", f.keys["good"])); err != nil {
						t.Errorf("the untouched key: %v", err)
						return
					}
					_, _ = s.Lookup(ctx, f.ids["unknown"])
				}
			})
		}
	}
	var writers sync.WaitGroup
	keys := make([][]apikey.Key, 3)
	for w := range keys {
		writers.Go(func() {
			for range 15 {
				k := mustKey(t, "live")
				if err := d.admin.Create(ctx, k.Record("svc", []string{"a"}, time.Time{})); err != nil {
					t.Error(err)
					return
				}
				// Look it up at once: the notification may not be there yet.
				for _, s := range stores {
					if _, err := s.Lookup(ctx, k.ID()); err != nil {
						t.Errorf("a key just created: %v", err)
					}
				}
				if err := d.admin.Revoke(ctx, k.ID(), t0); err != nil {
					t.Error(err)
				}
				keys[w] = append(keys[w], k)
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	for _, ks := range keys {
		for _, k := range ks {
			for i, s := range stores {
				if !eventually(time.Second, func() bool { r, err := s.Lookup(ctx, k.ID()); return err == nil && r.Revoked.Equal(t0) }) {
					t.Fatalf("store %d: key %s not revoked", i, k.ID())
				}
			}
		}
	}
}
