package middleware

import (
	"context"
	"net/http"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// Result is how an authentication or authorization ended, as an Observer
// sees it. The values are those of OpenTelemetry's
// aspnetcore.authentication.result and aspnetcore.authorization.result.
type Result string

// The results.
const (
	// ResultSuccess: the request was authenticated (or authorized).
	ResultSuccess Result = "success"
	// ResultFailure: credentials were present and refused, or the check
	// could not be made, or the request was refused before any verifier
	// ran (too large, malformed, over its failure limit).
	ResultFailure Result = "failure"
	// ResultNone: the request carried no credentials (refused with
	// credentials_missing, or let through anonymous by Optional), or was
	// a CORS preflight the gate answered itself.
	ResultNone Result = "none"
)

// AuthenticationEvent is what the gate tells an Observer about one
// request on a Require or Optional route. Every field is bounded by
// construction: it never holds a credential, a subject, an address or
// the request's path.
type AuthenticationEvent struct {
	// Context is the request's context, for a span to annotate. Do not
	// keep it past the call.
	Context context.Context
	// Scheme is the scheme of the verifier that decided ("Bearer",
	// "Basic", "APIKey", or a custom verifier's challenge scheme) or, for
	// scheme_not_accepted, the client's scheme when it is a registered or
	// common one (as logged); "" when no verifier found credentials, or
	// none ran.
	Scheme string
	// Result is success, failure or none.
	Result Result
	// Reason is the reason code of a refusal (one of verifiers.Reasons),
	// or of the preflight the gate answered; "" on success and for an
	// anonymous request let through.
	Reason verifiers.Reason
	// Status is the status the gate answered; 0 when it let the request
	// through to the handler.
	Status int
	// Route is the route pattern (chi's RoutePattern or the ServeMux
	// pattern) as known when the gate ran, never the raw path; "" when
	// there is none.
	Route string
	// Duration is the time the gate spent on the request: from its start
	// to the answer, or to the call of the handler.
	Duration time.Duration
}

// AuthorizationEvent is what RequireScopes, RequireAnyScope and
// RequirePolicy tell an Observer about one decision.
type AuthorizationEvent struct {
	// Context is the request's context, as in AuthenticationEvent.
	Context context.Context
	// Kind is "scopes" (RequireScopes), "any_scope" (RequireAnyScope) or
	// "policy" (RequirePolicy).
	Kind string
	// Name is the policy's name, or the required scopes separated by
	// spaces: both are fixed by the configuration.
	Name string
	// Scheme is the scheme of the authenticated identity; "" for a
	// request that reached the step anonymous.
	Scheme string
	// Result is success or failure.
	Result Result
	// Reason and Status are those of a refusal (scope_insufficient 403,
	// forbidden 403, credentials_missing 401, verifier_unavailable 503);
	// "" and 0 on success.
	Reason verifiers.Reason
	Status int
	// Route is the route pattern, as in AuthenticationEvent.
	Route string
}

// FailureLimitEvent is what the gate tells an Observer when a client over
// its failure limit is answered 429 (see WithFailureLimit). An
// AuthenticationEvent with reason too_many_failures follows it.
type FailureLimitEvent struct {
	// Context is the request's context, as in AuthenticationEvent.
	Context context.Context
	// Limit is "ip" (FailureLimit.PerIP) or "principal"
	// (FailureLimit.PerPrincipal).
	Limit string
	// Scheme is the scheme of the claimed principal for a per-principal
	// block, "" for a per-IP one.
	Scheme string
	// Route is the route pattern, as in AuthenticationEvent.
	Route string
}

// Observer receives the gate's outcomes, one call per event, for metrics
// and traces (module authgateotel adapts it to OpenTelemetry). Each func
// may be nil. They are called on the request's goroutine, after the
// gate has answered or before it calls the handler, so they must be fast
// and safe for concurrent use; they must not keep the event's Context.
type Observer struct {
	// Authentication is called once per request on a Require or Optional
	// route.
	Authentication func(AuthenticationEvent)
	// Authorization is called once per request reaching RequireScopes,
	// RequireAnyScope or RequirePolicy.
	Authorization func(AuthorizationEvent)
	// FailureLimit is called once per request refused by the failure
	// limit.
	FailureLimit func(FailureLimitEvent)
}

// WithObserver makes the gate report every authentication, authorization
// and failure-limit block to o. Without it the gate neither reads the
// clock nor builds an event: an unset observer costs nothing.
func WithObserver(o Observer) Option {
	return func(g *Gate) { g.obs = o }
}

// Kinds of AuthorizationEvent.
const (
	kindScopes   = "scopes"
	kindAnyScope = "any_scope"
	kindPolicy   = "policy"
)

// startClock is the start of the request for an AuthenticationEvent, as
// the time since the gate's epoch: 0 when no observer wants one, so that
// an unset observer costs no clock read.
func (g *Gate) startClock() time.Duration {
	if g.obs.Authentication == nil {
		return 0
	}
	return g.sinceEpoch()
}

// sinceEpoch is the time since the gate was made. On the real clock it
// reads only the monotonic clock (time.Since on a monotonic epoch), which
// costs half a time.Now: the wall clock is not needed for a duration.
func (g *Gate) sinceEpoch() time.Duration {
	if !g.testClock {
		return time.Since(g.epoch)
	}
	return g.now().Sub(g.epoch)
}

// observeAuth reports one authentication, when an observer wants it.
func (rt *route) observeAuth(r *http.Request, start time.Duration, scheme string, res Result, reason verifiers.Reason, status int) {
	f := rt.g.obs.Authentication
	if f == nil {
		return
	}
	f(AuthenticationEvent{
		Context:  r.Context(),
		Scheme:   scheme,
		Result:   res,
		Reason:   reason,
		Status:   status,
		Route:    routePattern(r),
		Duration: rt.g.sinceEpoch() - start,
	})
}

// observeRefusal reports the authentication of a request refused with rf.
func (rt *route) observeRefusal(r *http.Request, start time.Duration, rf *refusal) {
	if rt.g.obs.Authentication == nil {
		return
	}
	res := ResultFailure
	if rf.reason == verifiers.CredentialsMissing || rf.reason == verifiers.PreflightUnanswered {
		res = ResultNone
	}
	rt.observeAuth(r, start, rf.scheme, res, rf.reason, rf.data().Status)
}

// observeAuthz reports one authorization decision; rf is nil when it
// allowed the request.
func (g *Gate) observeAuthz(r *http.Request, kind, name, scheme string, rf *refusal) {
	f := g.obs.Authorization
	if f == nil {
		return
	}
	ev := AuthorizationEvent{Context: r.Context(), Kind: kind, Name: name, Scheme: scheme, Result: ResultSuccess, Route: routePattern(r)}
	if rf != nil {
		ev.Result, ev.Reason, ev.Status = ResultFailure, rf.reason, rf.data().Status
	}
	f(ev)
}

// observeBlock reports a failure-limit block.
func (g *Gate) observeBlock(r *http.Request, perPrincipal bool, scheme string) {
	f := g.obs.FailureLimit
	if f == nil {
		return
	}
	ev := FailureLimitEvent{Context: r.Context(), Limit: "ip", Route: routePattern(r)}
	if perPrincipal {
		ev.Limit, ev.Scheme = "principal", scheme
	}
	f(ev)
}
