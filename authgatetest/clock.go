package authgatetest

import (
	"sync"
	"time"
)

// Clock is a clock a test moves by hand, for the WithClock options of the
// verifiers (apikey.WithClock, bearer.WithClock) and anything else that
// takes a func() time.Time: pass its Now method, then Advance it to test
// expiry, revocation times or cache lifetimes without sleeping. Make one
// with NewClock; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock that stands at start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d (back when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
