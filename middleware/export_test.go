package middleware

import (
	"io"
	"time"
)

// WithClock makes the gate read the time from now (log sampling, failure
// limiting): tests move time forward instead of sleeping.
func WithClock(now func() time.Time) Option {
	return func(g *Gate) { g.now, g.testClock = now, true }
}

// SetLimitWait shortens how long a request waits for a place among its
// client's attempts in flight (2 s), so that tests of giving up do not
// take seconds. It replaces the gate's limiter: call it before any
// request.
func SetLimitWait(g *Gate, d time.Duration) {
	g.limiter = newLimiter(g.failureLimit, g.now, g.failureStore, d)
}

// LimitWaiters is how many requests are waiting for a place among their
// client's attempts in flight.
func LimitWaiters(g *Gate) int { return g.limiter.Waiters() }

// WithTimer makes the gate's log sampler arm its timer with after instead
// of time.AfterFunc: tests fire it when they like.
func WithTimer(after func(d time.Duration, f func())) Option {
	return func(g *Gate) { g.afterFunc = after }
}

// WithDefaultSink makes the gate write to w what it writes to os.Stderr
// when no logger is configured.
func WithDefaultSink(w io.Writer) Option {
	return func(g *Gate) { g.sink = w }
}
