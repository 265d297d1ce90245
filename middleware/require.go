package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

// route is the precomputed configuration of one Require or Optional call.
type route struct {
	g        *Gate
	entries  []*entry
	optional bool
	// accepted lists the schemes, for details and hints: "Bearer, APIKey".
	accepted string
	// missingDetail is the logged detail of credentials_missing.
	missingDetail string
	// challenges are the WWW-Authenticate lines of a plain 401.
	challenges []string
	// badRequest are the lines of a 400: the Bearer challenges with
	// error="invalid_request"; nil when the route accepts no Bearer.
	badRequest []string
	// Texts of scheme_not_accepted: the body's detail, the logged detail
	// per entry of knownSchemes, and the hints.
	notAcceptedBody   string
	notAcceptedDetail []string
	notAcceptedHint   string
	unknownSchemeHint string
	unknownSchemeTail string
	// credHeaders are the canonical names of the header fields other than
	// Authorization that carry the route's credentials (from the
	// challenges' header parameter).
	credHeaders []string
	// preflightHint is the logged hint of preflight_unanswered.
	preflightHint string
	// optionalVary is, on an Optional route, the Vary of every response
	// it lets through: Authorization and the other credential header
	// fields ("Authorization, X-API-Key").
	optionalVary string
}

type entry struct {
	v      verifiers.Verifier
	ch     challenge.Challenge
	line   string // the formatted challenge
	bearer bool
	// invalid holds, for a Bearer verifier, its challenge line with
	// error="invalid_token" and the reason's description, per reason;
	// rejected holds the route's lines with that one in place of line.
	invalid  map[verifiers.Reason]string
	rejected map[verifiers.Reason][]string
	// claimer is v as a PrincipalClaimer, when it is one, and
	// principalAttr the log field of its principals.
	claimer       verifiers.PrincipalClaimer
	principalAttr string
}

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

func (g *Gate) newRoute(fn string, vs []verifiers.Verifier, optional bool) *route {
	if len(vs) == 0 {
		panic("authgate/middleware: " + fn + " needs at least one verifier")
	}
	rt := &route{g: g, optional: optional}
	var names []string
	var credNames []string // credHeaders as the challenges spell them
	for i, v := range vs {
		if v == nil {
			panic(fmt.Sprintf("authgate/middleware: %s: verifier %d is nil", fn, i))
		}
		ch := v.Challenge()
		line, err := ch.Format()
		if err != nil {
			panic(fmt.Sprintf("authgate/middleware: %s: verifier %d (%T) has an invalid challenge: %v", fn, i, v, err))
		}
		e := &entry{v: v, ch: ch, line: line, bearer: ch.Is("Bearer")}
		if c, ok := v.(verifiers.PrincipalClaimer); ok {
			e.claimer = c
			switch {
			case ch.Is(verifiers.SchemeBasic):
				e.principalAttr = verifiers.AttrUser
			case ch.Is(verifiers.SchemeAPIKey):
				e.principalAttr = verifiers.AttrKeyID
			default:
				e.principalAttr = "principal"
			}
		}
		rt.challenges = append(rt.challenges, line)
		for _, p := range ch.Params {
			// A scheme whose credentials travel in a header of their own
			// names it (APIKey realm="api", header="X-API-Key"): its value
			// is scrubbed from verifier text like Authorization's.
			if strings.EqualFold(p.Name, "header") && p.Value != "" && !slices.Contains(rt.credHeaders, http.CanonicalHeaderKey(p.Value)) {
				rt.credHeaders = append(rt.credHeaders, http.CanonicalHeaderKey(p.Value))
				credNames = append(credNames, p.Value)
			}
		}
		if e.bearer {
			e.invalid = make(map[verifiers.Reason]string)
			for _, reason := range verifiers.Reasons() {
				if reason.Status() == http.StatusUnauthorized {
					e.invalid[reason] = mustFormat(bearerError(ch, challenge.ErrorInvalidToken, reason.Description()))
				}
			}
			rt.badRequest = append(rt.badRequest, mustFormat(bearerError(ch, challenge.ErrorInvalidRequest, verifiers.RequestMalformed.Description())))
		}
		rt.entries = append(rt.entries, e)
		names = append(names, ch.Scheme)
	}
	rt.accepted = strings.Join(names, ", ")
	rt.missingDetail = "the request carries no credentials for any scheme this route accepts (" + rt.accepted + ")"
	rt.challenges = rt.challenges[:len(rt.challenges):len(rt.challenges)]
	for i, e := range rt.entries {
		if !e.bearer {
			continue
		}
		e.rejected = make(map[verifiers.Reason][]string, len(e.invalid))
		for reason, line := range e.invalid {
			lines := append([]string(nil), rt.challenges...)
			lines[i] = line
			e.rejected[reason] = lines
		}
	}
	rt.notAcceptedBody = verifiers.SchemeNotAccepted.Description() + " Accepted: " + rt.accepted + "."
	for _, name := range knownSchemes {
		rt.notAcceptedDetail = append(rt.notAcceptedDetail, "Authorization uses the "+name+" scheme, which this route does not accept; it accepts "+rt.accepted)
	}
	rt.notAcceptedHint = "send credentials with one of the accepted schemes: " + rt.accepted
	rt.unknownSchemeHint = "the value must be '<scheme> <credentials>' with one of: " + rt.accepted
	rt.unknownSchemeTail = " bytes, not logged); this route accepts " + rt.accepted
	rt.preflightHint = preflightHint(credNames)
	if optional {
		rt.optionalVary = strings.Join(append([]string{"Authorization"}, credNames...), ", ")
	}
	return rt
}

// bearerError returns ch with an RFC 6750 error and description added,
// keeping realm and resource_metadata and dropping any error parameters
// the base challenge had.
func bearerError(ch challenge.Challenge, code, desc string, extra ...challenge.Param) challenge.Challenge {
	out := challenge.Challenge{Scheme: ch.Scheme}
	for _, p := range ch.Params {
		switch strings.ToLower(p.Name) {
		case "error", "error_description", "error_uri", "scope":
		default:
			out.Params = append(out.Params, p)
		}
	}
	out.Params = append(out.Params, challenge.Param{Name: "error", Value: code})
	if desc != "" {
		out.Params = append(out.Params, challenge.Param{Name: "error_description", Value: desc})
	}
	out.Params = append(out.Params, extra...)
	return out
}

func mustFormat(c challenge.Challenge) string {
	s, err := c.Format()
	if err != nil {
		panic("authgate/middleware: " + err.Error())
	}
	return s
}

func (rt *route) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.serve(w, r, next)
	})
}

func (rt *route) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	g := rt.g
	if g.answerPreflight && isPreflight(r) {
		// No request reaches the handler unauthenticated, a preflight
		// included: the gate answers it itself.
		rt.answerPreflight(w, r)
		return
	}
	var at *attempt // nil: no failure limiting
	if g.limiter != nil {
		at = new(attempt)
		if !rt.startAttempt(w, r, at) {
			return
		}
		// Every way out below ends the attempt before answering or
		// calling next; this only releases its place when a verifier
		// panics with http.ErrAbortHandler.
		defer g.limiter.end(at, outcomeOther)
	}
	auth := r.Header["Authorization"]
	if n := len(auth); n > 0 {
		size := 0
		for _, v := range auth {
			size += len(v)
		}
		switch {
		case size > g.maxAuthBytes:
			rt.refuse(w, r, at, &refusal{
				reason:       verifiers.CredentialsTooLarge,
				detail:       "the Authorization header field is " + strconv.Itoa(size) + g.tooLargeTail,
				clientDetail: authorizationTooLarge,
				gateText:     true,
			})
			return
		case n > 1:
			rt.refuse(w, r, at, &refusal{
				reason:     verifiers.RequestMalformed,
				detail:     "the request has " + strconv.Itoa(n) + " Authorization header fields; exactly one is allowed",
				hint:       "a proxy or client library may be adding its own Authorization header beside the application's",
				challenges: rt.badRequest,
				gateText:   true,
			})
			return
		case strings.Trim(auth[0], " \t") == "":
			rt.refuse(w, r, at, &refusal{
				reason:     verifiers.RequestMalformed,
				detail:     "the Authorization header field is empty",
				hint:       "the client sent the header without a value; check that the variable holding the credentials is set",
				challenges: rt.badRequest,
				gateText:   true,
			})
			return
		}
	}
	for i, e := range rt.entries {
		id, err := verify(e.v, r)
		if err == nil {
			if id == nil {
				rt.refuse(w, r, at, &refusal{
					reason: verifiers.VerifierUnavailable,
					scheme: e.ch.Scheme,
					detail: fmt.Sprintf("verifier %T returned neither an identity nor an error; this is a bug in the verifier", e.v),
				})
				return
			}
			if at != nil {
				g.limiter.end(at, outcomeSuccess)
			}
			rt.succeed(w, r, next, e, id)
			return
		}
		if err == verifiers.ErrNoCredentials || errors.Is(err, verifiers.ErrNoCredentials) {
			continue
		}
		if rej, ok := asRejection(err); ok {
			if rej == nil {
				rt.refuse(w, r, at, &refusal{
					reason: verifiers.VerifierUnavailable,
					scheme: e.ch.Scheme,
					detail: fmt.Sprintf("verifier %T returned a nil *Rejection as its error; this is a bug in the verifier", e.v),
				})
				return
			}
			rt.rejectedBy(w, r, at, i, rej)
			return
		}
		rt.refuse(w, r, at, unavailable(e, err))
		return
	}
	if len(auth) == 1 {
		rt.schemeNotAccepted(w, r, at, auth[0])
		return
	}
	if rt.optional {
		if at != nil {
			g.limiter.end(at, outcomeOther)
		}
		// The answer would differ had the request carried credentials:
		// a cache must not serve it to one that does (RFC 9110 §12.5.5).
		if ac := authFrom(r.Context()); ac != nil && ac.id != nil {
			// An outer gate already authenticated the request: keep it.
			addVary(w.Header(), rt.optionalVary, nil)
			next.ServeHTTP(w, r)
			return
		}
		ac := &authContext{Context: r.Context(), rt: rt}
		addVary(w.Header(), rt.optionalVary, &ac.vary)
		next.ServeHTTP(w, r.WithContext(ac))
		return
	}
	rt.refuse(w, r, at, &refusal{
		reason:     verifiers.CredentialsMissing,
		detail:     rt.missingDetail,
		hint:       missingHint(r),
		challenges: rt.challenges,
		gateText:   true,
	})
}

// asRejection is errors.As(err, new(*verifiers.Rejection)), without its
// allocation when err is a *Rejection itself.
func asRejection(err error) (*verifiers.Rejection, bool) {
	if rej, ok := err.(*verifiers.Rejection); ok {
		return rej, true
	}
	var rej *verifiers.Rejection
	if errors.As(err, &rej) {
		return rej, true
	}
	return nil, false
}

// asUnavailable is asRejection for *verifiers.UnavailableError.
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

// refuse counts a failed attempt when at (the failure limiting of the
// request, nil when off) says so, and refuses the request.
func (rt *route) refuse(w http.ResponseWriter, r *http.Request, at *attempt, rf *refusal) {
	rf.credHeaders = rt.credHeaders
	if at != nil {
		rf.cl, rf.hasCl = at.cl, true
		o := outcomeOther
		if rf.data().Guess {
			o = outcomeFailure
		}
		rt.g.limiter.end(at, o)
	}
	rt.g.refuse(w, r, rf)
}

func unavailable(e *entry, err error) *refusal {
	rf := &refusal{reason: verifiers.VerifierUnavailable, scheme: e.ch.Scheme, err: err}
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

func (rt *route) succeed(w http.ResponseWriter, r *http.Request, next http.Handler, e *entry, id *verifiers.Identity) {
	ac := &authContext{Context: r.Context(), id: id, rt: rt, entry: e}
	// A response authenticated by something other than Authorization is
	// private, and varies on the header field that carried the
	// credentials (RFC 9110 §16.4.2); shared caches do not store a
	// response to a request with Authorization (RFC 9111 §3.5). On an
	// Optional route it varies on every credential field, as its
	// anonymous responses do.
	vary, private := "", true
	switch id.Source.In {
	case verifiers.InHeader:
		vary = id.Source.Name
	case verifiers.InCookie:
		vary = "Cookie"
	case verifiers.InQuery, verifiers.InForm:
	default:
		private = false
	}
	if rt.optional {
		vary = rt.varyWith(vary)
	}
	h := w.Header()
	if vary != "" {
		addVary(h, vary, &ac.vary)
	}
	if private {
		ac.markPrivate(h)
	}
	if ev := rt.g.logger4(r).Debug(); ev != nil {
		ev.Str("scheme", id.Scheme).Str("subject", clean(id.Subject, maxAttrLen)).
			Str("method", r.Method).Str("path", clean(r.URL.Path, maxPathLen)).Str("route", routePattern(r))
		addAttrs(ev, id.Attrs, nil)
		ev.Msg("authgate: authenticated")
	}
	next.ServeHTTP(w, r.WithContext(ac))
}

// varyWith is the Optional route's Vary with the field v added, unless it
// is one of them already.
func (rt *route) varyWith(v string) string {
	if v == "" || strings.EqualFold(v, "Authorization") {
		return rt.optionalVary
	}
	for _, h := range rt.credHeaders {
		if strings.EqualFold(v, h) {
			return rt.optionalVary
		}
	}
	return rt.optionalVary + ", " + v
}

// addVary adds v to the Vary of h. When h has no Vary yet, its value is
// backed by backing (when not nil, an array of the request's
// authContext), with capacity clipped so that a later Add copies instead
// of writing into it.
func addVary(h http.Header, v string, backing *[1]string) {
	if old, ok := h["Vary"]; ok {
		h["Vary"] = append(old[:len(old):len(old)], v)
		return
	}
	if backing == nil {
		h["Vary"] = []string{v}
		return
	}
	backing[0] = v
	h["Vary"] = backing[:1:1]
}

// markPrivate marks a response as private, unless the handler chain
// already chose a Cache-Control. The value is backed by ac's array, like
// addVary's.
func (ac *authContext) markPrivate(h http.Header) {
	if _, ok := h["Cache-Control"]; !ok {
		ac.private[0] = "private"
		h["Cache-Control"] = ac.private[:1:1]
	}
}

func (rt *route) rejectedBy(w http.ResponseWriter, r *http.Request, at *attempt, i int, rej *verifiers.Rejection) {
	e := rt.entries[i]
	rf := &refusal{
		reason: rej.Reason,
		scheme: e.ch.Scheme,
		detail: rej.Detail,
		hint:   rej.Hint,
		attrs:  rej.Attrs,
	}
	switch {
	case !rf.reason.Known():
		rf.detail = fmt.Sprintf("verifier %T used the unknown reason %q (reported as %s): %s", e.v, clean(string(rej.Reason), 64), verifiers.CredentialsInvalid, rej.Detail)
		rf.reason = verifiers.CredentialsInvalid
	case rf.reason == verifiers.PreflightUnanswered:
		// The gate's own answer to a preflight is a 204: a rejection must
		// never read as a success.
		rf.detail = fmt.Sprintf("verifier %T rejected the credentials with %s, which only the gate gives (reported as %s): %s", e.v, rej.Reason, verifiers.CredentialsInvalid, rej.Detail)
		rf.reason = verifiers.CredentialsInvalid
	}
	if rf.reason == verifiers.CredentialsTooLarge {
		rf.clientDetail = tooLargeDetail(rej.Attrs)
	}
	if h := authorizationHint(r, e.ch.Scheme); h != "" {
		rf.hint = h
	}
	switch rf.data().Status {
	case http.StatusUnauthorized:
		switch {
		case len(rej.Params) > 0:
			lines := make([]string, len(rt.challenges))
			copy(lines, rt.challenges)
			lines[i] = e.rejectedLine(rf.reason, rt.scrubParams(r, rej.Params))
			rf.challenges = lines
		case e.bearer:
			rf.challenges = e.rejected[rf.reason]
		default:
			// A scheme without error parameters: the plain lines.
			rf.challenges = rt.challenges
		}
	case http.StatusBadRequest:
		rf.challenges = rt.badRequest
	}
	rt.refuse(w, r, at, rf)
}

// scrubParams returns a verifier's challenge parameters with the
// request's credentials redacted from them, as from every text the gate
// sends or logs; params itself when there was nothing to redact.
func (rt *route) scrubParams(r *http.Request, params []challenge.Param) []challenge.Param {
	sc := scrubber{auth: r.Header["Authorization"], r: r, names: rt.credHeaders}
	var out []challenge.Param
	for j, p := range params {
		name, value := sc.scrub(p.Name), sc.scrub(p.Value)
		if name == p.Name && value == p.Value {
			if out != nil {
				out = append(out, p)
			}
			continue
		}
		if out == nil {
			out = append(make([]challenge.Param, 0, len(params)), params[:j]...)
		}
		out = append(out, challenge.Param{Name: name, Value: value})
	}
	if out == nil {
		return params
	}
	return out
}

// rejectedLine is the challenge line of e after it rejected credentials for
// reason: for Bearer with error="invalid_token" (RFC 6750 §3.1), and with
// the rejection's own params added.
func (e *entry) rejectedLine(reason verifiers.Reason, params []challenge.Param) string {
	if len(params) == 0 {
		if e.bearer {
			return e.invalid[reason]
		}
		return e.line
	}
	var c challenge.Challenge
	if e.bearer {
		if _, hasErr := (challenge.Challenge{Params: params}).Param("error"); hasErr {
			c = e.ch.With(params...)
		} else {
			c = bearerError(e.ch, challenge.ErrorInvalidToken, reason.Description(), params...)
		}
	} else {
		c = e.ch.With(params...)
	}
	if s, err := c.Format(); err == nil {
		return s
	}
	// A verifier's extra parameters were invalid: send the plain challenge
	// rather than a broken header.
	if e.bearer {
		return e.invalid[reason]
	}
	return e.line
}

func (rt *route) schemeNotAccepted(w http.ResponseWriter, r *http.Request, at *attempt, auth string) {
	sent, _ := verifiers.SplitAuthorization(auth)
	rf := &refusal{
		reason:       verifiers.SchemeNotAccepted,
		challenges:   rt.challenges,
		clientDetail: rt.notAcceptedBody,
		gateText:     true,
	}
	if k := knownScheme(sent); k >= 0 {
		rf.scheme = knownSchemes[k]
		rf.detail = rt.notAcceptedDetail[k]
		rf.hint = rt.notAcceptedHint
	} else {
		// An unrecognised first word may well be the credential itself
		// (a bare token): it is not logged.
		rf.detail = "Authorization does not start with a recognised scheme (" + strconv.Itoa(len(auth)) + rt.unknownSchemeTail
		rf.hint = rt.unknownSchemeHint
	}
	if looksLikeJWT(sent) {
		rf.hint = "the Authorization value looks like a bare JWT with no scheme; send it as 'Authorization: Bearer <token>'"
	}
	rt.refuse(w, r, at, rf)
}

// tooLargeDetail names the oversized header field to the client (RFC 6585
// §5), when the rejection says which it is and the name is a plain token.
func tooLargeDetail(attrs []verifiers.Attr) string {
	for _, a := range attrs {
		if a.Key == verifiers.AttrHeader && a.Value != "" && len(a.Value) <= 64 && strings.Trim(a.Value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == "" {
			return "The " + a.Value + " header field is too large."
		}
	}
	return verifiers.CredentialsTooLarge.Description()
}
