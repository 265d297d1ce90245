package middleware

import (
	"fmt"
	"net/http"
	"slices"
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
	v    verifiers.Verifier
	ch   challenge.Challenge
	line string // the formatted challenge
	// bearer marks the token schemes whose challenges carry RFC 6750
	// error parameters: Bearer, and DPoP (RFC 9449 §7.1), whose token
	// errors are invalid_token and whose 403 is insufficient_scope too.
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
		e := &entry{v: v, ch: ch, line: line, bearer: ch.Is("Bearer") || ch.Is("DPoP")}
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
		if ch.Is("DPoP") && !slices.Contains(rt.credHeaders, "Dpop") {
			// A DPoP proof travels in the DPoP header (RFC 9449 §4.1):
			// scrubbed from verifier text, and named in an Optional
			// route's Vary and in the preflight hint, like a credential
			// header of its own.
			rt.credHeaders = append(rt.credHeaders, "Dpop")
			credNames = append(credNames, "DPoP")
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
