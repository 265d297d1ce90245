package authgateotel_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// TestCardinality: 10,000 requests with distinct subjects, tokens, client
// addresses and paths make a number of series bounded by the
// configuration (routes, schemes, reasons), and no attribute holds any of
// what varied.
func TestCardinality(t *testing.T) {
	t.Parallel()
	m := newMeter(t)
	g := quietGate(m.in, middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 3, Window: 60e9}))
	r := chi.NewRouter()
	v := newScripted()
	r.With(g.Require(v)).Get("/items/{id}", okHandler)
	r.With(g.Require(v), g.RequireScopes("read")).Get("/orders/{id}", okHandler)
	reasons := []verifiers.Reason{verifiers.TokenExpired, verifiers.TokenSignatureInvalid, verifiers.TokenIssuerMismatch}
	const n = 10000
	for i := range n {
		s := strconv.Itoa(i)
		path := "/items/" + s
		if i%2 == 1 {
			path = "/orders/" + s
		}
		var req = get(path, "Authorization", "Bearer tok-"+s) // success: subject sub-tok-<i>
		switch i % 5 {
		case 1:
			req = get(path, "Authorization", "Bearer reject-"+string(reasons[i%3]))
		case 2:
			req = get(path)
		}
		req.RemoteAddr = "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) + ":4242"
		serve(r, req)
	}
	series := 0
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	check := func(name string, s attribute.Set) {
		series++
		for _, kv := range s.ToSlice() {
			val := kv.Value.String()
			if strings.Contains(val, "tok-") || strings.Contains(val, "sub-") || strings.HasPrefix(val, "10.") ||
				strings.ContainsAny(val, "0123456789") && strings.HasPrefix(val, "/") {
				t.Errorf("%s: attribute %s=%q holds what the request sent", name, kv.Key, val)
			}
		}
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			switch d := mt.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					check(mt.Name, p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					check(mt.Name, p.Attributes)
				}
			}
		}
	}
	// 2 routes × (success, missing, 3 reasons; scope decisions) and no
	// more: the bound is the configuration's, whatever n.
	if series == 0 || series > 24 {
		t.Errorf("%d series after %d distinct requests, want at most 24", series, n)
	}
	t.Logf("%d series after %d requests", series, n)
}
