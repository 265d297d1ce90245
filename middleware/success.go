package middleware

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// succeed lets an authenticated request through, with the headers that
// keep caches from serving it to another client, and logs it at debug.
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
	rt.g.logAuthenticated(r, id)
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
