package middleware_test

import (
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/cors"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// secretFiles is what the protected handlers serve.
var secretFiles = fstest.MapFS{"files/report.txt": {Data: []byte("TOP-SECRET-REPORT")}}

// roundTripFunc is an http.RoundTripper: the reverse proxy's backend,
// without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// protectedHandlers are handlers that do not switch on the method, the
// kind that served protected content to a forged preflight: each counts
// its calls.
func protectedHandlers(calls *atomic.Int64) map[string]http.Handler {
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			h.ServeHTTP(w, r)
		})
	}
	backend, _ := url.Parse("http://backend.internal")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(backend) },
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("TOP-SECRET-BACKEND " + r.Method)), Request: r}, nil
		}),
	}
	return map[string]http.Handler{
		"FileServer":   count(http.FileServerFS(secretFiles)),
		"ReverseProxy": count(proxy),
	}
}

func preflight(target string, hdr ...string) *http.Request {
	r := get(target, append([]string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}, hdr...)...)
	r.Method = http.MethodOptions
	return r
}

// TestPreflightNeverReachesProtectedHandler: a forged CORS preflight (which
// anyone can send) with no, bad or good credentials, to a handler that
// does not switch on the method, behind Require, RequireScopes or
// RequirePolicy, mounted on chi or on a ServeMux pattern without a method:
// the gate answers 204 with no body, no CORS and no WWW-Authenticate
// header, never calls the handler, and logs preflight_unanswered.
func TestPreflightNeverReachesProtectedHandler(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){
		"good": ident(verifiers.SchemeBearer, "alice", "files:read"),
		"bad":  reject(verifiers.TokenSignatureInvalid, "signature does not verify"),
	})
	allow := func(*http.Request, *verifiers.Identity) error { return nil }
	steps := map[string]func(g *middleware.Gate) func(http.Handler) http.Handler{
		"Require": func(g *middleware.Gate) func(http.Handler) http.Handler { return g.Require(b) },
		"RequireScopes": func(g *middleware.Gate) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler { return g.Require(b)(g.RequireScopes("files:read")(h)) }
		},
		"RequirePolicy": func(g *middleware.Gate) func(http.Handler) http.Handler {
			return func(h http.Handler) http.Handler { return g.Require(b)(g.RequirePolicy("allow", allow)(h)) }
		},
	}
	routers := map[string]func(mw func(http.Handler) http.Handler, h http.Handler) http.Handler{
		"servemux": func(mw func(http.Handler) http.Handler, h http.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/files/", mw(h))
			return mux
		},
		"chi": func(mw func(http.Handler) http.Handler, h http.Handler) http.Handler {
			r := chi.NewRouter()
			r.With(mw).Handle("/files/*", h)
			return r
		},
	}
	creds := map[string][]string{
		"no_credentials":   nil,
		"bad_credentials":  {"Authorization", "Bearer bad"},
		"good_credentials": {"Authorization", "Bearer good"},
		"oversized":        {"Authorization", "Bearer " + strings.Repeat("a", 20<<10)},
	}
	for stepName, step := range steps {
		for routerName, router := range routers {
			var calls atomic.Int64
			for hName, h := range protectedHandlers(&calls) {
				for credName, hdr := range creds {
					t.Run(stepName+"/"+routerName+"/"+hName+"/"+credName, func(t *testing.T) {
						g, lb := testGate()
						srv := router(step(g), h)
						// The handler is reachable: a GET with good
						// credentials gets the protected content.
						if w := serve(srv, get("/files/report.txt", "Authorization", "Bearer good")); w.Code != 200 || !strings.Contains(w.Body.String(), "TOP-SECRET") {
							t.Fatalf("GET with credentials: %d %q", w.Code, w.Body)
						}
						before := calls.Load()
						lb.b.Reset()
						w := serve(srv, preflight("/files/report.txt", hdr...))
						if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
							t.Errorf("preflight: %d %q, want 204 and no body", w.Code, w.Body)
						}
						if n := calls.Load() - before; n != 0 {
							t.Errorf("the protected handler was called %d times", n)
						}
						if len(w.Header()) != 0 {
							t.Errorf("headers %v, want none (no CORS headers, no challenge)", w.Header())
						}
						ev := one(t, lb)
						if ev["reason"] != "preflight_unanswered" || ev["status"] != float64(204) || ev["level"] != "warn" {
							t.Errorf("event %v", ev)
						}
						detail, _ := ev["detail"].(string)
						if !strings.Contains(detail, "origin https://app.example for method GET") || !strings.Contains(detail, "did not call the handler") {
							t.Errorf("detail %q", detail)
						}
						hint, _ := ev["hint"].(string)
						if !strings.Contains(hint, "github.com/rs/cors") || !strings.Contains(hint, "github.com/go-chi/cors") ||
							!strings.Contains(hint, "in front of the gate") || !strings.Contains(hint, "Authorization") {
							t.Errorf("hint %q", hint)
						}
					})
				}
			}
		}
	}
}

// TestPreflightLogText: the detail names the requested headers and
// sanitises what the request said; the hint names the route's other
// credential header; a plain OPTIONS is authenticated.
func TestPreflightLogText(t *testing.T) {
	t.Parallel()
	k := apikeyV(nil)
	g, lb := testGate()
	var calls atomic.Int64
	h := g.Require(bearerV(nil), k)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	r := preflight("/", "Access-Control-Request-Headers", "authorization, x-api-key")
	r.Header.Set("Origin", "https://evil.example\r\n{\"level\":\"info\"}\u202e")
	w := serve(h, r)
	if w.Code != 204 || calls.Load() != 0 {
		t.Fatalf("%d, handler calls %d", w.Code, calls.Load())
	}
	ev := one(t, lb)
	want := "a CORS preflight (OPTIONS from origin https://evil.example\ufffd\ufffd{\"level\":\"info\"}\ufffd for method GET with headers authorization, x-api-key) reached the gate"
	if d, _ := ev["detail"].(string); !strings.HasPrefix(d, want) {
		t.Errorf("detail %q\nwant prefix %q", d, want)
	}
	if h, _ := ev["hint"].(string); !strings.Contains(h, "the Authorization and X-API-Key request headers") {
		t.Errorf("hint %q does not name X-API-Key", h)
	}

	plain := get("/", "Origin", "https://app.example")
	plain.Method = http.MethodOptions
	if w := serve(h, plain); w.Code != 401 || calls.Load() != 0 {
		t.Errorf("plain OPTIONS: %d, handler calls %d; want 401, 0", w.Code, calls.Load())
	}
}

// TestPreflightOnOptionalRoute: an Optional route, whose anonymous
// requests pass, answers a preflight too rather than letting the steps
// after it refuse it with 401.
func TestPreflightOnOptionalRoute(t *testing.T) {
	t.Parallel()
	g, lb := testGate()
	var calls atomic.Int64
	h := g.Optional(bearerV(nil))(g.RequireScopes("x")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) })))
	if w := serve(h, preflight("/")); w.Code != 204 || calls.Load() != 0 || one(t, lb)["reason"] != "preflight_unanswered" {
		t.Errorf("%d, handler calls %d", w.Code, calls.Load())
	}
}

// TestPreflightAuthentication: with WithPreflightAuthentication a
// preflight is authenticated like any request.
func TestPreflightAuthentication(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	g, lb := testGate(middleware.WithPreflightAuthentication())
	h := g.Require(b)(okHandler)
	w := serve(h, preflight("/"))
	if w.Code != 401 || one(t, lb)["reason"] != "credentials_missing" {
		t.Errorf("without credentials: %d %s", w.Code, lb)
	}
	wantChallenges(t, w, chBearer)
	if w := serve(h, preflight("/", "Authorization", "Bearer good")); w.Code != 200 || w.Body.String() != "Bearer:alice" {
		t.Errorf("with credentials: %d %q", w.Code, w.Body)
	}
}

// TestPreflightAnsweredByCORSMiddleware: with rs/cors in front of the
// gate, as the hint says, rs/cors answers the preflight with its CORS
// headers; the gate sees nothing and logs nothing, and the real request
// is authenticated.
func TestPreflightAnsweredByCORSMiddleware(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	g, lb := testGate()
	var calls atomic.Int64
	c := cors.New(cors.Options{
		AllowedOrigins: []string{"https://app.example"},
		AllowedMethods: []string{http.MethodGet},
		AllowedHeaders: []string{"Authorization"},
	})
	h := c.Handler(g.Require(b)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		okHandler(w, r)
	})))
	w := serve(h, preflight("/", "Access-Control-Request-Headers", "authorization"))
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" ||
		w.Header().Get("Access-Control-Allow-Headers") != "authorization" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	if calls.Load() != 0 || lb.String() != "" {
		t.Errorf("handler calls %d, gate log %q; want 0 and nothing", calls.Load(), lb)
	}
	real := get("/", "Origin", "https://app.example", "Authorization", "Bearer good")
	if w := serve(h, real); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("real request: %d %v", w.Code, w.Header())
	}
	if w := serve(h, get("/", "Origin", "https://app.example")); w.Code != 401 {
		t.Errorf("real request without credentials: %d", w.Code)
	}
}

// TestPreflightLogIsSampled: a flood of preflights from one client is
// sampled like rejections.
func TestPreflightLogIsSampled(t *testing.T) {
	t.Parallel()
	lb := &logBuf{}
	g := middleware.New(middleware.WithLogger(zerologTo(lb)), middleware.WithLogSampling(2, time.Hour), middleware.WithTimer(func(time.Duration, func()) {}))
	h := g.Require(bearerV(nil))(okHandler)
	for range 20 {
		if w := serve(h, preflight("/")); w.Code != 204 {
			t.Fatalf("%d", w.Code)
		}
	}
	if n := len(lb.events(t)); n != 2 {
		t.Errorf("%d events for 20 preflights, want 2", n)
	}
}
