package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/quote"
	"github.com/authgate/authgate/verifiers"
)

// Policy decides whether an authenticated identity may make request r. It
// returns nil to allow. Any other error denies with 403 and reason
// forbidden, and its text is logged as the detail (so it must not contain a
// credential); an error matching verifiers.ErrUnavailable answers 503
// instead, for policies that depend on a service that is down.
type Policy func(r *http.Request, id *verifiers.Identity) error

// RequireScopes returns middleware that lets a request through only when
// its identity has every one of scopes. Mount it after Require or Optional.
// A request without the scopes gets 403 with reason scope_insufficient;
// when it was authenticated by a Bearer verifier, the response carries
// `WWW-Authenticate: Bearer realm="...", error="insufficient_scope",
// scope="..."` listing the required scopes (RFC 6750 §3.1). An anonymous
// request (Optional without credentials) gets 401.
//
// Mounted right behind the gate (g.Require(v)(g.RequireScopes("a")(h)),
// or chi's r.With(g.Require(v), g.RequireScopes("a"))), the step also
// makes the gate's 401 for a request without credentials name the scopes
// in its Bearer challenges: `Bearer realm="api", scope="a"`, so that a
// client (an MCP client, for one) asks for the right token the first
// time. Behind a chi group's Use or a RequirePolicy, the gate does not
// see it.
//
// RequireScopes panics when scopes is empty or a scope is not a valid RFC
// 6750 scope-token.
func (g *Gate) RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	return g.scopeStep("RequireScopes", scopes, true)
}

// RequireAnyScope is like RequireScopes but needs only one of scopes. The
// insufficient_scope challenge lists all of them: holding every one is
// enough.
func (g *Gate) RequireAnyScope(scopes ...string) func(http.Handler) http.Handler {
	return g.scopeStep("RequireAnyScope", scopes, false)
}

// RequirePolicy returns middleware that asks p whether the authenticated
// identity may make the request. name identifies the policy in log lines.
// Mount it after Require or Optional; an anonymous request gets 401.
func (g *Gate) RequirePolicy(name string, p Policy) func(http.Handler) http.Handler {
	if p == nil {
		panic("authgate/middleware: RequirePolicy " + name + ": nil policy")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ac, ok := g.authenticated(w, r, "RequirePolicy", kindPolicy, name, "")
			if !ok {
				return
			}
			err := decide(name, p, r, ac.id)
			if err == nil {
				g.observeAuthz(r, kindPolicy, name, ac.id.Scheme, nil)
				next.ServeHTTP(w, r)
				return
			}
			rf := &refusal{
				reason: verifiers.Forbidden,
				scheme: ac.id.Scheme,
				detail: fmt.Sprintf("policy %s denied %s: %v", quote.Quote(name), quote.Cut(ac.id.Subject, 128), err),
				attrs:  ac.id.Attrs,
			}
			if errors.Is(err, verifiers.ErrUnavailable) {
				rf.reason = verifiers.VerifierUnavailable
				rf.detail = fmt.Sprintf("policy %s could not decide: %v", quote.Quote(name), err)
			}
			g.refuse(w, r, rf)
			g.observeAuthz(r, kindPolicy, name, ac.id.Scheme, rf)
		})
	}
}

// RequireScopes is New().RequireScopes(scopes...).
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	return New().RequireScopes(scopes...)
}

// RequireAnyScope is New().RequireAnyScope(scopes...).
func RequireAnyScope(scopes ...string) func(http.Handler) http.Handler {
	return New().RequireAnyScope(scopes...)
}

// RequirePolicy is New().RequirePolicy(name, p).
func RequirePolicy(name string, p Policy) func(http.Handler) http.Handler {
	return New().RequirePolicy(name, p)
}

func (g *Gate) scopeStep(fn string, scopes []string, all bool) func(http.Handler) http.Handler {
	if len(scopes) == 0 {
		panic("authgate/middleware: " + fn + " needs at least one scope")
	}
	joined := strings.Join(scopes, " ")
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " ") {
			panic(fmt.Sprintf("authgate/middleware: %s: invalid scope %q", fn, s))
		}
	}
	if err := challenge.CheckBearerParam("scope", joined); err != nil {
		panic("authgate/middleware: " + fn + ": " + err.Error())
	}
	mode, kind := "]; this route needs all of [", kindScopes
	if !all {
		mode, kind = "]; this route needs one of [", kindAnyScope
	}
	mode += joined + "]; missing ["
	// The insufficient_scope challenge of each Bearer entry that
	// authenticated a request here, formatted once: *entry -> []string.
	var lines sync.Map
	return func(next http.Handler) http.Handler {
		return &scopeHandler{scopes: scopes, next: next, check: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ac, ok := g.authenticated(w, r, fn, kind, joined, joined)
			if !ok {
				return
			}
			id := ac.id
			// all-of passes until a scope is missing; one-of fails until a
			// scope is found.
			pass := all
			for _, s := range scopes {
				if id.HasScope(s) != all {
					pass = !all
					break
				}
			}
			if pass {
				g.observeAuthz(r, kind, joined, id.Scheme, nil)
				next.ServeHTTP(w, r)
				return
			}
			// `'alice' has scopes [a]; this route needs all of [a b]; missing [b]`
			b := make([]byte, 0, 96+len(id.Subject)+len(joined)*2+len(id.Scopes)*16)
			b = quote.Append(b, id.Subject, 128)
			b = append(b, " has scopes ["...)
			for i, s := range id.Scopes {
				if i > 0 {
					b = append(b, ' ')
				}
				b = append(b, s...)
			}
			b = append(b, mode...)
			first := true
			for _, s := range scopes {
				if !id.HasScope(s) {
					if !first {
						b = append(b, ' ')
					}
					b, first = append(b, s...), false
				}
			}
			b = append(b, ']')
			rf := &refusal{
				reason: verifiers.ScopeInsufficient,
				scheme: id.Scheme,
				detail: string(b),
				attrs:  id.Attrs,
			}
			if e := ac.entry; e != nil && e.bearer {
				l, ok := lines.Load(e)
				if !ok {
					l, _ = lines.LoadOrStore(e, []string{mustFormat(insufficientScope(e.ch, joined))})
				}
				rf.challenges = l.([]string)
			}
			g.refuse(w, r, rf)
			g.observeAuthz(r, kind, joined, id.Scheme, rf)
		})}
	}
}

// insufficientScope is ch (for its realm and RFC 9728 resource_metadata)
// with error="insufficient_scope" and the required scope.
func insufficientScope(ch challenge.Challenge, scope string) challenge.Challenge {
	out := challenge.Challenge{Scheme: ch.Scheme}
	for _, p := range ch.Params {
		if strings.EqualFold(p.Name, "realm") || strings.EqualFold(p.Name, "resource_metadata") {
			out.Params = append(out.Params, p)
		}
	}
	out.Params = append(out.Params,
		challenge.Param{Name: "error", Value: challenge.ErrorInsufficientScope},
		challenge.Param{Name: "scope", Value: scope})
	return out
}

// authenticated returns the authentication result of the request, or
// answers for it: 401 when it is anonymous (its Bearer challenges naming
// scope, when not ""), 503 when no gate ran before this step (a
// configuration error); either refusal is observed as a decision of kind
// and name. Nothing passes unauthenticated, a CORS preflight included:
// the gate before this step answers preflights itself.
func (g *Gate) authenticated(w http.ResponseWriter, r *http.Request, fn, kind, name, scope string) (*authContext, bool) {
	ac := authFrom(r.Context())
	if ac == nil {
		rf := &refusal{
			reason:   verifiers.VerifierUnavailable,
			detail:   fn + " ran on a request that did not pass Require or Optional: mount one of them before it",
			gateText: true,
		}
		g.refuse(w, r, rf)
		g.observeAuthz(r, kind, name, "", rf)
		return nil, false
	}
	if ac.id == nil {
		rf := &refusal{
			reason:     verifiers.CredentialsMissing,
			detail:     fn + ": this route needs an authenticated identity and the request is anonymous; it accepts " + ac.rt.accepted,
			hint:       missingHint(r),
			challenges: ac.rt.scopedChallenges(ac.rt.challenges, scope),
			gateText:   true,
		}
		g.refuse(w, r, rf)
		g.observeAuthz(r, kind, name, "", rf)
		return nil, false
	}
	return ac, true
}
