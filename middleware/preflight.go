package middleware

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// isPreflight reports whether r is a CORS preflight request (Fetch
// standard, "CORS-preflight request"): OPTIONS with Origin and
// Access-Control-Request-Method. A plain OPTIONS is not one.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions &&
		r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflightHint is the logged hint of preflight_unanswered for a route
// whose credentials travel in Authorization and in the header fields
// named credHeaders.
func preflightHint(credHeaders []string) string {
	allow := "the Authorization request header"
	if len(credHeaders) > 0 {
		allow = "the Authorization and " + strings.Join(credHeaders, " and ") + " request headers"
	}
	return "mount a CORS middleware (github.com/rs/cors or github.com/go-chi/cors) in front of the gate, " +
		"allowing this origin, the method and " + allow + "; " +
		"the gate answers a preflight with 204 and no CORS headers, so the browser does not send the real request"
}

// answerPreflight answers a CORS preflight that reached the gate: no CORS
// middleware in front of it answered. It is not let through: browsers
// never send credentials on a preflight, so letting it through would
// hand the protected handler an unauthenticated request, and a handler
// that does not switch on the method (http.FileServer, a reverse proxy,
// a ServeMux pattern without a method) serves it as a GET. It is not
// refused with 401 either, which the browser would report as a CORS
// failure that says nothing. The gate answers 204 No Content without CORS
// headers, since it is no CORS handler, and logs why (sampled like a
// rejection).
func (rt *route) answerPreflight(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("a CORS preflight (OPTIONS from origin ")
	b.WriteString(clean(r.Header.Get("Origin"), 128))
	b.WriteString(" for method ")
	b.WriteString(clean(r.Header.Get("Access-Control-Request-Method"), 32))
	if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
		b.WriteString(" with headers ")
		b.WriteString(clean(hs, 128))
	}
	b.WriteString(") reached the gate, so no CORS middleware in front of it answered; the gate answered 204 without CORS headers and did not call the handler")
	rf := &refusal{
		reason: verifiers.PreflightUnanswered,
		detail: b.String(),
		hint:   rt.preflightHint,
		// The detail quotes request headers: it is scrubbed, in case
		// one holds the credential.
		credHeaders: rt.credHeaders,
	}
	sc := scrubber{auth: r.Header["Authorization"], r: r, names: rf.credHeaders}
	rt.g.logRefusal(r, rf, rf.data(), requestID(r), &sc)
	w.WriteHeader(http.StatusNoContent)
}
