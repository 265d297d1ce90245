package doctor

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// corsSafelisted are the request headers a page may send without a
// preflight (Fetch standard, "CORS-safelisted request-header"; the value
// restrictions on Content-Type are checked in needsPreflight).
var corsSafelisted = map[string]bool{"Accept": true, "Accept-Language": true, "Content-Language": true, "Content-Type": true, "Range": true}

// browserSet are headers the browser sets itself; they never make a request
// non-simple.
var browserSet = map[string]bool{"Origin": true, "Host": true, "User-Agent": true, "Referer": true, "Cookie": true, "Connection": true,
	"Accept-Encoding": true, "Content-Length": true, "Sec-Fetch-Mode": true, "Sec-Fetch-Site": true, "Sec-Fetch-Dest": true,
	"Sec-Ch-Ua": true, "Sec-Ch-Ua-Mobile": true, "Sec-Ch-Ua-Platform": true, "Priority": true, "Pragma": true, "Cache-Control": true}

// preflightHeaders lists, lower-cased and sorted as a browser does, the
// request headers a preflight must ask for.
func preflightHeaders(h http.Header) []string {
	var out []string
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		if browserSet[ck] || strings.HasPrefix(ck, "Sec-") {
			continue
		}
		if corsSafelisted[ck] {
			if ck != "Content-Type" {
				continue
			}
			mt := strings.ToLower(strings.TrimSpace(strings.SplitN(strings.Join(vs, ","), ";", 2)[0]))
			if mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" || mt == "text/plain" {
				continue
			}
		}
		out = append(out, strings.ToLower(ck))
	}
	sort.Strings(out)
	return out
}

func needsPreflight(method string, h http.Header) bool {
	return (method != http.MethodGet && method != http.MethodHead && method != http.MethodPost) || len(preflightHeaders(h)) > 0
}

// corsResult is what the CORS checks found.
type corsResult struct {
	blocked   bool   // the browser would not let the page see the answer
	why       string // the first reason it is blocked
	preflight *response
}

// tokenList splits a comma-separated header into trimmed items.
func tokenList(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// allowOrigin checks Access-Control-Allow-Origin on a response.
func allowOrigin(h http.Header, origin string) (bool, string) {
	got := h.Values("Access-Control-Allow-Origin")
	switch {
	case len(got) == 0:
		return false, "no Access-Control-Allow-Origin"
	case len(got) > 1:
		return false, fmt.Sprintf("%d Access-Control-Allow-Origin fields (browsers accept exactly one)", len(got))
	case got[0] == "*" || got[0] == origin:
		return true, "Access-Control-Allow-Origin: " + got[0]
	}
	return false, fmt.Sprintf("Access-Control-Allow-Origin: %s, not %s", got[0], origin)
}

// checkPreflight sends (or replays) the preflight and checks its answer
// the way the browser does (Fetch standard, CORS-preflight fetch).
func (d *diagnosis) checkPreflight(ctx context.Context) *corsResult {
	res := &corsResult{}
	r := d.req
	h := http.Header{}
	if r.Preflight != nil {
		for k, vs := range r.Preflight.Header {
			h[k] = append([]string(nil), vs...)
		}
	} else {
		h.Set("Origin", r.Origin)
		h.Set("Access-Control-Request-Method", r.Method)
		if hs := preflightHeaders(r.Header); len(hs) > 0 {
			h.Set("Access-Control-Request-Headers", strings.Join(hs, ","))
		}
	}
	resp, err := d.send(ctx, http.MethodOptions, h, nil)
	if err != nil {
		res.blocked, res.why = true, "the preflight got no answer: "+err.Error()
		d.check("cors_preflight", "CORS preflight", Fail, res.why)
		return res
	}
	res.preflight = resp
	var ev []string
	fail := func(s string) {
		if !res.blocked {
			res.blocked, res.why = true, s
		}
		ev = append(ev, s)
	}
	src := "built from the request"
	if r.Preflight != nil {
		src = "replayed from the HAR"
	}
	ev = append(ev, fmt.Sprintf("OPTIONS (%s) from origin %s answered %d", src, r.Origin, resp.Status))
	if resp.Status < 200 || resp.Status > 299 {
		fail(fmt.Sprintf("the preflight was answered %d, not 2xx", resp.Status))
	}
	if ok, what := allowOrigin(resp.Header, r.Origin); ok {
		ev = append(ev, what)
	} else {
		if !hasCORSHeader(resp.Header) {
			asked := "method " + h.Get("Access-Control-Request-Method")
			if rh := h.Get("Access-Control-Request-Headers"); rh != "" {
				asked += ", headers " + rh
			}
			fail("the preflight (origin " + r.Origin + ", " + asked + ") was answered without any CORS header: no CORS middleware answered it, or one refused that origin, method or a header (one that allows the origin but not Authorization answers so)")
		} else {
			fail("the preflight answer has " + what)
		}
	}
	if hasCORSHeader(resp.Header) {
		d.checkPreflightAllows(resp, h, fail)
	}
	if !res.blocked {
		ev = append(ev, "origin, method and headers allowed")
	} else if len(ev) > 2 {
		res.why = strings.Join(ev[1:], "; ")
	}
	if resp.Problem != nil && resp.Problem.Reason == "preflight_unanswered" {
		ev = append(ev, "authgate says preflight_unanswered: the preflight reached the gate, no CORS middleware is in front of it")
	}
	res2 := Pass
	if res.blocked {
		res2 = Fail
	}
	d.check("cors_preflight", "CORS preflight", res2, strings.Join(ev, "; "))
	return res
}

// checkPreflightAllows checks the method and the request headers against
// what the preflight answer allows.
func (d *diagnosis) checkPreflightAllows(resp *response, h http.Header, fail func(string)) {
	r := d.req
	methods := tokenList(resp.Header, "Access-Control-Allow-Methods")
	simple := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPost
	if !simple && !containsFold(methods, r.Method) && !containsFold(methods, "*") {
		fail(fmt.Sprintf("method %s is not in Access-Control-Allow-Methods %v", r.Method, methods))
	}
	allowed := tokenList(resp.Header, "Access-Control-Allow-Headers")
	for _, hn := range tokenList(h, "Access-Control-Request-Headers") {
		// "*" does not cover Authorization (Fetch standard): it must be named.
		if containsFold(allowed, hn) || (containsFold(allowed, "*") && !strings.EqualFold(hn, "authorization")) {
			continue
		}
		fail(fmt.Sprintf("request header %s is not in Access-Control-Allow-Headers %v", hn, allowed))
	}
}

// checkCORSResponse checks the real response the way the browser does
// before handing it to the page.
func (d *diagnosis) checkCORSResponse(res *corsResult, resp *response) {
	ok, what := allowOrigin(resp.Header, d.req.Origin)
	if !ok {
		if !res.blocked {
			res.blocked, res.why = true, fmt.Sprintf("the %d response has %s: the browser hides it from the page", resp.Status, what)
		}
		d.check("cors_response", "CORS on the response", Fail, fmt.Sprintf("the %d response has %s", resp.Status, what))
		return
	}
	ev := what
	result := Pass
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		exposed := tokenList(resp.Header, "Access-Control-Expose-Headers")
		if containsFold(exposed, "WWW-Authenticate") || (containsFold(exposed, "*") && resp.Header.Get("Access-Control-Allow-Credentials") != "true") {
			ev += "; WWW-Authenticate is exposed to scripts"
		} else {
			result = Fail
			ev += "; WWW-Authenticate is not in Access-Control-Expose-Headers: scripts cannot read the challenge (add it to the CORS middleware's exposed headers)"
		}
	}
	d.check("cors_response", "CORS on the response", result, ev)
}

func hasCORSHeader(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Access-Control-") {
			return true
		}
	}
	return false
}
