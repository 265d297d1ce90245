package authgateotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/authgateotel"
	"github.com/authgate/authgate/middleware"
)

// Wiring the instruments into a gate (and, for a Bearer verifier, into
// bearer.New with bearer.WithObserver(in.BearerObserver())), then
// reading the refusals by reason.
func ExampleNew() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	in, err := authgateotel.New(authgateotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()), middleware.WithObserver(in.GateObserver()))
	r := chi.NewRouter()
	r.With(gate.Require(newScripted())).Get("/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	for _, auth := range []string{"", "Bearer reject-token_expired", "Bearer ok"} {
		req := httptest.NewRequest(http.MethodGet, "/v1/items/7", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != authgateotel.MetricAuthenticationOutcomes {
			continue
		}
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			reason, _ := p.Attributes.Value(authgateotel.KeyReason)
			result, _ := p.Attributes.Value(authgateotel.KeyResult)
			route, _ := p.Attributes.Value(authgateotel.KeyRoute)
			fmt.Printf("%s %q %s: %d\n", result.AsString(), reason.AsString(), route.AsString(), p.Value)
		}
	}
	// Unordered output:
	// none "credentials_missing" /v1/items/{id}: 1
	// failure "token_expired" /v1/items/{id}: 1
	// success "" /v1/items/{id}: 1
}
