package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

// Request is the request to diagnose, as the client sends it.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Origin is the browser origin the request comes from ("" when it
	// does not come from a page): the doctor then checks CORS.
	Origin string
	// Preflight is the preflight the browser sent, from a HAR; nil makes
	// the doctor build one from the request when it needs one.
	Preflight *Preflight
	// Recorded is what the browser saw, from a HAR; nil otherwise.
	Recorded *Recorded
	// Source says where the request came from ("command line", "HAR entry 4").
	Source string
}

// Preflight is a recorded CORS preflight.
type Preflight struct {
	Header http.Header
}

// Recorded is the response a browser recorded in a HAR.
type Recorded struct {
	Status int    // 0 when the browser got no readable answer (CORS, network)
	Error  string // the browser's error text, such as net::ERR_FAILED
}

// ErrUsage reports a Request the doctor cannot send.
var ErrUsage = errors.New("doctor: unusable request")

// Validate checks that the request can be sent.
func (r *Request) Validate() error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrUsage, redactURL(r.URL))
	}
	if r.Origin != "" {
		o, err := url.Parse(r.Origin)
		if err != nil || o.Scheme == "" || o.Host == "" || (o.Path != "" && o.Path != "/") {
			return fmt.Errorf("%w: origin %q is not scheme://host[:port]", ErrUsage, r.Origin)
		}
	}
	return nil
}

// Config holds what Run needs from its environment.
type Config struct {
	// Client sends the request and fetches metadata; nil uses a client
	// with Timeout. Redirects are never followed (see Run).
	Client *http.Client
	// Now is the local clock; nil is time.Now.
	Now func() time.Time
	// Timeout bounds each HTTP exchange when Client is nil; 0 is 10 s.
	Timeout time.Duration
}

func (c Config) client() *http.Client {
	cl := c.Client
	if cl == nil {
		t := c.Timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		cl = &http.Client{Timeout: t}
	}
	cp := *cl
	// A redirect is a finding (a cross-host one drops Authorization), not
	// something to follow blindly with the credential.
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// maxBodyBytes bounds the response body the doctor reads.
const maxBodyBytes = 64 << 10

// response is what the doctor read from the server's answer.
type response struct {
	Status      int
	Header      http.Header
	Date        *time.Time
	Challenges  []challenge.Challenge
	ChallengeEr error
	Problem     *problem
	RequestID   string
	Location    string
	sentAt      time.Time
}

// problem is an RFC 9457 problem+json body, with authgate's extension
// members and OAuth's error members.
type problem struct {
	Title       string `json:"title"`
	Detail      string `json:"detail"`
	Reason      string `json:"reason"`
	RequestID   string `json:"request_id"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// authgateReason is the public reason code of an authgate body, "" when
// the body is not authgate's.
func (p *problem) authgateReason() verifiers.Reason {
	if p == nil || p.Reason == "" {
		return ""
	}
	r := verifiers.Reason(p.Reason)
	if !r.Known() {
		return ""
	}
	return r
}

func (d *diagnosis) send(ctx context.Context, method string, h http.Header, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.req.URL, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if hs := h.Values("Host"); len(hs) > 0 {
		req.Host = hs[0]
	}
	sent := d.cfg.now()
	resp, err := d.cfg.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	r := &response{Status: resp.StatusCode, Header: resp.Header, sentAt: sent, Location: resp.Header.Get("Location")}
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		r.Date = &t
	}
	if vs := resp.Header.Values("WWW-Authenticate"); len(vs) > 0 {
		r.Challenges, r.ChallengeEr = challenge.Parse(vs...)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		var p problem
		if json.Unmarshal(b, &p) == nil {
			r.Problem = &p
		}
	}
	r.RequestID = requestID(resp.Header, r.Problem)
	return r, nil
}

// requestID is the id the server gave the exchange, in its body or a
// common header, if it is printable and short.
func requestID(h http.Header, p *problem) string {
	cands := []string{}
	if p != nil {
		cands = append(cands, p.RequestID)
	}
	for _, name := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid", "Cf-Ray", "X-Cloud-Trace-Context"} {
		cands = append(cands, h.Get(name))
	}
	for _, c := range cands {
		if c != "" && len(c) <= 128 && strings.IndexFunc(c, func(r rune) bool { return r <= ' ' || r > '~' }) < 0 {
			return c
		}
	}
	return ""
}

// redactURL replaces the values of credential-bearing query parameters
// and any user information.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("[credential]")
	}
	q := u.Query()
	changed := false
	for _, n := range queryCredentialNames {
		if vs, ok := q[n]; ok {
			for i := range vs {
				vs[i] = "[credential]"
			}
			changed = true
		}
	}
	if changed {
		u.RawQuery = strings.ReplaceAll(q.Encode(), "%5Bcredential%5D", "[credential]")
	}
	return u.String()
}
