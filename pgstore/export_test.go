package pgstore

import "time"

// WithTimingForTest shortens the reconnection backoff and the heartbeat,
// so that fault tests run in seconds.
func WithTimingForTest(backoffMin, backoffMax, heartbeat time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax, c.heartbeatMax = backoffMin, backoffMax, heartbeat }
}

// Healthy reports whether s's listener is connected and its replica
// current.
func Healthy(s *Store) bool { return s.healthy.Load() }
