package hardening

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
	"github.com/authgate/authgate/verifiers/bearer"
)

// The fixture's issuer and audience.
const (
	testIssuer   = "https://issuer.hardening.authgate.test"
	testAudience = "https://api.hardening.authgate.test"
	testKid      = "hardening-1"
)

// The challenges the fixture's verifiers send, exactly as on the wire.
const (
	chBearer = `Bearer realm="api"`
	// chBearerScoped is the Bearer line of a 401 without credentials on
	// /scoped, which needs orders:write.
	chBearerScoped = `Bearer realm="api", scope="orders:write"`
	chBasic        = `Basic realm="admin", charset="UTF-8"`
	chAPIKey       = `APIKey realm="api", header="X-API-Key", authorization="APIKey"`
	// chBearerBadRequest is the Bearer line of a 400.
	chBearerBadRequest = `Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`
)

// chBearerInvalid is the Bearer line of a 401 for reason.
func chBearerInvalid(reason verifiers.Reason) string {
	return `Bearer realm="api", error="invalid_token", error_description="` + reason.Description() + `"`
}

// The Basic users. alice's password holds colons, so a split at the last
// colon (instead of the first, RFC 7617 §2) would fail her login.
const (
	basicUser     = "alice"
	basicPassword = "pw:with:colons-CANARY-b4s1c-7Qz"
	bobUser       = "bob"
	bobPassword   = "bob-CANARY-pass-9Wx"
)

// verifierSet holds the three real verifiers and the credentials they
// accept or reject. Each test makes its own (newVerifierSet), with fresh
// caches and keys.
type verifierSet struct {
	store  *apikey.MemoryStore
	apikey *apikey.Verifier
	basic  *basic.Verifier
	users  *basic.MemoryStore
	bearer *bearer.Verifier
	// iss signs the tokens; the Bearer verifier holds its keys as a
	// static set.
	iss *authgatetest.Issuer
	// bearerLog receives the Bearer verifier's own key-set events.
	bearerLog *authgatetest.Log

	// API keys: good (scope reports:read), revoked, expired, and one of
	// the right format that the store does not hold.
	keyGood, keyRevoked, keyExpired, keyUnknown string
	keyGoodID                                   string
	// Tokens: all scopes (orders:read orders:write), read only, expired.
	tokAll, tokRead, tokExpired string
}

// newVerifierSet returns a set with fresh caches and credentials, the
// Bearer verifier closed at the end of the test; opts configure it.
func newVerifierSet(t testing.TB, opts ...bearer.Option) *verifierSet {
	t.Helper()
	vs := &verifierSet{bearerLog: &authgatetest.Log{}}
	now := time.Now()
	var recGood, recRevoked, recExpired *apikey.Record
	vs.keyGood, recGood = authgatetest.APIKeyIn(t, "live", "svc-reports", "reports:read")
	vs.keyRevoked, recRevoked = authgatetest.APIKeyIn(t, "live", "svc-revoked", "reports:read", "orders:write")
	recRevoked.Revoked = now.Add(-72 * time.Hour)
	vs.keyExpired, recExpired = authgatetest.APIKeyIn(t, "live", "svc-expired", "reports:read", "orders:write")
	recExpired.Expires = now.Add(-2 * time.Hour)
	vs.keyUnknown, _ = authgatetest.APIKeyIn(t, "live", "svc-unknown") // in no store
	vs.keyGoodID = recGood.ID
	vs.store = authgatetest.APIKeyStore(t, recGood, recRevoked, recExpired)
	var err error
	vs.apikey, err = apikey.New(vs.store, apikey.WithEnvironment("live"),
		apikey.WithHeader(apikey.DefaultHeader), apikey.WithAuthorization("APIKey"))
	if err != nil {
		t.Fatal(err)
	}

	vs.users, err = basic.NewMemoryStore(map[string]string{
		basicUser: authgatetest.PasswordHash(t, basicPassword), bobUser: authgatetest.PasswordHash(t, bobPassword)})
	if err != nil {
		t.Fatal(err)
	}
	vs.basic, err = basic.New(vs.users, basic.WithRealm("admin"))
	if err != nil {
		t.Fatal(err)
	}

	vs.iss = newTestIssuer(t, testKid)
	opts = append([]bearer.Option{bearer.WithRealm("api"), bearer.WithAccessTokenProfile(),
		bearer.WithLogger(vs.bearerLog.Logger())}, opts...)
	vs.bearer, err = bearer.New(context.Background(), testAudience,
		[]bearer.Issuer{{URL: testIssuer, Keys: bearer.JWKS(vs.iss.JWKS())}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vs.bearer.Close() })
	vs.tokAll = token(t, vs.iss, "orders:read orders:write")
	vs.tokRead = token(t, vs.iss, "orders:read")
	vs.tokExpired = token(t, vs.iss, "orders:read orders:write", authgatetest.Expired())
	return vs
}

// newTestIssuer returns an ES256 issuer with one key, kid, whose tokens
// name testIssuer and testAudience.
func newTestIssuer(t testing.TB, kid string) *authgatetest.Issuer {
	t.Helper()
	return authgatetest.NewIssuer(t, authgatetest.WithIdentifier(testIssuer), authgatetest.WithAudience(testAudience), authgatetest.WithKeyID(kid))
}

// token mints an at+jwt of iss for user-42 (client hardening-client) with
// scope, valid for an hour unless opts say otherwise.
func token(t testing.TB, iss *authgatetest.Issuer, scope string, opts ...authgatetest.TokenOption) string {
	t.Helper()
	return iss.Token(t, append([]authgatetest.TokenOption{authgatetest.Subject("user-42"),
		authgatetest.Claim("client_id", "hardening-client"), authgatetest.Claim("scope", scope)}, opts...)...)
}

// secrets returns every credential of the set and the secret parts of
// them: what must never appear in a log, a header or a body.
func (vs *verifierSet) secrets() []string {
	out := []string{
		vs.keyGood, vs.keyRevoked, vs.keyExpired, vs.keyUnknown,
		apiKeySecret(vs.keyGood), apiKeySecret(vs.keyRevoked), apiKeySecret(vs.keyExpired), apiKeySecret(vs.keyUnknown),
		basicPassword, basicUser + ":" + basicPassword, bobPassword, bobUser + ":" + bobPassword,
		vs.tokAll, vs.tokRead, vs.tokExpired,
		tokenSignature(vs.tokAll), tokenSignature(vs.tokRead), tokenSignature(vs.tokExpired),
	}
	return out
}

// apiKeySecret returns the secret and checksum part of a generated key:
// what follows its last '_'.
func apiKeySecret(key string) string { return key[strings.LastIndexByte(key, '_')+1:] }

// tokenSignature returns the signature segment of a compact JWS.
func tokenSignature(tok string) string { return tok[strings.LastIndexByte(tok, '.')+1:] }

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }

// basicAuth is the Authorization value for user and password.
func basicAuth(user, password string) string { return "Basic " + b64(user+":"+password) }

// fixture is a chi router with one gate and the verifiers of a
// verifierSet mounted per route:
//
//	/apikey    Require(apikey)
//	/basic     Require(basic)
//	/bearer    Require(bearer)
//	/all       Require(bearer, basic, apikey)
//	/optional  Optional(bearer, basic, apikey)
//	/scoped    Require(bearer, basic, apikey), RequireScopes("orders:write")
//
// Every route answers any method. The handler answers 200 with
// "<scheme> <subject>" or "anonymous".
type fixture struct {
	vs     *verifierSet
	gate   *middleware.Gate
	log    *authgatetest.Log
	router http.Handler
	// calls counts the calls of the handler of the routes above.
	calls atomic.Int64
}

// routes lists the fixture's paths.
var routes = []string{"/apikey", "/basic", "/bearer", "/all", "/optional", "/scoped"}

// newFixture builds a gate over vs (a new set when nil). Log
// sampling is off, so that every rejection is logged and each test can
// assert its event: sampling is covered by the load test, which keeps
// the default.
func newFixture(t testing.TB, vs *verifierSet, opts ...middleware.Option) *fixture {
	t.Helper()
	if vs == nil {
		vs = newVerifierSet(t)
	}
	f := &fixture{vs: vs, log: &authgatetest.Log{}}
	opts = append([]middleware.Option{middleware.WithLogger(zerolog.New(f.log)), middleware.WithLogSampling(0, 0)}, opts...)
	f.gate = middleware.New(opts...)
	f.router = f.newRouter(nil)
	return f
}

// newRouter mounts the routes; extra, when set, adds routes.
func (f *fixture) newRouter(extra func(chi.Router)) http.Handler {
	g, vs := f.gate, f.vs
	counted := func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		hello(w, r)
	}
	r := chi.NewRouter()
	r.With(g.Require(vs.apikey)).HandleFunc("/apikey", counted)
	r.With(g.Require(vs.basic)).HandleFunc("/basic", counted)
	r.With(g.Require(vs.bearer)).HandleFunc("/bearer", counted)
	r.With(g.Require(vs.bearer, vs.basic, vs.apikey)).HandleFunc("/all", counted)
	r.With(g.Optional(vs.bearer, vs.basic, vs.apikey)).HandleFunc("/optional", counted)
	r.With(g.Require(vs.bearer, vs.basic, vs.apikey), g.RequireScopes("orders:write")).HandleFunc("/scoped", counted)
	if extra != nil {
		extra(r)
	}
	return r
}

func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if id, ok := middleware.IdentityFrom(r.Context()); ok {
		fmt.Fprintf(w, "%s %s\n", id.Scheme, id.Subject)
		return
	}
	io.WriteString(w, "anonymous\n")
}

// result is one response, with the log events the request produced.
type result struct {
	code   int
	header http.Header
	body   string
	events []map[string]any
	logs   string
}

// serve runs r through the fixture's router and collects the response
// and the log (which it then resets: a fixture serves one test at a time).
func (f *fixture) serve(t testing.TB, r *http.Request) *result {
	t.Helper()
	w := httptest.NewRecorder()
	f.router.ServeHTTP(w, r)
	res := &result{code: w.Code, header: w.Header(), body: w.Body.String(), logs: f.log.String(), events: f.log.Refusals(t)}
	f.log.Reset()
	return res
}

// request returns a GET to path with the header fields in kv set
// directly in r.Header (each name may repeat; no canonicalization, no
// validation: net/http clients would refuse some of these values).
func request(path string, kv ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://gate.test"+path, nil)
	for i := 0; i+1 < len(kv); i += 2 {
		name := http.CanonicalHeaderKey(kv[i])
		r.Header[name] = append(r.Header[name], kv[i+1])
	}
	return r
}

// secretForms returns s and its base64 in the standard and URL alphabets,
// padded and not, leaving out forms under 8 bytes (they would match
// ordinary text).
func secretForms(s string) []string {
	forms := []string{
		s,
		base64.StdEncoding.EncodeToString([]byte(s)),
		base64.RawStdEncoding.EncodeToString([]byte(s)),
		base64.URLEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s)),
	}
	var out []string
	for _, f := range forms {
		if len(f) >= 8 {
			out = append(out, f)
		}
	}
	return out
}

// leak returns a description of where one of secrets (in any form of
// secretForms) appears in the named texts, or "".
func leak(texts map[string]string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		for _, form := range secretForms(s) {
			for where, text := range texts {
				if strings.Contains(text, form) {
					return fmt.Sprintf("a credential (%d bytes, form %q…) appears in %s", len(s), form[:min(6, len(form))], where)
				}
			}
		}
	}
	return ""
}

// assertNoSecret fails t if any of secrets, or any base64 form of it,
// appears in the named texts.
func assertNoSecret(t testing.TB, texts map[string]string, secrets ...string) {
	t.Helper()
	if l := leak(texts, secrets...); l != "" {
		t.Error(l)
	}
}

// texts returns the places a secret must not be: the log, every response
// header (name and values) and the body.
func (res *result) texts(extraLogs ...string) map[string]string {
	var h strings.Builder
	for k, vs := range res.header {
		for _, v := range vs {
			h.WriteString(k + ": " + v + "\n")
		}
	}
	m := map[string]string{"log": res.logs, "response headers": h.String(), "response body": res.body}
	for i, l := range extraLogs {
		m[fmt.Sprintf("extra log %d", i)] = l
	}
	return m
}

// assertClean checks the canary: none of the fixture's credentials nor
// extra appear in the response or the log.
func (f *fixture) assertClean(t testing.TB, res *result, extra ...string) {
	t.Helper()
	assertNoSecret(t, res.texts(f.vs.bearerLog.String()), append(f.vs.secrets(), extra...)...)
}

// expect is what a response must be.
type expect struct {
	status int
	// challenges are the exact WWW-Authenticate lines, in order; nil
	// means none.
	challenges []string
	// reason is the logged reason; "" for a success (no refusal logged).
	reason verifiers.Reason
	// body, when set, must be contained in the body.
	body string
	// noBody: the response has no body (HEAD).
	noBody bool
}

// check asserts res against e: status, exact challenges, exactly one
// refusal event with the reason (none on success), the public reason in
// the body, Cache-Control: no-store on refusals, Retry-After on 503s.
func (e expect) check(t testing.TB, res *result) {
	t.Helper()
	if res.code != e.status {
		t.Errorf("status %d, want %d (body %q)", res.code, e.status, res.body)
	}
	got := res.header.Values("Www-Authenticate")
	if !equalLines(got, e.challenges) {
		t.Errorf("WWW-Authenticate:\n got %q\nwant %q", got, e.challenges)
	}
	if e.body != "" && !strings.Contains(res.body, e.body) {
		t.Errorf("body %q does not contain %q", res.body, e.body)
	}
	if e.reason == "" {
		if len(res.events) != 0 {
			t.Errorf("a refusal was logged for an accepted request: %v", res.events)
		}
		return
	}
	if len(res.events) != 1 {
		t.Fatalf("%d refusal events, want exactly 1: %.2000s", len(res.events), res.logs)
	}
	ev := res.events[0]
	if ev["reason"] != string(e.reason) {
		t.Errorf("logged reason %v, want %s (detail %q, hint %q)", ev["reason"], e.reason, ev["detail"], ev["hint"])
	}
	if st, _ := ev["status"].(float64); int(st) != res.code {
		t.Errorf("logged status %v, sent %d", ev["status"], res.code)
	}
	if want := `"reason":"` + string(e.reason.Public()) + `"`; !e.noBody && !strings.Contains(res.body, want) {
		t.Errorf("body %q lacks %s", res.body, want)
	}
	if !e.noBody {
		// G1/G2: an RFC 9457 body whose status is the HTTP status.
		var p struct {
			Type, Title string
			Status      int
		}
		if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("G1: Content-Type %q", ct)
		}
		if err := json.Unmarshal([]byte(res.body), &p); err != nil {
			t.Errorf("G1: body is not JSON: %v: %q", err, res.body)
		} else if p.Status != res.code || p.Type != "about:blank" || p.Title != http.StatusText(res.code) {
			t.Errorf("G1/G2: body type %q title %q status %d for a %d", p.Type, p.Title, p.Status, res.code)
		}
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a refusal, want no-store", cc)
	}
	if res.code == http.StatusServiceUnavailable && res.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// challengesOf returns the WWW-Authenticate lines of a plain 401 on path.
func challengesOf(path string) []string {
	switch path {
	case "/apikey":
		return []string{chAPIKey}
	case "/basic":
		return []string{chBasic}
	case "/bearer":
		return []string{chBearer}
	case "/scoped":
		// The scope step behind the gate makes a 401 without
		// credentials name its scope (middleware/scopechallenge.go).
		return []string{chBearerScoped, chBasic, chAPIKey}
	}
	return []string{chBearer, chBasic, chAPIKey}
}
