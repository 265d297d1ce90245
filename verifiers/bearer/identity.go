package bearer

import (
	"context"
	"net/http"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file is the way from a token to an identity through the caches:
// a remembered outcome, else one verification per token at a time (the
// single flight), else verify itself (check).

// identity verifies tok, found at src in r, through the caches.
func (v *Verifier) identity(r *http.Request, tok string, src verifiers.Source) (*verifiers.Identity, error) {
	c := v.caches
	now := v.now()
	if c.accepted == nil {
		id, err := v.check(r.Context(), tok, nil, now)
		if id != nil {
			id.Source = src // not shared: nothing is cached
		}
		return id, err
	}
	if id := v.cachedIdentity(tok, nanos(now)); id != nil {
		v.observeCache(true)
		return withSource(id, src), nil
	}
	if rej := v.cachedRejection(tok, now); rej != nil {
		v.observeCache(true)
		return nil, rej
	}
	v.observeCache(false)
	jws, perr := jose.Parse(tok)
	if perr != nil {
		jws = nil // verify parses it again, to word the rejection
	} else if v.noKeyToTry(jws.Header.Kid, jose.LookupAlg(jws.Header.Alg)) {
		// No key to try and nothing to fetch: the verification costs
		// less than a flight, and its outcome (token_key_unknown, or
		// what the claims are found to be) is no more shared than
		// verified again by each request of a burst.
		id, err := v.check(r.Context(), tok, jws, now)
		if id != nil {
			id = withSource(id, src)
		}
		return id, err
	}
	// Single flight: while one request verifies a token, others with the
	// same token wait for its remembered outcome instead of verifying it
	// again. An outcome that is not remembered (a 503), and the end of a
	// follower's own request, make it verify on its own.
	led := false // set by the leader's function only, read after ch
	start := now // a copy: capturing now, which changes below, would move it to the heap
	ch := c.flights.DoChan(tok, func() (_ any, err error) {
		defer recoverFlight(&err)
		led = true
		if c.beforeVerify != nil {
			c.beforeVerify()
		}
		return v.check(r.Context(), tok, jws, start)
	})
	select {
	case res := <-ch:
		repanic(res.Err)
		if led {
			if res.Err != nil {
				return nil, res.Err
			}
			return withSource(res.Val.(*verifiers.Identity), src), nil
		}
		now = v.now()
		if id := v.cachedIdentity(tok, nanos(now)); id != nil {
			return withSource(id, src), nil
		}
		if rej := v.cachedRejection(tok, now); rej != nil {
			return nil, rej
		}
	case <-r.Context().Done():
		now = v.now()
	}
	id, err := v.check(r.Context(), tok, jws, now)
	if id != nil {
		id = withSource(id, src)
	}
	return id, err
}

// check verifies tok, which jws holds parsed (nil: not parsed yet), and
// remembers the outcome when the caches are on.
// The identity it returns says the token was in the Authorization header,
// where almost every token is; callers set the Source they found.
func (v *Verifier) check(ctx context.Context, tok string, jws *jose.JWS, now time.Time) (*verifiers.Identity, error) {
	c := v.caches
	// Read before any key set is: a set installed from here on makes
	// what is remembered below stale, never the other way round.
	epoch := c.epoch.Load()
	c.checks.Add(1)
	var vd verdict
	id, err := v.verify(ctx, tok, jws, now, &vd)
	if err != nil {
		// verify returns its Rejections unwrapped.
		if rej, ok := err.(*verifiers.Rejection); ok && c.rejected != nil {
			v.rememberRejection(tok, rej, epoch, now, &vd)
		}
		return nil, err
	}
	id.Source = verifiers.Source{In: verifiers.InAuthorization}
	if c.accepted != nil {
		v.rememberIdentity(tok, id, now, &vd)
	}
	return id, nil
}
