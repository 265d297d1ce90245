package middleware

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// endAttempt ends at (nil when failure limiting is off) with outcome o.
func (g *Gate) endAttempt(at *attempt, o outcome) {
	if at != nil {
		g.limiter.end(at, o)
	}
}

// startAttempt identifies the client and the principal it claims, and
// answers 429 when a limit is hit. It reports false when it answered the
// request. The attempt is place, or nil when failure limiting is off.
func (rt *route) startAttempt(w http.ResponseWriter, r *http.Request, place *attempt) (*attempt, bool) {
	g := rt.g
	if g.limiter == nil {
		return nil, true
	}
	at := place
	at.cl = g.client(r)
	if g.limiter.fl.PerPrincipal > 0 {
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
				at.claimed = true
				at.pair = pairKey{Scheme: e.ch.Scheme, Principal: p, Client: at.cl.key}
				at.attr = e.principalAttr
				break
			}
		}
	}
	b, hit := g.limiter.check(r.Context(), at)
	if !hit {
		return at, true
	}
	rf := &refusal{
		reason:     verifiers.TooManyFailures,
		hint:       "a client is guessing credentials, or a misconfigured client retries with bad credentials in a loop",
		retryAfter: b.retry,
		cl:         at.cl,
		hasCl:      true,
	}
	window := g.limiter.fl.Window.String()
	what, limit := "from this client IP", g.limiter.fl.PerIP
	if b.perPrincipal {
		what, limit = "for this "+at.attr+" from this client IP", g.limiter.fl.PerPrincipal
		rf.scheme = at.pair.Scheme
		rf.attrs = []verifiers.Attr{{Key: at.attr, Value: at.pair.Principal}}
	} else {
		rf.gateText = true
	}
	per := " (limit " + strconv.Itoa(limit) + " per client IP)"
	if b.perPrincipal {
		per = " (limit " + strconv.Itoa(limit) + " per principal and client IP)"
	}
	if b.busy > 0 {
		var why string
		switch {
		case b.crowded > 0:
			why = "; " + strconv.Itoa(b.crowded) + " more requests were already waiting for them to finish, the most allowed"
		case b.ended:
			why = "; the request ended (the client went away or its deadline passed) while it waited for them to finish"
		default:
			why = "; the request gave up waiting for them to finish"
		}
		rf.detail = strconv.Itoa(b.n) + " failed attempts " + what + " within " + window + " and " +
			strconv.Itoa(b.busy) + " more still being verified" + per + why + "; no verifier was called"
	} else {
		rf.detail = strconv.Itoa(b.n) + " failed attempts " + what + " within " + window + per + "; no verifier was called"
	}
	g.refuse(w, r, rf)
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
