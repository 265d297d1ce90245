package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// issuer is the state of one trusted issuer: its current key set and, for
// a remote source, what is needed to refresh it.
type issuer struct {
	iss string
	src KeySource
	set atomic.Pointer[keySet]

	// Remote sources only.
	issURL *url.URL
	jwks   string // the JWKS URL: configured, or found by discovery

	// fetches shares the fetch in progress among every caller; its one
	// key is "".
	fetches singleflight.Group

	mu          sync.Mutex
	lastAttempt time.Time // start of the last fetch
	lastErr     error     // outcome of the last fetch
	fetching    bool      // a fetch has started and not yet installed its outcome
	failures    int       // consecutive failed fetches
	next        time.Time // when the background loop fetches next
	gen         uint64
	// discoveredIssuer is the issuer named by a discovery document that
	// was refused because it differs from iss; it feeds the hint of an
	// issuer mismatch.
	discoveredIssuer string

	// Owned by the fetching goroutine (one flight at a time, by fetches).
	discoveredAt time.Time
	discoveryOK  bool
}

func (is *issuer) current() *keySet { return is.set.Load() }

// latest returns when the latest completed fetch started and its outcome
// (nil: it succeeded).
func (is *issuer) latest() (time.Time, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.lastAttempt, is.lastErr
}

// origin names where the issuer's keys come from. The caller must not
// hold is.mu.
func (is *issuer) origin() string {
	is.mu.Lock()
	jwks := is.jwks
	is.mu.Unlock()
	switch is.src.kind {
	case srcURL:
		return redact(jwks)
	case srcDiscovery:
		if jwks != "" {
			return redact(jwks) + " (found by discovery)"
		}
		return "discovery of " + redact(is.iss)
	}
	if s := is.current(); s != nil {
		return s.origin
	}
	return "static keys"
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// errRateLimited says a fetch was not made because one was made less than
// the unknown-key refresh interval ago.
var errRateLimited = errors.New("bearer: key set fetched recently")

// errFetchPending says a request stopped waiting for a fetch that is
// still running (it goes on for the requests after it): its own context
// ended, or it waited MaxFetchWait.
var errFetchPending = errors.New("bearer: key set fetch still running")

// errFetchPanicked is the outcome of a key-set fetch that panicked (a
// custom http.Client's transport, say): a failed fetch.
var errFetchPanicked = errors.New("bearer: the key-set fetch panicked")

// errClosed says a fetch was not made because the verifier is closed.
var errClosed = errors.New("bearer: the verifier is closed (Close was called), so key sets are no longer fetched")

// MaxFetchWait is the longest a request waits for a key set fetch to
// finish, when the fetch timeout is longer. A key server that hangs
// then costs a request this much, not the whole fetch timeout; the fetch
// itself goes on, and the requests after it use its result.
const MaxFetchWait = 2 * time.Second

// refresh fetches the issuer's key set, or joins the fetch in progress.
// Unless force is set, it does nothing (and returns errRateLimited) when a
// fetch started less than the unknown-key refresh interval ago. It waits
// for the fetch until ctx is done or MaxFetchWait has passed; the fetch
// itself runs on the verifier's lifetime context, so one impatient request
// cannot cancel it for others.
func (v *Verifier) refresh(ctx context.Context, is *issuer, force bool) (*keySet, error) {
	// Whether a fetch is due is decided by the caller that starts the
	// flight, under is.mu; those that join it share its outcome.
	ch := is.fetches.DoChan("", func() (_ any, err error) {
		defer recoverFlight(&err)
		is.mu.Lock()
		if !force && !is.lastAttempt.IsZero() && v.now().Sub(is.lastAttempt) < v.unknownRefresh {
			is.mu.Unlock()
			return is.current(), errRateLimited
		}
		if !v.startFetch() {
			is.mu.Unlock()
			return is.current(), errClosed
		}
		is.lastAttempt = v.now()
		is.fetching = true
		is.mu.Unlock()
		return v.fetch(is)
	})
	var waited <-chan time.Time // nil: the fetch timeout bounds the wait
	if v.fetchTimeout > MaxFetchWait {
		t := time.NewTimer(MaxFetchWait)
		defer t.Stop()
		waited = t.C
	}
	select {
	case res := <-ch:
		repanic(res.Err)
		set, _ := res.Val.(*keySet)
		return set, res.Err
	case <-ctx.Done():
		return is.current(), fmt.Errorf("%w: %w", errFetchPending, ctx.Err())
	case <-waited:
		return is.current(), fmt.Errorf("%w: waited %s", errFetchPending, MaxFetchWait)
	}
}

// startFetch registers a goroutine with the verifier's WaitGroup unless
// the verifier is closed.
func (v *Verifier) startFetch() bool {
	v.closeMu.Lock()
	defer v.closeMu.Unlock()
	if v.closed {
		return false
	}
	v.wg.Add(1)
	return true
}

// fetchFailed records in is (is.mu held) a fetch that ended at now with
// err: the next one is sooner, with a backoff, and none is running.
func (v *Verifier) fetchFailed(is *issuer, now time.Time, err error) {
	is.failures++
	backoff := v.unknownRefresh << min(is.failures-1, 10)
	is.next = now.Add(min(backoff, v.minRefresh))
	is.lastErr, is.fetching = err, false
}

// fetch runs one flight, installs its result and logs it. It returns the
// set in use afterwards (nil when there is none) and the fetch's error.
// startFetch has registered it with the verifier's WaitGroup.
func (v *Verifier) fetch(is *issuer) (*keySet, error) {
	defer v.wg.Done()
	installed := false
	defer func() {
		// A fetch that panicked (the flight panics again in its
		// callers) has installed nothing: it is over, and it failed,
		// so that an unknown kid meanwhile is answered 503 as after
		// any failed fetch, not 401 on the strength of the set before.
		if !installed {
			is.mu.Lock()
			v.fetchFailed(is, v.now(), errFetchPanicked)
			is.mu.Unlock()
		}
	}()
	began := v.fetchClock()
	set, maxAge, err := v.fetchSet(v.ctx, is)
	now := v.now()
	is.mu.Lock()
	prev := is.current()
	if err == nil {
		is.gen++
		set.gen = is.gen
		set.fetchedAt = now
		is.set.Store(set)
		// After the store: a request that read the previous epoch may
		// have used either set, and what it remembered is dropped.
		v.caches.epoch.Add(1)
		is.failures = 0
		is.next = now.Add(clamp(maxAge, v.minRefresh, v.maxRefresh))
		is.lastErr, is.fetching = nil, false
	} else {
		v.fetchFailed(is, now, err)
	}
	installed = true
	next, jwks := is.next, is.jwks
	is.mu.Unlock()
	if err == nil {
		v.observeFetch(is, began, now, set, nil)
	} else {
		v.observeFetch(is, began, now, prev, err)
	}
	// Waiters are released when fetch returns, after the outcome is
	// logged, so that a request that saw a failed refresh can count on
	// the log line being written.

	switch {
	case err == nil:
		v.log.Info().Str("issuer", is.iss).Str("url", redact(jwks)).Int("keys", len(set.keys)).
			Int("skipped", len(set.skipped)).Time("next_refresh", next).
			Msg("authgate/bearer: key set loaded")
		return set, nil
	case prev != nil:
		// fetched_at is the last fetch that succeeded: the one whose set
		// stays in use. This fetch failed, with the error logged.
		v.log.Error().Err(err).Str("issuer", is.iss).Str("url", is.origin()).Int("keys", len(prev.keys)).
			Time("fetched_at", prev.fetchedAt).Time("next_refresh", next).
			Msg("authgate/bearer: key set refresh failed; the previous key set stays in use (fetched_at: its last successful fetch), and tokens whose key it lacks get 503 until a fetch succeeds")
	default:
		v.log.Error().Err(err).Str("issuer", is.iss).Str("url", is.origin()).
			Msg("authgate/bearer: key set fetch failed and no key set is cached; tokens of this issuer get 503 until a fetch succeeds")
	}
	return prev, err
}

// loop refreshes is in the background until the verifier is closed.
func (v *Verifier) loop(is *issuer) {
	defer v.wg.Done()
	for {
		is.mu.Lock()
		d := is.next.Sub(v.now())
		is.mu.Unlock()
		// A floor against a hot loop: never more often than the minimum
		// refresh interval, nor than once a second in production.
		if floor := min(time.Second, v.minRefresh); d < floor {
			d = floor
		}
		t := time.NewTimer(d)
		select {
		case <-v.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		_, _ = v.refresh(v.ctx, is, true)
	}
}

func clamp(d, lo, hi time.Duration) time.Duration {
	switch {
	case d <= 0:
		return hi
	case d < lo:
		return lo
	case d > hi:
		return hi
	}
	return d
}

func (e *statusError) Error() string {
	return fmt.Sprintf("bearer: GET %s: status %d %s", e.url, e.code, http.StatusText(e.code))
}
