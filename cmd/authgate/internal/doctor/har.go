package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxHARBytes bounds the HAR file ReadHAR reads.
const MaxHARBytes = 64 << 20

// maxHAREntries bounds the entries ReadHAR looks at.
const maxHAREntries = 100000

// ErrHAR reports a HAR file that cannot be used.
var ErrHAR = errors.New("doctor: unusable HAR file")

// harFile is the part of HAR 1.2 the doctor reads.
type harFile struct {
	Log struct {
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harEntry struct {
	Request struct {
		Method   string      `json:"method"`
		URL      string      `json:"url"`
		Headers  []harHeader `json:"headers"`
		PostData *struct {
			Text string `json:"text"`
		} `json:"postData"`
	} `json:"request"`
	Response struct {
		Status      int         `json:"status"`
		Headers     []harHeader `json:"headers"`
		ErrorText   string      `json:"_error"`
		FailureText string      `json:"_failureText"`
	} `json:"response"`
}

type harHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// skipHARHeaders are request headers not replayed: HTTP/2 pseudo-headers
// (":authority"), and those the HTTP client sets itself.
var skipHARHeaders = map[string]bool{"Host": true, "Content-Length": true, "Connection": true, "Accept-Encoding": true, "Transfer-Encoding": true}

// ReadHAR reads a HAR file (as a browser's Network tab exports it) and
// returns the request to diagnose: entry index when index >= 0, else the
// last refused one (401, 403, or status 0 or -1: blocked or failed, as
// CORS leaves it), with the CORS preflight the browser sent before it
// when the file has it (DevTools exports preflights; Playwright does
// not, and then Run builds the preflight the browser sent). The
// file is only read. It fails with an error wrapping ErrHAR when the file
// is not HAR or holds no such request.
func ReadHAR(r io.Reader, index int) (*Request, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxHARBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHAR, err)
	}
	if len(b) > MaxHARBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrHAR, MaxHARBytes)
	}
	var f harFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrHAR, err)
	}
	es := f.Log.Entries
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: no entries (log.entries is empty or missing)", ErrHAR)
	}
	if len(es) > maxHAREntries {
		return nil, fmt.Errorf("%w: %d entries, over %d", ErrHAR, len(es), maxHAREntries)
	}
	pick := -1
	switch {
	case index >= len(es):
		return nil, fmt.Errorf("%w: entry %d asked for, the file has %d (0 to %d)", ErrHAR, index, len(es), len(es)-1)
	case index >= 0:
		pick = index
	default:
		for i := len(es) - 1; i >= 0; i-- {
			e := &es[i]
			st := e.Response.Status
			if isPreflight(e) {
				continue
			}
			// Status 0 or -1: no readable answer (CORS, network).
			if st == http.StatusUnauthorized || st == http.StatusForbidden || st <= 0 {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		return nil, fmt.Errorf("%w: no refused request (401, 403 or blocked) among %d entries; pick one with --har-entry", ErrHAR, len(es))
	}
	e := &es[pick]
	if e.Request.Method == "" || e.Request.URL == "" {
		return nil, fmt.Errorf("%w: entry %d has no method or URL", ErrHAR, pick)
	}
	req := &Request{
		Method:   e.Request.Method,
		URL:      e.Request.URL,
		Header:   harHeaders(e.Request.Headers),
		Source:   fmt.Sprintf("HAR entry %d", pick),
		Recorded: &Recorded{Status: e.Response.Status, Error: firstNonEmpty(e.Response.ErrorText, e.Response.FailureText)},
	}
	if e.Request.PostData != nil {
		req.Body = []byte(e.Request.PostData.Text)
	}
	req.Origin = req.Header.Get("Origin")
	if req.Origin == "" {
		// The browser adds Origin in its network stack; a recorder that
		// reads headers before it (Playwright) shows only Referer, whose
		// origin is the page's.
		if o := originOf(req.Header.Get("Referer")); o != "" && o != originOf(req.URL) {
			req.Origin = o
		}
	}
	if req.Origin != "" {
		for i := pick - 1; i >= 0; i-- {
			p := &es[i]
			if isPreflight(p) && sameResource(p.Request.URL, e.Request.URL) &&
				strings.EqualFold(headerValue(p.Request.Headers, "Access-Control-Request-Method"), e.Request.Method) {
				req.Preflight = &Preflight{Header: harHeaders(p.Request.Headers)}
				req.Source += fmt.Sprintf(", preflight entry %d", i)
				break
			}
		}
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("%w: entry %d: %v", ErrHAR, pick, err)
	}
	return req, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func isPreflight(e *harEntry) bool {
	return e.Request.Method == http.MethodOptions && headerValue(e.Request.Headers, "Access-Control-Request-Method") != ""
}

func headerValue(hs []harHeader, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func harHeaders(hs []harHeader) http.Header {
	h := http.Header{}
	for _, x := range hs {
		if x.Name == "" || strings.HasPrefix(x.Name, ":") {
			continue
		}
		ck := http.CanonicalHeaderKey(x.Name)
		if skipHARHeaders[ck] || !validHeader(ck, x.Value) {
			continue
		}
		h.Add(ck, x.Value)
	}
	return h
}

// validHeader drops what net/http would refuse to send (a CR or LF, a name
// that is not a token).
func validHeader(name, value string) bool {
	if strings.ContainsAny(value, "\r\n\x00") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func sameResource(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host && ua.Path == ub.Path
}

// Rebase points the request (and its preflight) at base's scheme and host,
// keeping the path and query: to replay a recorded request against
// another deployment or a local server.
func (r *Request) Rebase(base string) error {
	b, err := url.Parse(base)
	if err != nil || b.Scheme == "" || b.Host == "" {
		return fmt.Errorf("%w: %q is not scheme://host[:port]", ErrUsage, base)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	r.URL = u.String()
	return nil
}

// originOf is scheme://host[:port] of an absolute URL, "" otherwise.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
