package middleware

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	core "github.com/authgate/authgate/internal/limiter"
	"github.com/authgate/authgate/verifiers"
)

// endAttempt ends at (nil when failure limiting is off) with outcome o.
func (g *Gate) endAttempt(at *attempt, o outcome) {
	if at != nil {
		g.limiter.End(&at.Attempt, o)
	}
}

// startAttempt identifies the client and the principal it claims, and
// answers 429 when a limit is hit. It reports false when it answered the
// request (observed with start). The attempt is place, or nil when
// failure limiting is off.
func (rt *route) startAttempt(w http.ResponseWriter, r *http.Request, place *attempt, start time.Duration) (*attempt, bool) {
	g := rt.g
	if g.limiter == nil {
		return nil, true
	}
	at := place
	at.cl = g.client(r)
	at.Client = at.cl.key
	if g.failureLimit.PerPrincipal > 0 {
		for _, e := range rt.entries {
			if e.claimer == nil {
				continue
			}
			if p, ok := claimedPrincipal(e.claimer, r); ok && p != "" {
				if len(p) > maxPrincipalLen {
					p = p[:maxPrincipalLen]
				}
				// A copy: the principal may be a slice of a request
				// header, and map keys (stored on a lookup too, when an
				// entry moves generation) outlive the request.
				p = strings.Clone(p)
				at.Claimed = true
				at.Pair = core.Key{Client: at.cl.key, Scheme: e.ch.Scheme, Principal: p}
				at.attr = e.principalAttr
				break
			}
		}
	}
	b, hit := g.limiter.Check(r.Context(), &at.Attempt)
	if !hit {
		return at, true
	}
	rf := &refusal{
		reason:     verifiers.TooManyFailures,
		hint:       "a client is guessing credentials, or a misconfigured client retries with bad credentials in a loop",
		retryAfter: b.Retry,
		cl:         at.cl,
		hasCl:      true,
	}
	window := g.failureLimit.Window.String()
	what, limit := "from this client IP", g.failureLimit.PerIP
	if b.PerPrincipal {
		what, limit = "for this "+at.attr+" from this client IP", g.failureLimit.PerPrincipal
		rf.scheme = at.Pair.Scheme
		rf.attrs = []verifiers.Attr{{Key: at.attr, Value: at.Pair.Principal}}
	} else {
		rf.gateText = true
	}
	per := " (limit " + strconv.Itoa(limit) + " per client IP)"
	if b.PerPrincipal {
		per = " (limit " + strconv.Itoa(limit) + " per principal and client IP)"
	}
	if b.Busy > 0 {
		var why string
		switch {
		case b.Crowded > 0:
			why = "; " + strconv.Itoa(b.Crowded) + " more requests were already waiting for them to finish, the most allowed"
		case b.Ended:
			why = "; the request ended (the client went away or its deadline passed) while it waited for them to finish"
		default:
			why = "; the request gave up waiting for them to finish"
		}
		rf.detail = strconv.Itoa(b.N) + " failed attempts " + what + " within " + window + " and " +
			strconv.Itoa(b.Busy) + " more still being verified" + per + why + "; no verifier was called"
	} else {
		rf.detail = strconv.Itoa(b.N) + " failed attempts " + what + " within " + window + per + "; no verifier was called"
	}
	g.observeBlock(r, b.PerPrincipal, at.Pair.Scheme)
	g.refuse(w, r, rf)
	rt.observeRefusal(r, start, rf)
	return nil, false
}

// claimedPrincipal calls c, turning a panic into no claim: a broken
// claimer must not take the request down before its verifier can even
// report on it.
func claimedPrincipal(c verifiers.PrincipalClaimer, r *http.Request) (p string, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			p, ok = "", false
		}
	}()
	return c.ClaimedPrincipal(r)
}
