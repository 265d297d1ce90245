package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// Require returns middleware that lets a request through only when one of
// vs authenticates it. Verifiers are asked in order; the first that finds
// its credentials decides. The identity is then available to the handler
// through IdentityFrom. See the package documentation for the statuses.
//
// Require panics when vs is empty, holds a nil verifier, or a verifier's
// challenge is invalid: those are configuration errors, found at start-up.
func (g *Gate) Require(vs ...verifiers.Verifier) func(http.Handler) http.Handler {
	return g.newRoute("Require", vs, false).middleware
}

// Optional returns middleware like Require, except that a request without
// any credentials passes as anonymous (IdentityFrom reports false).
// Credentials that are present are still checked, and rejected when wrong:
// a client that tried to authenticate learns that it failed.
func (g *Gate) Optional(vs ...verifiers.Verifier) func(http.Handler) http.Handler {
	return g.newRoute("Optional", vs, true).middleware
}

// Require is New().Require(vs...): a gate with default settings.
func Require(vs ...verifiers.Verifier) func(http.Handler) http.Handler {
	return New().Require(vs...)
}

// Optional is New().Optional(vs...): a gate with default settings.
func Optional(vs ...verifiers.Verifier) func(http.Handler) http.Handler {
	return New().Optional(vs...)
}

func (rt *route) middleware(next http.Handler) http.Handler {
	// The 401 lines of a request without credentials name the scopes of
	// a scope step mounted right behind (scopechallenge.go).
	missing := rt.scopedChallenges(rt.challenges, requiredScopes(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.serve(w, r, next, missing)
	})
}

// serve is the gate's pipeline for one request: a preflight is answered,
// a client over its failure limit refused, a malformed Authorization
// refused, then the first verifier that finds its credentials decides;
// without any, an Optional route lets the request through anonymous and
// a Require route refuses it with the challenges in missing.
func (rt *route) serve(w http.ResponseWriter, r *http.Request, next http.Handler, missing []string) {
	start := rt.g.startClock()
	if rt.g.answerPreflight && isPreflight(r) {
		// No request reaches the handler unauthenticated, a preflight
		// included: the gate answers it itself.
		rt.answerPreflight(w, r)
		rt.observeAuth(r, start, "", ResultNone, verifiers.PreflightUnanswered, http.StatusNoContent)
		return
	}
	var place attempt // on the stack: startAttempt returns &place or nil
	at, ok := rt.startAttempt(w, r, &place, start)
	if !ok {
		return
	}
	if at != nil {
		// Every way out below ends the attempt before answering or
		// calling next; this only releases its place when a verifier
		// panics with http.ErrAbortHandler.
		defer rt.g.endAttempt(at, outcomeOther)
	}
	// Refusals are values until answered, so that they stay on the stack.
	if rf, bad := rt.checkAuthorization(r); bad {
		rt.refuseAttempt(w, r, at, &rf, start)
		return
	}
	e, id, rf, refused := rt.authenticate(r)
	switch {
	case refused:
		rt.refuseAttempt(w, r, at, &rf, start)
	case id != nil:
		rt.g.endAttempt(at, outcomeSuccess)
		rt.observeAuth(r, start, e.ch.Scheme, ResultSuccess, "", 0)
		rt.succeed(w, r, next, e, id)
	case len(r.Header["Authorization"]) == 1:
		rf := rt.schemeNotAccepted(r.Header["Authorization"][0], missing)
		rt.refuseAttempt(w, r, at, &rf, start)
	case rt.optional:
		rt.g.endAttempt(at, outcomeOther)
		rt.observeAuth(r, start, "", ResultNone, "", 0)
		rt.anonymous(w, r, next)
	default:
		rt.refuseAttempt(w, r, at, &refusal{
			reason:     verifiers.CredentialsMissing,
			detail:     rt.missingDetail,
			hint:       missingHint(r),
			challenges: missing,
			gateText:   true,
		}, start)
	}
}

// checkAuthorization refuses, before any verifier runs, an Authorization
// that is too large, sent twice, or empty; false when it is none of those
// (or absent).
func (rt *route) checkAuthorization(r *http.Request) (refusal, bool) {
	auth := r.Header["Authorization"]
	if len(auth) == 0 {
		return refusal{}, false
	}
	size := 0
	for _, v := range auth {
		size += len(v)
	}
	switch {
	case size > rt.g.maxAuthBytes:
		return refusal{
			reason:       verifiers.CredentialsTooLarge,
			detail:       "the Authorization header field is " + strconv.Itoa(size) + rt.g.tooLargeTail,
			clientDetail: authorizationTooLarge,
			gateText:     true,
		}, true
	case len(auth) > 1:
		return refusal{
			reason:     verifiers.RequestMalformed,
			detail:     "the request has " + strconv.Itoa(len(auth)) + " Authorization header fields; exactly one is allowed",
			hint:       "a proxy or client library may be adding its own Authorization header beside the application's",
			challenges: rt.badRequest,
			gateText:   true,
		}, true
	case strings.Trim(auth[0], " \t") == "":
		return refusal{
			reason:     verifiers.RequestMalformed,
			detail:     "the Authorization header field is empty",
			hint:       "the client sent the header without a value; check that the variable holding the credentials is set",
			challenges: rt.badRequest,
			gateText:   true,
		}, true
	}
	return refusal{}, false
}

// authenticate asks the route's verifiers in order. The first that finds
// its credentials decides: its entry and identity, or the refusal of its
// error (refused). All zero: no verifier found credentials.
func (rt *route) authenticate(r *http.Request) (*entry, *verifiers.Identity, refusal, bool) {
	for i, e := range rt.entries {
		id, err := verify(e.v, r)
		switch {
		case err == nil && id != nil:
			return e, id, refusal{}, false
		case err == nil:
			return e, nil, refusal{
				reason: verifiers.VerifierUnavailable,
				scheme: e.ch.Scheme,
				detail: fmt.Sprintf("verifier %T returned neither an identity nor an error; this is a bug in the verifier", e.v),
			}, true
		case err == verifiers.ErrNoCredentials || errors.Is(err, verifiers.ErrNoCredentials):
			continue
		}
		if rej, ok := verifiers.AsRejection(err); ok {
			if rej == nil {
				return e, nil, refusal{
					reason: verifiers.VerifierUnavailable,
					scheme: e.ch.Scheme,
					detail: fmt.Sprintf("verifier %T returned a nil *Rejection as its error; this is a bug in the verifier", e.v),
				}, true
			}
			return e, nil, rt.rejectedBy(r, i, rej), true
		}
		return e, nil, unavailable(e, err), true
	}
	return nil, nil, refusal{}, false
}

// anonymous lets a request without credentials through an Optional route.
func (rt *route) anonymous(w http.ResponseWriter, r *http.Request, next http.Handler) {
	// The answer would differ had the request carried credentials: a
	// cache must not serve it to one that does (RFC 9110 §12.5.5).
	if ac := authFrom(r.Context()); ac != nil && ac.id != nil {
		// An outer gate already authenticated the request: keep it.
		addVary(w.Header(), rt.optionalVary, nil)
		next.ServeHTTP(w, r)
		return
	}
	ac := &authContext{Context: r.Context(), rt: rt}
	addVary(w.Header(), rt.optionalVary, &ac.vary)
	next.ServeHTTP(w, r.WithContext(ac))
}

// asUnavailable is verifiers.AsRejection for *verifiers.UnavailableError.
func asUnavailable(err error) (*verifiers.UnavailableError, bool) {
	if ue, ok := err.(*verifiers.UnavailableError); ok {
		return ue, true
	}
	var ue *verifiers.UnavailableError
	if errors.As(err, &ue) {
		return ue, true
	}
	return nil, false
}

// authorizationTooLarge is the body's detail of the gate's own 431.
const authorizationTooLarge = "The Authorization header field is too large."

// refuseAttempt ends the request's attempt, counting a failure when the
// reason is a guess (at is nil when failure limiting is off), refuses
// the request with rf, and reports it to the observer with the request's
// start.
func (rt *route) refuseAttempt(w http.ResponseWriter, r *http.Request, at *attempt, rf *refusal, start time.Duration) {
	rf.credHeaders = rt.credHeaders
	if at != nil {
		rf.cl, rf.hasCl = at.cl, true
		o := outcomeOther
		if rf.data().Guess {
			o = outcomeFailure
		}
		rt.g.endAttempt(at, o)
	}
	rt.g.refuse(w, r, rf)
	rt.observeRefusal(r, start, rf)
}

func unavailable(e *entry, err error) refusal {
	rf := refusal{reason: verifiers.VerifierUnavailable, scheme: e.ch.Scheme, err: err}
	ue, found := asUnavailable(err)
	if found && ue == nil {
		rf.detail = fmt.Sprintf("verifier %T returned a nil *UnavailableError; this is a bug in the verifier", e.v)
		rf.err = nil
	} else if ue != nil {
		rf.detail = ue.Detail
		rf.retryAfter = ue.RetryAfter
		rf.err = ue.Err
	} else {
		rf.detail = fmt.Sprintf("verifier %T failed with an error that is neither a Rejection nor ErrNoCredentials", e.v)
	}
	return rf
}
