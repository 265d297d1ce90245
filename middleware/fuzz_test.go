package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// FuzzGate sends arbitrary credential headers and methods, CORS preflights
// among them, through a gate with three verifiers: the gate never panics,
// never answers 2xx unless a valid credential was sent, except for a CORS
// preflight, which is always the gate's own empty 204 with the handler
// not called; it answers 5xx only as 503 verifier_unavailable, and never
// writes a header value that could break the response.
func FuzzGate(f *testing.F) {
	f.Add("Bearer good", "", "", "", false, "GET", "", "")
	f.Add("Bearer Bearer good", "", "", "access_token=x", false, "GET", "", "")
	f.Add("", "k-good", "", "", false, "POST", "", "")
	f.Add("Basic YWxpY2U6cHc=", "", "Bearer x", "", true, "GET", "", "")
	f.Add("bearer  good ", "k-bad", "", "", false, "GET", "", "")
	f.Add("eyJhbGciOiJub25lIn0.e30.", "", "", "", false, "GET", "", "")
	f.Add("Bearer down", "", "", "", false, "GET", "", "")
	f.Add("Digest a=\"b\"", "", "", "", true, "GET", "", "")
	f.Add("\x00\r\n", "\xff", "", "%zz", false, "GET", "", "")
	f.Add("", "", "", "", false, "OPTIONS", "https://app.example", "GET")
	f.Add("Bearer good", "", "", "", false, "OPTIONS", "https://app.example", "DELETE")
	f.Add("Bearer bad", "k-bad", "", "", false, "OPTIONS", "null", "x")
	f.Add("", "", "", "", false, "OPTIONS", "https://app.example", "")

	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"good": ident(verifiers.SchemeBearer, "alice", "read"),
		"down": func() (*verifiers.Identity, error) { return nil, verifiers.Unavailable("keys unreachable", nil) },
	})
	bs := basicV(map[string]func() (*verifiers.Identity, error){"YWxpY2U6cHc=": ident(verifiers.SchemeBasic, "alice", "read")})
	k := apikeyV(map[string]func() (*verifiers.Identity, error){"k-good": ident(verifiers.SchemeAPIKey, "svc", "read")})
	g := middleware.New(middleware.WithLogger(zerolog.Nop()))
	var calls atomic.Int64
	h := g.Require(b, bs, k)(g.RequireScopes("read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		okHandler(w, r)
	})))

	f.Fuzz(func(t *testing.T, auth, apikey, auth2, query string, twoFields bool, method, origin, acrm string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Method = method
		r.URL.RawQuery = query
		if origin != "" {
			r.Header["Origin"] = []string{origin}
		}
		if acrm != "" {
			r.Header["Access-Control-Request-Method"] = []string{acrm}
		}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
			if twoFields {
				r.Header["Authorization"] = append(r.Header["Authorization"], auth2)
			}
		}
		if apikey != "" {
			r.Header.Set("X-API-Key", apikey)
		}
		before := calls.Load()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		called := calls.Load() != before
		if method == http.MethodOptions && origin != "" && acrm != "" {
			// A CORS preflight: whatever its credentials, the gate's own
			// 204, empty, and the handler not called.
			if w.Code != http.StatusNoContent || w.Body.Len() != 0 || called {
				t.Fatalf("preflight answered %d with %d body bytes, handler called %v: auth=%q apikey=%q", w.Code, w.Body.Len(), called, auth, apikey)
			}
			return
		}

		valid := false
		if len(r.Header["Authorization"]) == 1 && len(auth) <= middleware.DefaultMaxAuthorizationBytes {
			s, rest := verifiers.SplitAuthorization(auth)
			valid = (strings.EqualFold(s, "Bearer") && rest == "good") || (strings.EqualFold(s, "Basic") && rest == "YWxpY2U6cHc=")
		}
		if len(r.Header["Authorization"]) == 0 {
			valid = apikey == "k-good"
		} else if !valid && apikey == "k-good" {
			// An unaccepted Authorization scheme beside a valid key: the key
			// still authenticates, since no verifier reads the Authorization.
			s, _ := verifiers.SplitAuthorization(auth)
			valid = len(r.Header["Authorization"]) == 1 && strings.Trim(auth, " \t") != "" &&
				len(auth) <= middleware.DefaultMaxAuthorizationBytes && !strings.EqualFold(s, "Bearer") && !strings.EqualFold(s, "Basic")
		}
		switch {
		case w.Code >= 200 && w.Code < 300:
			if !valid || !called {
				t.Fatalf("2xx without valid credentials (or without the handler: %v): auth=%q apikey=%q method=%q", called, auth, apikey, method)
			}
		case w.Code >= 500:
			if w.Code != 503 || !strings.Contains(w.Body.String(), `"reason":"verifier_unavailable"`) {
				t.Fatalf("5xx other than verifier_unavailable: %d %s", w.Code, w.Body)
			}
		case valid && w.Code != 503:
			t.Fatalf("valid credentials refused with %d: auth=%q apikey=%q", w.Code, auth, apikey)
		}
		for k, vs := range w.Header() {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("header %s has a control character: %q", k, v)
				}
			}
		}
		if _, err := url.Parse("http://x/?" + query); err == nil && w.Code == 500 {
			t.Fatal("500")
		}
	})
}
