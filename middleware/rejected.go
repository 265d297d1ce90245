package middleware

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/quote"
	"github.com/authgate/authgate/verifiers"
)

// rejectedBy is the refusal of a verifier's Rejection: the reason checked,
// the hint, and the challenges for the reason's status.
func (rt *route) rejectedBy(r *http.Request, i int, rej *verifiers.Rejection) refusal {
	e := rt.entries[i]
	rf := refusal{
		reason: rej.Reason,
		scheme: e.ch.Scheme,
		detail: rej.Detail,
		hint:   rej.Hint,
		attrs:  rej.Attrs,
	}
	switch {
	case !rf.reason.Known():
		rf.detail = fmt.Sprintf("verifier %T used the unknown reason %s (reported as %s): %s", e.v, quote.Quote(string(rej.Reason)), verifiers.CredentialsInvalid, rej.Detail)
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
	return rf
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

// schemeNotAccepted is the refusal of an Authorization whose scheme no
// verifier of the route takes, answered with the challenges in lines.
func (rt *route) schemeNotAccepted(auth string, lines []string) refusal {
	sent, _ := verifiers.SplitAuthorization(auth)
	rf := refusal{
		reason:       verifiers.SchemeNotAccepted,
		challenges:   lines,
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
	return rf
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
