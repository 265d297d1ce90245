package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
)

// The browser test loads a page from one loopback server in headless
// Chromium; the page calls the reference server, on another port and so
// another origin, with fetch(). .ci/run installs Chromium (Debian's package
// chromium) and playwright-core (npm, without its browser download);
// elsewhere the test skips when either is missing:
//
//	apt-get install -y chromium
//	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix examples/server/testdata/cors-browser

const browserDir = "testdata/cors-browser"

// needBrowser skips the test, or fails it in CI, when headless Chromium
// cannot be driven here; it returns the Chromium binary.
func needBrowser(t *testing.T) string {
	t.Helper()
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing string
	if _, err := os.Stat(chromium); err != nil {
		missing = chromium + " is not installed (apt-get install -y chromium)"
	} else if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(browserDir + "/node_modules/playwright-core/package.json"); err != nil {
		missing = "playwright-core is not installed (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix examples/server/" + browserDir + ")"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser test cannot run in CI: %s; .ci/run must install it", missing)
		}
		t.Skipf("browser test skipped: %s", missing)
	}
	return chromium
}

// fetchCase is one fetch() the page makes.
type fetchCase struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// fetchResult is what the page saw: the status, the headers a script can
// read and the body's reason, or the error fetch() threw.
type fetchResult struct {
	Status          int     `json:"status"`
	WWWAuthenticate *string `json:"wwwAuthenticate"`
	Reason          *string `json:"reason"`
	Error           string  `json:"error"`
}

const pageScript = `<!doctype html>
<meta charset="utf-8">
<title>authgate CORS test</title>
<script>
const cases = %s;
window.corsResults = (async () => {
  const out = [];
  for (const c of cases) {
    try {
      const res = await fetch(c.url, { headers: c.headers });
      let reason = null;
      try { reason = (await res.json()).reason ?? null; } catch (e) {}
      out.push({ status: res.status, wwwAuthenticate: res.headers.get('WWW-Authenticate'), reason });
    } catch (e) {
      out.push({ error: e.name + ': ' + e.message });
    }
  }
  return out;
})();
</script>
`

// browse serves a page that makes the fetches of cases, loads it in
// headless Chromium and returns what each fetch saw. The page's origin is
// passed to prepare, which starts the API server, and cases are built
// from the base URL it returns.
func browse(t *testing.T, chromium string, prepare func(origin string) (cases []fetchCase)) []fetchResult {
	t.Helper()
	// The page is set once the API server's address is known, and read by
	// the page server's goroutines: the browser orders the two, which the
	// race detector cannot see.
	var page atomic.Value
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page.Load().(string)))
	}))
	t.Cleanup(pages.Close)
	cases := prepare(pages.URL)
	js, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	page.Store(fmt.Sprintf(pageScript, js))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "fetch.mjs", pages.URL+"/")
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	var stderr authgatetest.Log
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node fetch.mjs: %v\n%s", err, stderr.String())
	}
	var res []fetchResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("browser output %q (%v), want %d results; stderr:\n%s", out, err, len(cases), stderr.String())
	}
	return res
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestBrowserCORS checks, in a real browser, that with -cors-origins a
// cross-origin page reads a 401's status, WWW-Authenticate and body, and
// that without it (or from an origin not listed) fetch() fails and the
// request never reaches a handler.
func TestBrowserCORS(t *testing.T) {
	chromium := needBrowser(t)
	f := newFixture(t)
	typo := []byte(f.key)
	if c := &typo[len(typo)-8]; *c == 'x' { // stays base62: the checksum fails
		*c = 'y'
	} else {
		*c = 'x'
	}
	expired := f.token(t, e2eAudience, "orders:write", -time.Hour)

	t.Run("origin_allowed_reads_401", func(t *testing.T) {
		var s *server
		res := browse(t, chromium, func(origin string) []fetchCase {
			s = start(t, append(f.args(), "-cors-origins", "https://a.example,"+origin)...)
			return []fetchCase{
				{s.base + "/v1/reports", map[string]string{"X-API-Key": string(typo)}},
				{s.base + "/v1/me", map[string]string{"Authorization": "Bearer " + expired}},
				{s.base + "/v1/reports", map[string]string{"X-API-Key": f.key}},
			}
		})
		want := []struct {
			status int
			www    string
			reason string
		}{
			{401, chAPIKey, "apikey_checksum_invalid"},
			// fetch() joins the two WWW-Authenticate lines with ", ".
			{401, `Bearer realm="api", error="invalid_token", error_description="The access token expired.", ` + chAPIKey, "token_expired"},
			{200, "<null>", "<null>"},
		}
		for i, w := range want {
			r := res[i]
			if r.Error != "" || r.Status != w.status || str(r.WWWAuthenticate) != w.www || str(r.Reason) != w.reason {
				t.Errorf("fetch %d: got status %d, WWW-Authenticate %s, reason %s, error %q;\nwant %d, %s, %s",
					i, r.Status, str(r.WWWAuthenticate), str(r.Reason), r.Error, w.status, w.www, w.reason)
			}
		}
		evs := s.refusals(t, 2)
		if len(evs) != 2 || evs[0]["reason"] != "apikey_checksum_invalid" || evs[1]["reason"] != "token_expired" {
			t.Errorf("refusals logged: %v", evs)
		}
		if log := s.stderr.String(); strings.Contains(log, f.key) || strings.Contains(log, string(typo)) || strings.Contains(log, expired) {
			t.Error("I2 a credential reached the log")
		}
	})

	for _, tc := range []struct{ name, flag string }{
		{"no_cors_flag", ""},
		{"origin_not_listed", "https://a.example"},
	} {
		t.Run(tc.name+"_fetch_fails", func(t *testing.T) {
			var s *server
			res := browse(t, chromium, func(string) []fetchCase {
				args := f.args()
				if tc.flag != "" {
					args = append(args, "-cors-origins", tc.flag)
				}
				s = start(t, args...)
				// A valid key: had the browser sent the request, the
				// handler would have answered 200.
				return []fetchCase{{s.base + "/v1/reports", map[string]string{"X-API-Key": f.key}}}
			})
			if !strings.HasPrefix(res[0].Error, "TypeError: ") {
				t.Errorf("fetch gave %+v, want a TypeError", res[0])
			}
			// The preflight was refused, so the browser never sent the
			// GET: neither the gate nor the handler saw it.
			time.Sleep(100 * time.Millisecond)
			for _, ev := range s.events(t, "") {
				if m := ev["message"]; m == "authgate: authenticated" || m == "authgate: request refused" {
					t.Errorf("the request reached the gate: %v", ev)
				}
			}
		})
	}
}

// TestCORSHeaders checks the CORS answers without a browser: a preflight
// from a listed origin is answered in front of the gate, with the
// credential headers allowed; a forged preflight from another origin is
// answered without CORS headers and never reaches the gate; a 401 to a
// listed origin exposes WWW-Authenticate and Retry-After.
func TestCORSHeaders(t *testing.T) {
	f := newFixture(t)
	const origin = "http://127.0.0.1:5173"
	s := start(t, append(f.args(), "-cors-origins", "https://a.example,"+origin)...)

	r := do(t, "OPTIONS", s.base+"/v1/me", "Origin", origin, "Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "authorization,x-api-key")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != origin ||
		r.header.Get("Access-Control-Allow-Headers") != "authorization,x-api-key" ||
		r.header.Get("Access-Control-Allow-Credentials") != "" || r.header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight from a listed origin: %d %v", r.status, r.header)
	}
	r = do(t, "OPTIONS", s.base+"/v1/reports", "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "" || r.body != "" {
		t.Errorf("forged preflight: %d %v %q", r.status, r.header, r.body)
	}
	r = do(t, "GET", s.base+"/v1/reports", "Origin", origin)
	if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != origin ||
		r.header.Get("Access-Control-Expose-Headers") != "Www-Authenticate, Retry-After" ||
		strings.Join(r.challenges, "|") != chAPIKey {
		t.Errorf("401 to a listed origin: %d %v", r.status, r.header)
	}
	// Neither preflight reached the gate: the only refusal is the GET's.
	s.refusals(t, 1)
	time.Sleep(50 * time.Millisecond)
	if evs := s.events(t, "authgate: request refused"); len(evs) != 1 || evs[0]["reason"] != "credentials_missing" || evs[0]["method"] != "GET" {
		t.Errorf("refusals: %v", evs)
	}
}
