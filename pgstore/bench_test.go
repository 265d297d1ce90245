package pgstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// benchStores returns a Store on PostgreSQL and a MemoryStore holding the
// same 1000 keys, and one valid key.
func benchStores(b *testing.B) (map[string]apikey.Store, string) {
	b.Helper()
	d := newDB(b)
	ctx := context.Background()
	mem, err := apikey.NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	var key string
	for i := range 1000 {
		k := mustKey(b, "live")
		r := k.Record("svc", []string{"reports:read"}, time.Time{})
		if err := d.admin.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := mem.Put(r); err != nil {
			b.Fatal(err)
		}
		if i == 500 {
			key = k.Reveal()
		}
	}
	pg := d.open(b, newPool(b, testDSN(), "pgstore-bench"))
	return map[string]apikey.Store{"memory": mem, "pgstore": pg}, key
}

var benchOrder = []string{"memory", "pgstore"}

// BenchmarkHitPath compares the PostgreSQL store's hit path with
// apikey.MemoryStore's: Lookup alone, a successful Verify, and a
// successful request through the gate, serially and on every core. The
// target is the PostgreSQL store within 10% of the memory store.
func BenchmarkHitPath(b *testing.B) {
	stores, key := benchStores(b)
	k, err := apikey.ParseKey(key, apikey.DefaultPrefix)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range benchOrder {
		s := stores[name]
		b.Run("lookup/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Lookup(ctx, k.ID()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, name := range benchOrder {
		v := newVerifier(b, stores[name])
		req := get("X-API-Key", key)
		b.Run("verify/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("verify_parallel/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := get("X-API-Key", key)
				for pb.Next() {
					if _, err := v.Verify(r); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, name := range benchOrder {
		g := middleware.New(middleware.WithLogger(zerolog.Nop()))
		h := g.Require(newVerifier(b, stores[name]))(noop)
		req := get("X-API-Key", key)
		w := httptest.NewRecorder()
		b.Run("gate/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.Header())
				h.ServeHTTP(w, req)
			}
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}

// BenchmarkMiss measures a lookup of an unknown id answered by the
// negative cache (after the first, which queries the database).
func BenchmarkMiss(b *testing.B) {
	stores, _ := benchStores(b)
	s := stores["pgstore"].(*pgstore.Store)
	id := mustKey(b, "live").ID()
	ctx := context.Background()
	_, _ = s.Lookup(ctx, id)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.Lookup(ctx, id)
	}
}
