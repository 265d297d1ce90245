package bearer

import "time"

// Observer receives a Verifier's key-set fetches and token-cache lookups,
// one call per event, for metrics (module authgateotel adapts it to
// OpenTelemetry). Each func may be nil. They must be fast and safe for
// concurrent use.
type Observer struct {
	// KeySetFetch is called once per fetch of a remote key set (JWKSURL
	// or Discovery), at start-up, in the background refresh and on an
	// unknown kid, once its outcome is installed. A refresh skipped for
	// the unknown-key interval, or after Close, is no fetch.
	KeySetFetch func(KeySetFetchEvent)
	// TokenCache is called once per Verify that reaches the
	// verified-token cache (on by default, see WithTokenCache): a hit
	// when the token's accepted or rejected outcome was remembered, a
	// miss when it is verified.
	TokenCache func(TokenCacheEvent)
}

// KeySetFetchEvent is one key-set fetch. Its fields are bounded by the
// configuration: the issuer is the configured Issuer.URL, never a
// token's iss.
type KeySetFetchEvent struct {
	// Issuer is the Issuer.URL the set belongs to, as configured.
	Issuer string
	// Success reports whether the fetch succeeded and its set was
	// installed; false for a network error, a bad status, or a set the
	// checks refused.
	Success bool
	// Keys is the number of keys in the set in use after the fetch: the
	// new set's, the previous one's after a failure, 0 when there is
	// none.
	Keys int
	// LastSuccess is when the set in use was fetched (this fetch after a
	// success); zero when no fetch has succeeded yet.
	LastSuccess time.Time
	// Duration is how long the fetch took, discovery included.
	Duration time.Duration
}

// TokenCacheEvent is one lookup of a token in the verified-token cache.
type TokenCacheEvent struct {
	// Hit reports whether the token's outcome was remembered.
	Hit bool
}

// WithObserver makes the Verifier report its key-set fetches and its
// token-cache hits and misses to o (JWT only). Without it nothing is
// built or called.
func WithObserver(o Observer) Option {
	return jwtOption(func(c *config) error { c.observer = o; return nil })
}

// observeCache reports a token-cache lookup, when an observer wants it.
func (v *Verifier) observeCache(hit bool) {
	if f := v.observer.TokenCache; f != nil {
		f(TokenCacheEvent{Hit: hit})
	}
}

// fetchClock is the start of a fetch for its event: the zero time when no
// observer wants one.
func (v *Verifier) fetchClock() time.Time {
	if v.observer.KeySetFetch == nil {
		return time.Time{}
	}
	return v.now()
}

// observeFetch reports a fetch of is that began at began and ended at
// now with err, leaving set in use (nil: none).
func (v *Verifier) observeFetch(is *issuer, began, now time.Time, set *keySet, err error) {
	f := v.observer.KeySetFetch
	if f == nil {
		return
	}
	ev := KeySetFetchEvent{Issuer: is.iss, Success: err == nil, Duration: now.Sub(began)}
	if set != nil {
		ev.Keys, ev.LastSuccess = len(set.keys), set.fetchedAt
	}
	f(ev)
}
