package authgateotel_test

import (
	"testing"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/authgateotel"
)

// TestFrontSlotShared: two routes whose tuples share a slot of the
// lookup's front (same lengths, same middle and last byte), taking turns
// so that each request misses the front, are still counted apart and
// exactly.
func TestFrontSlotShared(t *testing.T) {
	t.Parallel()
	m := newMeter(t)
	g := quietGate(m.in)
	r := chi.NewRouter()
	v := newScripted()
	r.With(g.Require(v)).Get("/a/items/{id}", okHandler)
	r.With(g.Require(v)).Get("/b/items/{id}", okHandler)
	const n = 50
	for range n {
		serve(r, get("/a/items/1", "Authorization", "Bearer tok-1"))
		serve(r, get("/b/items/1", "Authorization", "Bearer tok-2"))
		serve(r, get("/b/items/1", "Authorization", "Bearer tok-3"))
	}
	got := map[string]int64{}
	sum := m.collect(t)[authgateotel.MetricAuthenticationOutcomes].Data.(metricdata.Sum[int64])
	for _, p := range sum.DataPoints {
		route, _ := p.Attributes.Value(authgateotel.KeyRoute)
		got[route.AsString()] += p.Value
	}
	if got["/a/items/{id}"] != n || got["/b/items/{id}"] != 2*n || len(got) != 2 {
		t.Errorf("outcomes by route %v, want /a/items/{id}: %d, /b/items/{id}: %d", got, n, 2*n)
	}
}
