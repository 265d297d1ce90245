package middleware_test

import (
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/middleware"
)

// countingObserver counts the events, the least an observer can do: the
// difference to the same benchmark without it is the hook's own cost.
func countingObserver(n *atomic.Int64) middleware.Option {
	return middleware.WithObserver(middleware.Observer{
		Authentication: func(middleware.AuthenticationEvent) { n.Add(1) },
		Authorization:  func(middleware.AuthorizationEvent) { n.Add(1) },
		FailureLimit:   func(middleware.FailureLimitEvent) { n.Add(1) },
	})
}

// BenchmarkRequireSuccessObserved is BenchmarkRequireSuccess with an
// observer set.
func BenchmarkRequireSuccessObserved(b *testing.B) {
	var n atomic.Int64
	benchServe(b, benchRouter(b, routeBearer, countingObserver(&n)), 204, "Bearer good")
	if n.Load() == 0 {
		b.Fatal("the observer saw nothing")
	}
}

// BenchmarkRequireRejectedObserved is BenchmarkRequireRejected with an
// observer set.
func BenchmarkRequireRejectedObserved(b *testing.B) {
	var n atomic.Int64
	benchServe(b, benchRouter(b, routeBearer, countingObserver(&n)), 401, "Bearer expired-token")
}

// BenchmarkRequireScopeObserved is BenchmarkRequireScope with an observer
// set: one authentication and one authorization event.
func BenchmarkRequireScopeObserved(b *testing.B) {
	var n atomic.Int64
	benchServe(b, benchRouter(b, routeScope, countingObserver(&n)), 403, "Bearer good")
}
