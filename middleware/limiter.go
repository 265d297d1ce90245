package middleware

import (
	"time"

	core "github.com/authgate/authgate/internal/limiter"
)

// newLimiter is the failure-limiting core of a gate with fl on, counting
// in store, or in two Memory stores (addresses and pairs apart, so that
// one address's junk principals cannot push its own count out) when
// store is nil. maxWait bounds a request's wait for a place (0: the
// core's default).
func newLimiter(fl FailureLimit, now func() time.Time, store core.Store, maxWait time.Duration) *core.Limiter {
	cfg := core.Config{PerIP: fl.PerIP, PerPrincipal: fl.PerPrincipal, Window: fl.Window, MaxWait: maxWait}
	if store != nil {
		return core.NewShared(cfg, store)
	}
	return core.New(cfg, core.NewMemory(fl.MaxTracked, fl.Window, now), core.NewMemory(fl.MaxTracked, fl.Window, now))
}

// attempt is the gate's view of one request on a limited route: the
// core's attempt, with the client as logged and the log field of the
// principal it claims.
type attempt struct {
	core.Attempt
	cl   client
	attr string
}

// outcome is how an attempt ended, for endAttempt.
type outcome = core.Outcome

const (
	outcomeOther   = core.Other   // neither a failure nor an authentication
	outcomeFailure = core.Failure // a failed attempt (ReasonInfo.Guess)
	outcomeSuccess = core.Success // authenticated
)
