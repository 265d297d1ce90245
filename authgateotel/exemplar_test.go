package authgateotel_test

import (
	"context"
	"testing"

	"github.com/go-chi/chi/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/authgate/authgate/authgateotel"
)

// TestDurationExemplars: the duration histogram's exemplars name the
// request's span when it has one (the adapter hands the SDK the request's
// context then), and none when it has not (the adapter records with an
// empty context, which the SDK reads only for that span).
func TestDurationExemplars(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithExemplarFilter(exemplar.AlwaysOnFilter))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	in, err := authgateotel.New(authgateotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	r := chi.NewRouter()
	r.With(quietGate(in).Require(newScripted())).Get("/items/{id}", okHandler)

	exemplars := func() []metricdata.Exemplar[float64] {
		t.Helper()
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		var out []metricdata.Exemplar[float64]
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name != authgateotel.MetricAuthenticationDuration {
					continue
				}
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					out = append(out, dp.Exemplars...)
				}
			}
		}
		return out
	}

	serve(r, get("/items/1", "Authorization", "Bearer ok"))
	ex := exemplars()
	if len(ex) != 1 || len(ex[0].TraceID) != 0 || len(ex[0].SpanID) != 0 {
		t.Fatalf("untraced request: exemplars %+v, want one without a trace", ex)
	}

	serve(traced(tp, r), get("/items/2", "Authorization", "Bearer ok"))
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	want := spans[0].SpanContext.TraceID()
	found := false
	for _, e := range exemplars() {
		if string(e.TraceID) == string(want[:]) {
			found = true
		}
	}
	if !found {
		t.Errorf("traced request: no exemplar with trace %s", want)
	}
}
