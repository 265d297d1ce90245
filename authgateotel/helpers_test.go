package authgateotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/authgateotel"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// scripted is a verifier whose answer the request names: "Bearer ok",
// "Bearer down", or "Bearer reject-<reason>". It stands for any verifier:
// the real ones have their own tests, and every reason is reachable.
type scripted struct{ ch challenge.Challenge }

func newScripted() *scripted {
	ch, err := challenge.Bearer(challenge.BearerParams{Realm: "api"})
	if err != nil {
		panic(err)
	}
	return &scripted{ch: ch}
}

func (s *scripted) Challenge() challenge.Challenge { return s.ch }

func (s *scripted) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, ok := verifiers.Authorization(r, "Bearer")
	switch {
	case !ok:
		return nil, verifiers.ErrNoCredentials
	case tok == "down":
		return nil, verifiers.Unavailable("key server unreachable", nil)
	case len(tok) > 7 && tok[:7] == "reject-":
		return nil, verifiers.Reject(verifiers.Reason(tok[7:]), "scripted")
	}
	// Any other token is valid, its subject the token itself: distinct
	// subjects never reach an attribute.
	return &verifiers.Identity{Subject: "sub-" + tok, Scheme: verifiers.SchemeBearer, Scopes: []string{"read"},
		Attrs: []verifiers.Attr{{Key: verifiers.AttrJTI, Value: tok}}}, nil
}

// meter is an SDK meter provider read by a manual reader.
type meter struct {
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	in     *authgateotel.Instruments
}

func newMeter(t testing.TB) *meter {
	t.Helper()
	m := &meter{reader: sdkmetric.NewManualReader()}
	m.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(m.reader))
	t.Cleanup(func() { _ = m.mp.Shutdown(context.Background()) })
	in, err := authgateotel.New(authgateotel.WithMeterProvider(m.mp))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	m.in = in
	return m
}

// collect returns the metrics by name.
func (m *meter) collect(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != authgateotel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, authgateotel.ScopeName)
		}
		for _, mt := range sm.Metrics {
			out[mt.Name] = mt
		}
	}
	return out
}

// quietGate is a gate that logs nowhere, reporting to in.
func quietGate(in *authgateotel.Instruments, opts ...middleware.Option) *middleware.Gate {
	opts = append([]middleware.Option{middleware.WithLogger(zerolog.Nop()), middleware.WithObserver(in.GateObserver())}, opts...)
	return middleware.New(opts...)
}

func get(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
