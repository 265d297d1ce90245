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
		if req.Recorded.Status <= 0 { // 0 or -1, as recorders write it
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
			pass := ""
			if raw, err := decodeAnyBase64(strings.Trim(c.Value, `"' `)); err == nil {
				s.add(raw)
				if _, p, ok := strings.Cut(raw, ":"); ok {
					pass = p
					s.add(pass)
				}
			}
			if looksLikeCredentialUser(c.User, pass) {
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
			return true, "the Bearer challenge has no error (RFC 6750 §3.1: no token arrived; unless this server leaves error out for bad tokens too, against §3.1)"
		}
	}
	return false, ""
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
