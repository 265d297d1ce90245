package middleware

import "time"

// WithClock makes the gate read the time from now (log sampling, failure
// limiting): tests move time forward instead of sleeping.
func WithClock(now func() time.Time) Option {
	return func(g *Gate) { g.now = now }
}
