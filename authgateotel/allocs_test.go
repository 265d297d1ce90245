package authgateotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// TestAdapterAllocatesNothing: once an attribute tuple has been seen,
// recording it allocates nothing (on a request without a recording
// span): the counters are atomics, the histogram's option is kept.
func TestAdapterAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not checked under the race detector")
	}
	// Not parallel: AllocsPerRun counts the whole process.
	in := newMeter(t).in
	g, b := in.GateObserver(), in.BearerObserver()
	ctx := context.Background()
	calls := map[string]func(){
		"authentication": func() {
			g.Authentication(middleware.AuthenticationEvent{Context: ctx, Scheme: "Bearer", Result: middleware.ResultFailure,
				Reason: verifiers.TokenExpired, Status: 401, Route: "/v1/items/{id}", Duration: time.Millisecond})
		},
		"authorization": func() {
			g.Authorization(middleware.AuthorizationEvent{Context: ctx, Kind: "scopes", Name: "read", Scheme: "Bearer",
				Result: middleware.ResultSuccess, Route: "/v1/items/{id}"})
		},
		"failure_limit": func() {
			g.FailureLimit(middleware.FailureLimitEvent{Context: ctx, Limit: "ip", Route: "/login"})
		},
		"token_cache": func() { b.TokenCache(bearer.TokenCacheEvent{Hit: true}) },
	}
	for name, f := range calls {
		f() // the first sight of a tuple builds its entry
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocations per event, want 0", name, n)
		}
	}
}
