package authgateotel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// TestReadmeInstrumentTable keeps the README's table of instruments in
// step with the code: every instrument a run produces is a row, with its
// kind and unit, and every row is an instrument.
func TestReadmeInstrumentTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][2]string{} // name -> kind, unit
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `authgate.") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Fatalf("short row %q", line)
		}
		rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = [2]string{strings.TrimSpace(cells[2]), strings.Trim(strings.TrimSpace(cells[3]), "`")}
	}

	// A run that makes every instrument report.
	m := newMeter(t)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := jwksServer(t, k, 0)
	v, err := bearer.New(context.Background(), audience, []bearer.Issuer{{URL: keys.URL, Keys: bearer.JWKSURL(keys.URL + "/jwks")}},
		bearer.WithObserver(m.in.BearerObserver()), bearer.WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	g := quietGate(m.in, middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute}))
	r := chi.NewRouter()
	r.With(g.Require(v), g.RequirePolicy("never", func(*http.Request, *verifiers.Identity) error { return errors.New("no") })).Get("/x/{id}", okHandler)
	serve(r, get("/x/1", "Authorization", "Bearer "+signES256(t, k, keys.URL, "alice")))
	serve(r, get("/x/1", "Authorization", "Bearer not.a.token"))
	serve(r, get("/x/1", "Authorization", "Bearer not.a.token"))

	ms := m.collect(t)
	for name, mt := range ms {
		kind := ""
		switch mt.Data.(type) {
		case metricdata.Sum[int64]:
			kind = "counter"
		case metricdata.Histogram[float64]:
			kind = "histogram"
		case metricdata.Gauge[int64], metricdata.Gauge[float64]:
			kind = "gauge"
		}
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("README lacks a row for %s", name)
		case row != [2]string{kind, mt.Unit}:
			t.Errorf("README says %s is %v, code says %s %s", name, row, kind, mt.Unit)
		}
	}
	for name := range rows {
		if _, ok := ms[name]; !ok {
			t.Errorf("README lists %s, which the run did not produce", name)
		}
	}
}
