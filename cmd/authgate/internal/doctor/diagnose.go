package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers/apikey"
)

// diagnosis is one run: the evidence gathered and the report being built.
type diagnosis struct {
	cfg   Config
	req   *Request
	rep   *Report
	creds []*credential
	resp  *response
	cors  *corsResult
	now   time.Time

	// Filled by the JWT checks.
	timeFinding *Finding
	envFinding  *Finding
	sig         sigResult
	sigNote     string
}

func (d *diagnosis) check(step, title string, r Result, evidence string) {
	d.rep.Checks = append(d.rep.Checks, Check{Step: step, Title: title, Result: r, Evidence: strings.ReplaceAll(evidence, "\n", "; ")})
}

// Run sends the request (after its CORS preflight when it has an Origin),
// checks the credential locally and returns the diagnosis. It fails only
// for a request that cannot be sent at all (ErrUsage); a server that
// cannot be reached is a Report with Outcome Failed.
func Run(ctx context.Context, cfg Config, req *Request) (*Report, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	d := &diagnosis{cfg: cfg, req: req, now: cfg.now()}
	d.rep = &Report{Version: 1, Method: req.Method, URL: redactURL(req.URL), Source: req.Source, scrub: &Scrubber{}}
	if d.rep.Source == "" {
		d.rep.Source = "command line"
	}

	// The challenges are not known yet: the API key header an APIKey
	// challenge names is added once they are (below).
	d.creds = findCredentials(req.Header, req.URL, nil)
	d.registerSecrets()

	if req.Recorded != nil {
		ev := fmt.Sprintf("the browser got status %d", req.Recorded.Status)
		if req.Recorded.Status == 0 {
			ev = "the browser got no readable response"
		}
		if req.Recorded.Error != "" {
			ev += " (" + req.Recorded.Error + ")"
		}
		d.check("recorded", "What the browser recorded", Info, ev)
	}
	if req.Origin != "" {
		d.cors = &corsResult{}
		if req.Preflight != nil || needsPreflight(req.Method, req.Header) {
			d.cors = d.checkPreflight(ctx)
		} else {
			d.check("cors_preflight", "CORS preflight", NotApplicable, "a simple request: the browser sends no preflight")
		}
		if req.Header.Get("Origin") == "" {
			req.Header.Set("Origin", req.Origin)
		}
	} else {
		d.check("cors_preflight", "CORS preflight", NotApplicable, "no --origin: not a browser request")
	}

	resp, err := d.send(ctx, req.Method, req.Header, req.Body)
	if errors.Is(err, ErrUsage) {
		return nil, err
	}
	if err != nil {
		d.rep.Outcome = Failed
		d.rep.Verdict = finding(CauseUnreachable, "the request got no answer: "+err.Error(), "check the URL, the network and that the server is running")
		d.check("request", "Request sent", Fail, err.Error())
		return d.rep, nil
	}
	d.resp = resp
	d.rep.Status = resp.Status
	d.rep.RequestID = resp.RequestID
	d.check("request", "Request sent", Info, fmt.Sprintf("%s answered %d %s", req.Method, resp.Status, http.StatusText(resp.Status)))
	if d.cors != nil {
		d.checkCORSResponse(d.cors, resp)
	}

	// Credentials in the header an APIKey challenge names.
	var keyHeaders []string
	for _, c := range resp.Challenges {
		if hn, ok := c.Param("header"); ok && strings.EqualFold(c.Scheme, "APIKey") {
			keyHeaders = append(keyHeaders, hn)
		}
	}
	if len(keyHeaders) > 0 {
		d.creds = findCredentials(req.Header, req.URL, keyHeaders)
		d.registerSecrets()
	}

	d.checkCredentialsSent()
	d.checkFormat()
	d.checkChallenges()
	d.checkServerReason()
	d.checkClock()
	d.checkJWT(ctx)
	d.checkAPIKey()
	d.checkBasic()

	d.decide()
	return d.rep, nil
}

func (d *diagnosis) registerSecrets() {
	s := d.rep.scrub
	for _, v := range d.req.Header.Values("Authorization") {
		s.add(strings.TrimSpace(v))
	}
	// Cookies replayed from a HAR are session credentials: never analysed,
	// never printed, even when a server echoes them.
	for _, line := range d.req.Header.Values("Cookie") {
		for _, kv := range strings.Split(line, ";") {
			if _, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
				s.add(v)
			}
		}
	}
	for _, c := range d.creds {
		s.add(c.Value)
		s.add(strings.Trim(c.Value, `"' `))
		if c.JWT != nil {
			for _, seg := range strings.Split(c.JWT.raw, ".") {
				s.add(seg)
			}
		}
		if c.Kind == kindBasic {
			if raw, err := decodeAnyBase64(strings.Trim(c.Value, `"' `)); err == nil {
				s.add(raw)
				if _, pass, ok := strings.Cut(raw, ":"); ok {
					s.add(pass)
				}
			}
			if looksLikeCredential(c.User) {
				s.add(c.User)
			}
		}
	}
}

func (d *diagnosis) checkCredentialsSent() {
	if len(d.creds) == 0 {
		d.check("credentials_sent", "Credentials on the request", Fail, "the request carries no Authorization header, no API key header and no token in the query string")
		return
	}
	var ds []string
	for _, c := range d.creds {
		ds = append(ds, c.describe())
	}
	d.check("credentials_sent", "Credentials on the request", Pass, strings.Join(ds, "; "))
}

func (d *diagnosis) faults() []string {
	var f []string
	for _, c := range d.creds {
		f = append(f, c.Faults...)
	}
	return f
}

func (d *diagnosis) checkFormat() {
	if len(d.creds) == 0 {
		d.check("format", "Credential format", NotApplicable, "no credential to check")
		return
	}
	if f := d.faults(); len(f) > 0 {
		d.check("format", "Credential format", Fail, strings.Join(f, "; "))
		return
	}
	d.check("format", "Credential format", Pass, "scheme, quoting, white space and encoding look right")
}

// acceptedSchemes are the schemes the server's challenges name.
func (d *diagnosis) acceptedSchemes() []string {
	var out []string
	for _, c := range d.resp.Challenges {
		out = append(out, c.Scheme)
	}
	return out
}

func (d *diagnosis) bearerChallenge() *challenge.Challenge {
	for i, c := range d.resp.Challenges {
		if c.Is("Bearer") {
			return &d.resp.Challenges[i]
		}
	}
	return nil
}

func (d *diagnosis) checkChallenges() {
	r := d.resp
	switch {
	case r.ChallengeEr != nil:
		d.check("challenges", "WWW-Authenticate", Fail, "the challenges do not parse (RFC 9110 §11.6.1): "+r.ChallengeEr.Error())
	case len(r.Challenges) == 0 && r.Status == http.StatusUnauthorized:
		d.check("challenges", "WWW-Authenticate", Fail, "the 401 carries no WWW-Authenticate, which RFC 9110 §11.6.1 requires: the server does not say which scheme it wants")
	case len(r.Challenges) == 0:
		d.check("challenges", "WWW-Authenticate", NotApplicable, "none (expected only on a 401 or a Bearer 403)")
	default:
		var cs []string
		for _, c := range r.Challenges {
			s, err := c.Format()
			if err != nil {
				s = c.Scheme
			}
			cs = append(cs, s)
		}
		d.check("challenges", "WWW-Authenticate", Pass, fmt.Sprintf("%d challenge(s), valid syntax: %s", len(cs), strings.Join(cs, " | ")))
	}
	if len(d.creds) == 0 || len(r.Challenges) == 0 {
		d.check("scheme", "Scheme accepted", NotApplicable, "nothing to compare")
		return
	}
	if c := d.matchingCredential(); c != nil {
		d.check("scheme", "Scheme accepted", Pass, fmt.Sprintf("%s is among the accepted %v", c.Where, d.acceptedSchemes()))
		return
	}
	d.check("scheme", "Scheme accepted", Fail, fmt.Sprintf("the request's credentials (%s) match none of the accepted schemes %v", d.credWheres(), d.acceptedSchemes()))
}

func (d *diagnosis) credWheres() string {
	var ws []string
	for _, c := range d.creds {
		w := c.Where
		if c.Scheme != "" {
			w += " " + schemeShown(c.Scheme)
		}
		ws = append(ws, w)
	}
	return strings.Join(ws, ", ")
}

// matchingCredential is the first credential sent in a way a challenge
// accepts: Authorization with a challenged scheme, or the header an
// APIKey challenge names.
func (d *diagnosis) matchingCredential() *credential {
	for _, c := range d.creds {
		for _, ch := range d.resp.Challenges {
			if c.Header == "Authorization" && c.Scheme != "" && ch.Is(c.Scheme) {
				return c
			}
			if hn, ok := ch.Param("header"); ok && c.Header != "" && strings.EqualFold(hn, c.Header) {
				return c
			}
		}
	}
	return nil
}

func (d *diagnosis) checkServerReason() {
	r := d.resp
	var ev []string
	if p := r.Problem; p != nil {
		if rs := p.authgateReason(); rs != "" {
			ev = append(ev, fmt.Sprintf("authgate reason %s: %q", rs, p.Detail))
		} else if p.Detail != "" || p.Title != "" {
			ev = append(ev, fmt.Sprintf("problem: %q %q", p.Title, p.Detail))
		}
		if p.Error != "" {
			ev = append(ev, fmt.Sprintf("error %s %q", p.Error, p.Description))
		}
	}
	if b := d.bearerChallenge(); b != nil {
		if e, ok := b.Param("error"); ok {
			desc, _ := b.Param("error_description")
			ev = append(ev, fmt.Sprintf("Bearer error=%q error_description=%q", e, desc))
		} else if r.Status == http.StatusUnauthorized {
			ev = append(ev, "Bearer challenge without error: per RFC 6750 §3.1 the server saw no token")
		}
	}
	if len(ev) == 0 {
		d.check("server_reason", "The server's reason", NotApplicable, "the server gives no reason (no problem+json reason, no Bearer error)")
		return
	}
	d.check("server_reason", "The server's reason", Info, strings.Join(ev, "; "))
}

// serverSawNoCredentials reports whether the server says no credentials
// arrived: authgate's credentials_missing, or (any RFC 6750 server) a 401
// Bearer challenge without error while a Bearer token was sent.
func (d *diagnosis) serverSawNoCredentials() (bool, string) {
	if rs := d.resp.Problem.authgateReason(); rs != "" {
		return rs == "credentials_missing", "authgate answered credentials_missing"
	}
	b := d.bearerChallenge()
	if b == nil || d.resp.Status != http.StatusUnauthorized {
		return false, ""
	}
	if _, ok := b.Param("error"); ok {
		return false, ""
	}
	for _, c := range d.creds {
		if c.Header == "Authorization" && strings.EqualFold(c.Scheme, "Bearer") {
			return true, "the Bearer challenge has no error (RFC 6750 §3.1: no token arrived)"
		}
	}
	return false, ""
}

func (d *diagnosis) checkClock() {
	if d.resp.Date == nil {
		d.check("clock", "Clocks", NotApplicable, "the server sent no Date header to compare with")
		return
	}
	skew := d.skew()
	if round(skew) <= timeTolerance {
		d.check("clock", "Clocks", Pass, fmt.Sprintf("this machine and the server's Date agree (within %s)", timeTolerance))
		return
	}
	d.check("clock", "Clocks", Fail, "the server's clock (Date: "+d.resp.Header.Get("Date")+") is "+skewWords(skew)+" this machine's")
}

// skew is how far the server's clock is ahead of this machine's. Date is
// truncated to the second, so its midpoint is the best estimate.
func (d *diagnosis) skew() time.Duration {
	return d.resp.Date.Add(500 * time.Millisecond).Sub(d.now).Round(time.Second)
}

func skewWords(skew time.Duration) string {
	if skew > 0 {
		return round(skew).String() + " ahead of"
	}
	return round(skew).String() + " behind"
}

func (d *diagnosis) jwtCred() *credential {
	for _, c := range d.creds {
		if c.JWT != nil && c.JWT.Err == "" {
			return c
		}
	}
	return nil
}

func (d *diagnosis) checkJWT(ctx context.Context) {
	c := d.jwtCred()
	if c == nil {
		for _, c := range d.creds {
			if c.JWT != nil && c.JWT.Err != "" {
				d.check("token_claims", "Token claims", Fail, "the JWT does not decode: "+c.JWT.Err)
				return
			}
		}
		d.check("token_claims", "Token claims", NotApplicable, "no JWT on the request")
		return
	}
	j := c.JWT
	d.check("token_claims", "Token claims (decoded, not verified)", Info, fmt.Sprintf("alg %s, kid %q, typ %q, iss %q, sub %q, aud %q, scope %q, exp %s, nbf %s, iat %s",
		j.Alg, j.Kid, j.Typ, j.Iss, j.Sub, j.Aud, j.Scope, fmtTime(j.Exp), fmtTime(j.Nbf), fmtTime(j.Iat)))
	d.checkTokenTimes(j)
	d.checkResource(ctx, j)
	d.checkSignature(ctx, j)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339)
}

func (d *diagnosis) checkTokenTimes(j *jwtInfo) {
	local := j.checkAt(d.now, timeTolerance)
	if !local.hasAnyClaim {
		d.check("token_time", "Token times", NotApplicable, "the token has no exp, nbf or iat")
		return
	}
	var server timeCheck
	hasDate := d.resp.Date != nil
	skewed := false
	if hasDate {
		// Date is truncated to the second: the server's time is in
		// [Date, Date+1s). Below a few seconds apart, the clocks agree.
		server = j.checkAt(*d.resp.Date, timeTolerance+time.Second)
		skewed = round(d.skew()) > 5*time.Second
	}
	switch {
	case local.expired && (!hasDate || server.expired):
		by := "by this machine's clock"
		if hasDate {
			by = "by this machine's clock and by the server's Date"
		}
		f := finding(CauseInvalidCredential, fmt.Sprintf("the token expired at %s, %s ago %s", fmtTime(j.Exp), round(local.expiredAgo), by),
			"get a new token (or refresh it) before exp; the client must not keep using it")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	case !local.bad() && skewed && server.bad():
		skew := d.skew()
		what := fmt.Sprintf("by this machine's clock the token is valid (exp %s, in %s)", fmtTime(j.Exp), round(local.validFor))
		switch {
		case server.expired:
			what += fmt.Sprintf(", but by the server's clock (Date %s) it expired %s ago", d.resp.Header.Get("Date"), round(server.expiredAgo))
		default:
			what += fmt.Sprintf(", but by the server's clock (Date %s) it is not valid yet (nbf/iat %s ahead)", d.resp.Header.Get("Date"), round(server.earlyBy))
		}
		side := "the server's clock is " + skewWords(skew) + " this machine's"
		if j.Iat != nil && d.now.Sub(*j.Iat) >= -timeTolerance && d.now.Sub(*j.Iat) < 10*time.Minute {
			side += fmt.Sprintf("; the token was issued %s ago by this machine's clock, so the issuer agrees with this machine and the server's clock is the likely one off", round(d.now.Sub(*j.Iat)))
		}
		f := finding(CauseClockSkew, "clock skew: "+side+"; "+what, "fix the clock that is off (run NTP on it); a larger leeway on the server only hides it")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	case local.notYet || local.future:
		f := finding(CauseClockSkew, fmt.Sprintf("the token's nbf/iat is %s in the future by this machine's clock too: the issuer's clock is ahead", round(local.earlyBy)),
			"fix the issuer's clock (NTP), or wait until the token becomes valid")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	default:
		ev := fmt.Sprintf("valid now by this machine's clock (exp in %s)", round(local.validFor))
		if j.Exp == nil {
			ev = "no exp; nbf and iat are in the past"
		}
		if hasDate {
			ev += " and by the server's Date"
		}
		d.check("token_time", "Token times", Pass, ev)
	}
}

func (d *diagnosis) checkResource(ctx context.Context, j *jwtInfo) {
	rm := ""
	if b := d.bearerChallenge(); b != nil {
		rm, _ = b.Param("resource_metadata")
	}
	m, err := d.fetchResourceMetadata(ctx, d.req.URL, rm)
	if err != nil {
		res := NotApplicable
		if !errors.Is(err, errNotFound) {
			res = Info
		}
		d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", res, "no protected resource metadata: "+err.Error())
		return
	}
	var bad []string
	if m.Resource != "" && !containsExact(j.Aud, m.Resource) {
		bad = append(bad, fmt.Sprintf("aud %q does not contain this resource %q", j.Aud, m.Resource))
	}
	if len(m.AuthorizationServers) > 0 && !containsExact(m.AuthorizationServers, j.Iss) {
		w := fmt.Sprintf("iss %q is not among the resource's authorization servers %q", j.Iss, m.AuthorizationServers)
		if containsExact(m.AuthorizationServers, strings.TrimSuffix(j.Iss, "/")) || containsExact(m.AuthorizationServers, j.Iss+"/") {
			w += " (they differ by a trailing slash)"
		}
		bad = append(bad, w)
	}
	if len(bad) == 0 {
		d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", Pass, fmt.Sprintf("iss and aud match %s", m.url))
		return
	}
	f := finding(CauseOtherEnvironment, "the token is for another environment: "+strings.Join(bad, "; "),
		"get a token from "+firstOr(m.AuthorizationServers, "this resource's authorization server")+" for audience "+m.Resource)
	d.envFinding = &f
	d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", Fail, strings.Join(bad, "; ")+" (from "+m.url+")")
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func containsExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *diagnosis) checkSignature(ctx context.Context, j *jwtInfo) {
	keys, err := d.fetchIssuerKeys(ctx, j.Iss)
	if err != nil {
		d.check("signature", "kid and signature at the token's issuer", NotApplicable, "the issuer's keys could not be fetched: "+err.Error())
		return
	}
	res, err := verify(j, keys.set)
	d.sig = res
	switch {
	case err != nil:
		d.check("signature", "kid and signature at the token's issuer", Info, err.Error())
	case res == sigNoKid:
		d.sigNote = fmt.Sprintf("the issuer %s publishes no key with kid %q (%s)", j.Iss, j.Kid, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Fail, d.sigNote)
	case res == sigInvalid:
		d.sigNote = fmt.Sprintf("the signature does not verify with the issuer's key %q (%s): the token was modified or corrupted", j.Kid, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Fail, d.sigNote)
	default:
		d.sigNote = fmt.Sprintf("the signature verifies with key %q of its issuer %s (%s): the token is genuine", j.Kid, j.Iss, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Pass, d.sigNote)
	}
}

func (d *diagnosis) apiKeyCred() *credential {
	for _, c := range d.creds {
		if c.Kind == kindAPIKey {
			return c
		}
	}
	return nil
}

func (d *diagnosis) checkAPIKey() {
	c := d.apiKeyCred()
	switch {
	case c == nil:
		d.check("apikey", "API key checksum and environment", NotApplicable, "no key in authgate's format ("+apikey.DefaultPrefix+"_<environment>_...) on the request")
	case errors.Is(c.KeyErr, apikey.ErrChecksum):
		d.check("apikey", "API key checksum and environment", Fail, "the key's checksum does not match: a character was mistyped, dropped or added when it was copied ("+c.KeyErr.Error()+")")
	case c.KeyErr != nil:
		d.check("apikey", "API key checksum and environment", Fail, "the key does not parse: "+c.KeyErr.Error())
	default:
		d.check("apikey", "API key checksum and environment", Pass, fmt.Sprintf("checksum valid; id %s; environment tag %q", c.Key.ID(), c.Key.Environment()))
	}
}

func (d *diagnosis) checkBasic() {
	for _, c := range d.creds {
		if c.Kind != kindBasic {
			continue
		}
		if c.UserShown == "" {
			d.check("basic", "Basic credentials", Fail, "the credentials do not decode to user:password")
			return
		}
		r, ev := Pass, "user "+c.UserShown+", a colon, standard base64, UTF-8 (the password is not shown)"
		if len(c.Faults) > 0 {
			r, ev = Fail, "user "+c.UserShown+": "+strings.Join(c.Faults, "; ")
		}
		d.check("basic", "Basic credentials", r, ev)
		return
	}
	d.check("basic", "Basic credentials", NotApplicable, "no Basic credentials on the request")
}

func decodeAnyBase64(s string) (string, error) {
	for _, f := range []func(string) ([]byte, error){b64std, b64rawstd, b64url, b64rawurl} {
		if b, err := f(s); err == nil {
			return string(b), nil
		}
	}
	return "", errors.New("not base64")
}

// sameHost reports whether loc (possibly relative) stays on base's host.
func sameHost(base, loc string) bool {
	b, err1 := url.Parse(base)
	l, err2 := url.Parse(loc)
	if err1 != nil || err2 != nil {
		return false
	}
	return l.Host == "" || strings.EqualFold(l.Host, b.Host)
}
