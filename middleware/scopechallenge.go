package middleware

import (
	"net/http"
	"slices"
	"strings"

	"github.com/authgate/authgate/challenge"
)

// This file names a route's required scopes in the 401 of a request that
// carries no credentials (RFC 6750 §3: scope MAY be in any challenge), so
// that a client asks the authorization server for the right token the
// first time (the MCP authorization specification has servers SHOULD do
// it, and its clients read it).
//
// Require runs before the scope step, so it learns the scopes when it is
// mounted: the handler it wraps is the scope step's (chi's r.With(
// g.Require(v), g.RequireScopes("a")), or g.Require(v)(g.RequireScopes(
// "a")(h))). A scope step mounted further in (behind a chi group's Use,
// or behind RequirePolicy) is not seen; its clients still find the scopes
// in the resource's metadata (scopes_supported), and in the 403 they get
// once they have a token.

// scopeHandler is what RequireScopes and RequireAnyScope put in front of
// a handler: the scopes it requires, for the gate in front of it, and
// the handler that checks them.
type scopeHandler struct {
	scopes []string
	next   http.Handler // the handler behind the step
	check  http.Handler
}

func (h *scopeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.check.ServeHTTP(w, r) }

// requiredScopes returns the scopes of the scope steps at the start of
// next, space-separated in order of appearance, each once; "" when next
// does not start with one.
func requiredScopes(next http.Handler) string {
	var all []string
	for {
		h, ok := next.(*scopeHandler)
		if !ok {
			break
		}
		for _, s := range h.scopes {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
		next = h.next
	}
	return strings.Join(all, " ")
}

// scopedChallenges returns the route's 401 lines with scope added to each
// Bearer challenge; lines is returned as it is when scope is "" or the
// route has no Bearer verifier.
func (rt *route) scopedChallenges(lines []string, scope string) []string {
	if scope == "" {
		return lines
	}
	var out []string
	for i, e := range rt.entries {
		if !e.bearer {
			continue
		}
		if out == nil {
			out = slices.Clone(lines)
		}
		out[i] = mustFormat(withScope(e.ch, scope))
	}
	if out == nil {
		return lines
	}
	return out[:len(out):len(out)]
}

// withScope is ch with its scope parameter set to scope, placed after
// realm as challenge.Bearer orders it.
func withScope(ch challenge.Challenge, scope string) challenge.Challenge {
	out := challenge.Challenge{Scheme: ch.Scheme}
	placed := false
	for _, p := range ch.Params {
		if strings.EqualFold(p.Name, "scope") {
			continue
		}
		out.Params = append(out.Params, p)
		if !placed && strings.EqualFold(p.Name, "realm") {
			out.Params = append(out.Params, challenge.Param{Name: "scope", Value: scope})
			placed = true
		}
	}
	if !placed {
		out.Params = append([]challenge.Param{{Name: "scope", Value: scope}}, out.Params...)
	}
	return out
}
