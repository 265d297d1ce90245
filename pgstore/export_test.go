package pgstore

import "time"

// WithTimingForTest shortens the reconnection backoff, the heartbeat and
// the timeout of the listener's statements, so that fault tests run in
// seconds.
func WithTimingForTest(backoffMin, backoffMax, heartbeat, op time.Duration) Option {
	return func(c *config) {
		c.backoffMin, c.backoffMax, c.heartbeatMax, c.opTimeout = backoffMin, backoffMax, heartbeat, op
	}
}

// Healthy reports whether s's listener is connected and its replica
// current.
func Healthy(s *Store) bool { return s.healthy.Load() }

// WithShortIntervalsForTest lets the maximum staleness, the resync
// interval and the negative-cache TTL go down to a millisecond.
func WithShortIntervalsForTest() Option {
	return func(c *config) { c.minInterval = time.Millisecond }
}
