// Package pairbench times two HTTP handlers in pairs, for the benchmarks
// of the benchmarks and authgateotel modules: each iteration serves one
// request through both, in alternating order, so that the machine's load
// and frequency weigh on both alike, and their difference is resolved
// where two medians measured apart would lose it in their spread.
package pairbench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Serve serves req through h and through ref in every iteration of b,
// alternating which goes first, each answer checked for status want,
// and reports the two means as name-ns/op and refName-ns/op and their
// difference (h's less ref's) as over-ns/op. ns/op is the sum, of no
// interest. One request through each goes before the loop, its body in
// the failure when the status is wrong (and a cache's first miss out of
// the loop).
func Serve(b *testing.B, h, ref http.Handler, req *http.Request, want int, name, refName string) {
	b.Helper()
	for _, x := range []http.Handler{h, ref} {
		rec := httptest.NewRecorder()
		x.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("status %d, want %d; body %q", rec.Code, want, rec.Body.String())
		}
	}
	one := func(x http.Handler) time.Duration {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		x.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != want {
			b.Fatalf("status %d, want %d", rec.Code, want)
		}
		return d
	}
	var th, tr time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if n%2 == 0 {
			th += one(h)
			tr += one(ref)
		} else {
			tr += one(ref)
			th += one(h)
		}
		n++
	}
	b.ReportMetric(float64(th)/float64(n), name+"-ns/op")
	b.ReportMetric(float64(tr)/float64(n), refName+"-ns/op")
	b.ReportMetric(float64(th-tr)/float64(n), "over-ns/op")
}
