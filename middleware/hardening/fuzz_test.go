package hardening

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
	"github.com/authgate/authgate/verifiers/bearer"
)

// The fuzz fixture's credentials are fixed, so that the checked-in seed
// corpus can hold them: a fuzzer that starts from a valid credential
// explores its near misses. They are test data, valid for this fixture
// only (the EC key below is generated for these tests and nothing else).
const (
	fuzzKey      = "ak_live_3JDbOvlssGEV_cMQOUEPZlNR1YveOmjWf7c2b8MXk"
	fuzzUser     = "fuzz-user"
	fuzzPassword = "fuzz:pw-CANARY-31xq"
	// fuzzJWKS holds the public key of the P-256 key whose private
	// scalar is 7c94e36e236c213521adefaeba77bf8bb53cd2c53fbb3447280b1f075bda102f
	// (hex), kid fuzz-1. The seed of a valid token, which must be
	// accepted, checks that it is the key that signed fuzzToken.
	fuzzJWKS = `{"keys":[{"kty":"EC","crv":"P-256","kid":"fuzz-1","alg":"ES256","use":"sig","x":"mNkRTTaWnIqMA5jFT7gEG04z1k3lxJTJEtfIY5KORGY","y":"nwjuyicX8DfJf2jfZggB7-ZGmZ44AXLLDpFJ8zD-Dds"}]}`
	// fuzzToken is an ES256 at+jwt by the key of fuzzJWKS, kid fuzz-1, for the
	// fixture's issuer and audience, sub fuzz-user, scope
	// "orders:read orders:write", iat 2026-01-01, exp 2099-01-01.
	fuzzToken = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImZ1enotMSIsInR5cCI6ImF0K2p3dCJ9.eyJhdWQiOiJodHRwczovL2FwaS5oYXJkZW5pbmcuYXV0aGdhdGUudGVzdCIsImNsaWVudF9pZCI6ImZ1enotY2xpZW50IiwiZXhwIjo0MDcwOTA4ODAwLCJpYXQiOjE3NjcyMjU2MDAsImlzcyI6Imh0dHBzOi8vaXNzdWVyLmhhcmRlbmluZy5hdXRoZ2F0ZS50ZXN0IiwianRpIjoiZnV6ei1qdGktMSIsInNjb3BlIjoib3JkZXJzOnJlYWQgb3JkZXJzOndyaXRlIiwic3ViIjoiZnV6ei11c2VyIn0.nm7nAJ6I-g5JJ2VicagApi1RfZaonWGGw8MP_e6FBBKxyEcQfL7Q7dHCXcuKXGevzOM8SCloz2FXn1rUb28pHw"
)

// fuzzBasic is the Basic credentials part for fuzzUser.
var fuzzBasic = b64(fuzzUser + ":" + fuzzPassword)

// fuzzSecrets must never appear in a log, header or body.
var fuzzSecrets = []string{fuzzKey, apiKeySecret(fuzzKey), fuzzPassword, fuzzUser + ":" + fuzzPassword, fuzzToken, tokenSignature(fuzzToken)}

// fuzzFixture builds the fixture over the fixed credentials: the API key
// has scope orders:write, the token orders:read and orders:write, the
// Basic user none.
var fuzzFixture = sync.OnceValues(func() (*fixture, error) {
	vs := &verifierSet{bearerLog: &authgatetest.Log{}}
	k, err := apikey.ParseKey(fuzzKey, "")
	if err != nil {
		return nil, err
	}
	if vs.store, err = apikey.NewMemoryStore(k.Record("svc-fuzz", []string{"orders:write"}, time.Time{})); err != nil {
		return nil, err
	}
	if vs.apikey, err = apikey.New(vs.store, apikey.WithEnvironment("live"), apikey.WithHeader(apikey.DefaultHeader), apikey.WithAuthorization("APIKey")); err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(fuzzPassword), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	if vs.users, err = basic.NewMemoryStore(map[string]string{fuzzUser: string(h)}); err != nil {
		return nil, err
	}
	if vs.basic, err = basic.New(vs.users, basic.WithRealm("admin")); err != nil {
		return nil, err
	}
	if vs.bearer, err = bearer.New(context.Background(), testAudience, []bearer.Issuer{{URL: testIssuer, Keys: bearer.JWKS([]byte(fuzzJWKS))}},
		bearer.WithRealm("api"), bearer.WithAccessTokenProfile(), bearer.WithLogger(zerolog.New(vs.bearerLog))); err != nil {
		return nil, err
	}
	f := &fixture{vs: vs, log: &authgatetest.Log{}}
	f.gate = middleware.New(middleware.WithLogger(zerolog.New(f.log)), middleware.WithLogSampling(0, 0))
	f.router = f.newRouter(nil)
	return f, nil
})

// accepts reports which schemes the fixture's route at path accepts.
func accepts(path string) (bearerOK, basicOK, apikeyOK bool) {
	switch path {
	case "/bearer":
		return true, false, false
	case "/basic":
		return false, true, false
	case "/apikey":
		return false, false, true
	}
	return true, true, true
}

// carriesValid reports whether r carries one of the fuzz fixture's valid
// credentials verbatim, in a place the route at path reads, without a
// malformation the gate refuses first. Precisely, one of:
//
//   - exactly one Authorization field, at most the gate's size cap, that
//     verifiers.SplitAuthorization (which trims spaces and tabs around
//     the scheme and the credentials) splits into a scheme equal, ignoring
//     case, to Bearer with fuzzToken, Basic with base64(user:password),
//     or APIKey with fuzzKey, for a scheme the route accepts; for APIKey,
//     with no X-API-Key field;
//   - exactly one X-API-Key field equal to fuzzKey on a route that
//     accepts API keys, with no "Authorization: APIKey" field and not
//     more than one Authorization field.
//
// It is a necessary condition for a 2xx (besides an anonymous request on
// /optional and a CORS preflight), not a sufficient one: another
// credential may be asked first and refused.
func carriesValid(r *http.Request, path string) (string, bool) {
	bearerOK, basicOK, apikeyOK := accepts(path)
	auth := r.Header["Authorization"]
	keys := r.Header["X-Api-Key"]
	authAPIKey := false
	for _, a := range auth {
		if s, _ := verifiers.SplitAuthorization(a); strings.EqualFold(s, "APIKey") {
			authAPIKey = true
		}
	}
	if len(auth) == 1 && len(auth[0]) <= middleware.DefaultMaxAuthorizationBytes {
		s, rest := verifiers.SplitAuthorization(auth[0])
		switch {
		case bearerOK && strings.EqualFold(s, "Bearer") && rest == fuzzToken:
			return "Bearer", true
		case basicOK && strings.EqualFold(s, "Basic") && rest == fuzzBasic:
			return "Basic", true
		case apikeyOK && strings.EqualFold(s, "APIKey") && rest == fuzzKey && len(keys) == 0:
			return "APIKey", true
		}
	}
	if apikeyOK && len(keys) == 1 && keys[0] == fuzzKey && !authAPIKey && len(auth) <= 1 {
		return "APIKey", true
	}
	return "", false
}

// FuzzGateAllVerifiers sends arbitrary requests (method, route, 0 to 3
// Authorization fields, an X-API-Key field, two other header fields) to
// the fixture router with the three real verifiers. Properties:
//
//   - it never panics;
//   - a CORS preflight (OPTIONS with Origin and
//     Access-Control-Request-Method), whatever its credentials, gets the
//     gate's own 204 with no body and the handler not called;
//   - it never answers 2xx otherwise unless the handler ran and
//     carriesValid holds or the route is /optional and no verifier found
//     credentials (anonymous);
//   - a request with one Authorization field holding a valid credential
//     for the route, and no X-API-Key, is accepted (2xx; 403 on /scoped
//     for Basic, which has no scopes);
//   - it never answers 5xx (this fixture has nothing that can be
//     unavailable);
//   - every 401 has at least one WWW-Authenticate line (A1), and no
//     response header holds CR, LF or NUL (A5);
//   - no valid secret, nor its base64, appears in the log, the headers or
//     the body.
func FuzzGateAllVerifiers(f *testing.F) {
	f.Add("GET", uint8(0), uint8(1), "Bearer "+fuzzToken, "", "", false, "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method string, route, nAuth uint8, a1, a2, a3 string, hasKey bool, key, h1, v1, h2, v2 string) {
		fx, err := fuzzFixture()
		if err != nil {
			t.Fatal(err)
		}
		path := routes[int(route)%len(routes)]
		r := httptest.NewRequest(http.MethodGet, "http://gate.test"+path, nil)
		r.Method = method
		if n := nAuth % 4; n > 0 {
			r.Header["Authorization"] = []string{a1, a2, a3}[:n]
		}
		if hasKey {
			r.Header["X-Api-Key"] = append(r.Header["X-Api-Key"], key)
		}
		for _, kv := range [][2]string{{h1, v1}, {h2, v2}} {
			if kv[0] != "" {
				name := http.CanonicalHeaderKey(kv[0])
				r.Header[name] = append(r.Header[name], kv[1])
			}
		}
		scheme, valid := carriesValid(r, path)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""

		fx.log.Reset()
		before := fx.calls.Load()
		w := httptest.NewRecorder()
		fx.router.ServeHTTP(w, r)
		called := fx.calls.Load() != before
		logs := fx.log.String()
		body := w.Body.String()

		switch {
		case preflight:
			if w.Code != http.StatusNoContent || body != "" || called {
				t.Fatalf("preflight answered %d with body %q, handler called %v: path %s header %q", w.Code, body, called, path, r.Header)
			}
		case w.Code >= 200 && w.Code < 300:
			anonymous := path == "/optional" && body == "anonymous\n"
			if !called || (!valid && !anonymous) {
				t.Fatalf("%d without valid credentials (handler called: %v): method %q path %s header %q; body %q", w.Code, called, method, path, r.Header, body)
			}
		case w.Code >= 500:
			t.Fatalf("%d: method %q path %s header %q; body %q; log %s", w.Code, method, path, r.Header, body, logs)
		}
		if valid && scheme != "APIKey" && !hasKey && !preflight && validMethod(method) {
			want := 200
			if path == "/scoped" && scheme == "Basic" {
				want = 403
			}
			if w.Code != want {
				t.Fatalf("valid %s credentials got %d, want %d: path %s header %q; log %s", scheme, w.Code, want, path, r.Header, logs)
			}
		}
		if w.Code == http.StatusUnauthorized && len(w.Header().Values("Www-Authenticate")) == 0 {
			t.Fatalf("A1: 401 without WWW-Authenticate: header %q", r.Header)
		}
		texts := map[string]string{"log": logs, "body": body, "bearer log": fx.vs.bearerLog.String()}
		for k, vs := range w.Header() {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("A5: response header %s holds a control byte: %q", k, v)
				}
				texts["header "+k] += v + "\n"
			}
		}
		if l := leak(texts, fuzzSecrets...); l != "" {
			t.Fatalf("I2: %s (method %q path %s header %q)", l, method, path, r.Header)
		}
	})
}

// validMethod reports whether chi routes method (the standard methods):
// other methods get 405 from the router before the gate runs.
func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return true
	}
	return false
}
