package authgateotel_test

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/authgateotel"
	"github.com/authgate/authgate/middleware"
)

// TestOverflow: past 2000 distinct attribute tuples (a router that makes
// patterns without end), further ones are counted under
// otel.metric.overflow=true, and no count is lost.
func TestOverflow(t *testing.T) {
	t.Parallel()
	m := newMeter(t)
	obs := m.in.GateObserver()
	const n = 2500
	for i := range n {
		obs.Authentication(middleware.AuthenticationEvent{Context: context.Background(), Result: middleware.ResultNone, Route: "/r/" + strconv.Itoa(i)})
	}
	s := m.collect(t)[authgateotel.MetricAuthenticationOutcomes].Data.(metricdata.Sum[int64])
	var total, overflow int64
	for _, p := range s.DataPoints {
		total += p.Value
		if v, ok := p.Attributes.Value("otel.metric.overflow"); ok && v.AsBool() {
			overflow += p.Value
		}
	}
	if total != n || overflow < n-2000 || len(s.DataPoints) > 2001 {
		t.Errorf("%d points, total %d, overflow %d; want at most 2001, %d, at least %d", len(s.DataPoints), total, overflow, n, n-2000)
	}
}
