package doctor

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

var (
	b64std    = base64.StdEncoding.DecodeString
	b64rawstd = base64.RawStdEncoding.DecodeString
	b64url    = base64.URLEncoding.DecodeString
	b64rawurl = base64.RawURLEncoding.DecodeString
)

// decide turns the evidence into the verdict. Each rule names a cause only
// on evidence that supports it; when none does, the verdict is
// CauseUnknown with what the server said.
func (d *diagnosis) decide() {
	r := d.resp
	var fs []Finding
	if d.cors != nil && d.cors.blocked {
		behind := fmt.Sprintf("; the page sees a network error, not the real answer (%d)", r.Status)
		if r.Status >= 200 && r.Status < 300 {
			behind += ": the credential itself is accepted"
		}
		fs = append(fs, finding(CauseCORS, "the browser blocks this request: "+d.cors.why+behind,
			"configure the CORS middleware in front of the API (before the authentication gate) to allow origin "+d.req.Origin+", the method and the Authorization header, and to expose WWW-Authenticate"))
	}
	authFs, outcome := d.authFindings()
	fs = append(fs, authFs...)
	if len(fs) == 0 {
		fs = append(fs, finding(CauseAuthorized, fmt.Sprintf("the request was authorized (%d %s)", r.Status, http.StatusText(r.Status)), ""))
	}
	if d.cors != nil && d.cors.blocked {
		outcome = Refused
	}
	d.rep.Outcome = outcome
	d.rep.Verdict = fs[0]
	if outcome == Refused && fs[0].Cause == CauseAuthorized {
		// CORS blocked an authorized answer: the verdict is CORS alone.
		fs = fs[:1]
	}
	for _, f := range fs[1:] {
		if f.Cause != CauseAuthorized && f.Cause != fs[0].Cause {
			d.rep.Also = append(d.rep.Also, f)
		}
	}
}

// authFindings diagnoses the status, challenges and credentials.
func (d *diagnosis) authFindings() ([]Finding, Outcome) {
	r := d.resp
	switch {
	case r.Status >= 200 && r.Status < 300:
		return nil, Authorized
	case r.Status >= 300 && r.Status < 400:
		loc := redactURL(r.Location)
		if r.Location != "" && !sameHost(d.req.URL, r.Location) && len(d.creds) > 0 {
			return []Finding{finding(CauseHeaderStripped, fmt.Sprintf("the server redirects (%d) to another host, %s: HTTP clients (browsers, curl -L, Go, requests) drop Authorization on a cross-host redirect", r.Status, loc),
				"call the final URL directly")}, Refused
		}
		return []Finding{finding(CauseNotAuth, fmt.Sprintf("the server redirects (%d) to %s", r.Status, loc), "call the final URL, or follow the redirect")}, Refused
	case r.Status == http.StatusForbidden:
		return []Finding{d.forbidden()}, Refused
	case r.Status == http.StatusTooManyRequests:
		return []Finding{finding(CauseRateLimited, "the server refuses after too many failed attempts (429): it did not check the credential", "wait for Retry-After ("+r.Header.Get("Retry-After")+"s), then fix the credential before retrying")}, Refused
	case r.Status == http.StatusServiceUnavailable:
		return []Finding{finding(CauseServerUnavailable, "the server could not check the credential (503): not the client's fault", "retry after Retry-After; tell the API's operator if it lasts")}, Refused
	case r.Status != http.StatusUnauthorized && r.Status != http.StatusBadRequest && r.Status != http.StatusRequestHeaderFieldsTooLarge:
		return []Finding{finding(CauseNotAuth, fmt.Sprintf("the server answered %d %s, not an authentication refusal", r.Status, http.StatusText(r.Status)), "")}, Refused
	}
	return []Finding{d.refusal()}, Refused
}

func (d *diagnosis) forbidden() Finding {
	scope := ""
	if b := d.bearerChallenge(); b != nil {
		if e, _ := b.Param("error"); e == "insufficient_scope" {
			scope, _ = b.Param("scope")
			if scope == "" {
				scope = "(not named)"
			}
		}
	}
	if d.resp.Problem.authgateReason() == verifiers.ScopeInsufficient && scope == "" {
		scope = "(not named)"
	}
	if scope != "" {
		held := ""
		if c := d.jwtCred(); c != nil {
			held = fmt.Sprintf("; the token's scope is %q", c.JWT.Scope)
		}
		return finding(CauseInsufficientScope, "authenticated, but the credential lacks the scope this route needs: "+scope+held,
			"request a token (or a key) with scope "+scope)
	}
	return finding(CauseForbidden, "authenticated, but refused by the server's policy (403): the credential is fine, the identity may not do this", "ask the API's operator for access")
}

// refusal diagnoses a 401 (or a 400/431 about the credentials).
func (d *diagnosis) refusal() Finding {
	r := d.resp
	reason := r.Problem.authgateReason()
	accepts := d.acceptsText()

	if len(d.creds) == 0 {
		s := "the request carries no credentials (no Authorization, no API key header, no token in the query string)" + d.serverConfirms(reason == verifiers.CredentialsMissing)
		if d.req.Header.Get("Cookie") != "" {
			s += "; it carries cookies, which the doctor does not analyse"
		}
		return finding(CauseNoCredentials, s, "send the credential"+accepts)
	}
	if f := d.faults(); len(f) > 0 {
		s := f[0]
		if len(f) > 1 {
			s += fmt.Sprintf(" (and %d more fault(s), see the checklist)", len(f)-1)
		}
		return finding(CauseMalformed, "the credential is badly formatted: "+s, "fix the header as the checklist says"+accepts)
	}
	if missing, how := d.serverSawNoCredentials(); missing {
		if c := d.matchingCredential(); c != nil || len(r.Challenges) == 0 {
			what := d.credWheres()
			if c != nil {
				what = "an " + c.Where
				if c.Scheme != "" {
					what += " (" + schemeShown(c.Scheme) + ")"
				}
			}
			return finding(CauseHeaderStripped, fmt.Sprintf("the request carried %s, but the server received no credentials (%s): a proxy, load balancer or API gateway on the way stripped or renamed the header", what, how),
				"make the proxy forward the header unchanged (nginx: it forwards Authorization by default unless proxy_set_header clears it; AWS ALB/API Gateway and some CDNs need it allow-listed); compare with a request sent straight to the backend")
		}
		return finding(CauseWrongScheme, fmt.Sprintf("the request sends %s, which this resource does not read", d.credWheres()), "send the credential"+accepts)
	}
	switch reason {
	case verifiers.SchemeNotAccepted:
		return finding(CauseWrongScheme, "the server does not accept the scheme sent ("+d.credWheres()+")", "send the credential"+accepts)
	case verifiers.TokenMalformed, verifiers.CredentialsMalformed, verifiers.RequestMalformed, verifiers.CredentialsTooLarge:
		return finding(CauseMalformed, fmt.Sprintf("the server says the credential is malformed (%s: %q)", reason, r.Problem.Detail), "send one well-formed credential"+accepts)
	case verifiers.APIKeyChecksumInvalid:
		return finding(CauseInvalidCredential, "the API key is mistyped: its checksum does not match (checked here and by the server)", "copy the key again, whole, from where it was issued")
	case verifiers.APIKeyRevoked:
		return finding(CauseInvalidCredential, "the API key was revoked (the server says so; a client cannot check this locally)", "get a new key from the API's operator or console")
	case verifiers.APIKeyExpired:
		return finding(CauseInvalidCredential, "the API key has expired (the server says so)", "rotate the key")
	case verifiers.APIKeyWrongEnv:
		env := ""
		if c := d.apiKeyCred(); c != nil && c.Key != nil {
			env = fmt.Sprintf(" (its environment tag is %q)", c.Key.Environment())
		}
		return finding(CauseOtherEnvironment, "the API key belongs to another environment"+env+" than this server", "use the key issued for this environment")
	}
	// A failed checksum is conclusive on its own, whatever the server says.
	if c := d.apiKeyCred(); c != nil && c.KeyErr != nil {
		return finding(CauseInvalidCredential, "the API key is mistyped: "+c.KeyErr.Error(), "copy the key again, whole, from where it was issued")
	}
	if f := d.tokenFinding(reason); f != nil {
		return *f
	}
	switch reason {
	case verifiers.TokenIssuerMismatch:
		iss := ""
		if c := d.jwtCred(); c != nil {
			iss = fmt.Sprintf(" (its iss is %q)", c.JWT.Iss)
		}
		return finding(CauseOtherEnvironment, "the server says the token comes from an issuer it does not trust"+iss+": a token of another environment or tenant", "get a token from this environment's issuer")
	case verifiers.TokenAudienceMismatch:
		aud := ""
		if c := d.jwtCred(); c != nil {
			aud = fmt.Sprintf(" (its aud is %q)", c.JWT.Aud)
		}
		return finding(CauseOtherEnvironment, "the server says the token is meant for another resource"+aud+": a token requested for another API or environment", "request the token for this API's audience")
	case verifiers.TokenExpired:
		return finding(CauseInvalidCredential, "the server says the token expired", "get a new token")
	case verifiers.CredentialsInvalid:
		what := "the credentials"
		if c := d.basicCred(); c != nil {
			what = "the user name or the password (the server does not say which, on purpose)"
		}
		return finding(CauseInvalidCredential, "the server does not accept "+what, "check the credential against what was issued for this server")
	case "":
	default:
		return finding(CauseInvalidCredential, fmt.Sprintf("the server rejects the credential (%s: %q)", reason, r.Problem.Detail), "see the reason's meaning in the API's documentation")
	}
	// No authgate reason: what the challenges and RFC 9110 say.
	if len(r.Challenges) > 0 && d.matchingCredential() == nil {
		return finding(CauseWrongScheme, fmt.Sprintf("the request sends %s; the server accepts %v", d.credWheres(), d.acceptedSchemes()), "send the credential"+accepts)
	}
	if len(r.Challenges) > 0 {
		desc := ""
		if b := d.bearerChallenge(); b != nil {
			if e, ok := b.Param("error"); ok {
				desc = " (" + e
				if ed, ok := b.Param("error_description"); ok {
					desc += ": " + ed
				}
				desc += ")"
			}
		}
		// RFC 9110 §15.5.2: a 401 to a request with credentials means
		// they were refused.
		return finding(CauseInvalidCredential, "the server refused the credential"+desc+"; the checks here found nothing wrong with it locally (revoked, unknown, or a wrong secret?)",
			"quote the request id to the API's operator and ask why this credential is refused")
	}
	return finding(CauseUnknown, "the server refused the request without saying why (no WWW-Authenticate, no reason in the body); the checks here found nothing wrong with the credential locally",
		"ask the API's operator, quoting the request id and the time; the server should send WWW-Authenticate (RFC 9110 §11.6.1)")
}

// tokenFinding is the JWT's own evidence: times, issuer and audience,
// signature, in that order of strength.
func (d *diagnosis) tokenFinding(reason verifiers.Reason) *Finding {
	c := d.jwtCred()
	if c == nil {
		return nil
	}
	timeReason := reason == verifiers.TokenExpired || reason == verifiers.TokenNotYetValid || reason == verifiers.TokenIssuedInFuture
	if d.timeFinding != nil && (reason == "" || timeReason) {
		// A server that names another reason is not refusing the
		// token's times, whatever the clocks say.
		return d.timeFinding
	}
	if d.envFinding != nil {
		return d.envFinding
	}
	sigReason := reason == verifiers.TokenSignatureInvalid || reason == verifiers.TokenKeyUnknown
	switch {
	case d.sig == sigInvalid:
		f := finding(CauseInvalidCredential, "the token was tampered with or corrupted: "+d.sigNote, "get a new token; do not edit tokens")
		return &f
	case d.sig == sigValid && (sigReason || reason == verifiers.TokenIssuerMismatch):
		f := finding(CauseOtherEnvironment, fmt.Sprintf("the token is genuine but from another environment: %s, and the server refuses it (%s)", d.sigNote, reason),
			"get a token from the issuer this server trusts")
		return &f
	case d.sig == sigNoKid && sigReason:
		f := finding(CauseInvalidCredential, "the token's key is unknown even at its own issuer: "+d.sigNote, "get a new token (the issuer may have rotated its keys)")
		return &f
	case sigReason:
		f := finding(CauseInvalidCredential, fmt.Sprintf("the server cannot verify the token's signature (%s); the issuer's keys could not be fetched here, so another environment's key cannot be told from a modified token", reason),
			"check which issuer minted the token; get a new one from this environment's issuer")
		return &f
	case c.JWT.IDToken && reason == verifiers.TokenIsIDToken:
		f := finding(CauseInvalidCredential, "an OpenID Connect ID token was sent as an access token", "send the access_token of the login response, not the id_token")
		return &f
	}
	return nil
}

func (d *diagnosis) basicCred() *credential {
	for _, c := range d.creds {
		if c.Kind == kindBasic {
			return c
		}
	}
	return nil
}

// acceptsText says what the server accepts, from its challenges.
func (d *diagnosis) acceptsText() string {
	var parts []string
	for _, c := range d.resp.Challenges {
		switch {
		case c.Is("Bearer"):
			parts = append(parts, `"Authorization: Bearer <token>"`)
		case c.Is("Basic"):
			parts = append(parts, `"Authorization: Basic <base64 of user:password>" (curl -u user:password)`)
		default:
			if hn, ok := c.Param("header"); ok {
				parts = append(parts, fmt.Sprintf(`"%s: <key>"`, hn))
			} else {
				parts = append(parts, fmt.Sprintf(`"Authorization: %s ..."`, c.Scheme))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": the server accepts " + strings.Join(parts, " or ")
}

func (d *diagnosis) serverConfirms(ok bool) string {
	if ok {
		return " (the server confirms: credentials_missing)"
	}
	return ""
}
