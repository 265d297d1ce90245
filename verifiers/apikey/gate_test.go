package apikey_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// testGate returns a gate logging every event (debug included) to a
// buffer, without sampling.
func testGate(opts ...middleware.Option) (*middleware.Gate, *authgatetest.Log) {
	lb := &authgatetest.Log{}
	opts = append([]middleware.Option{middleware.WithLogger(lb.Logger()), middleware.WithLogSampling(0, 0)}, opts...)
	return middleware.New(opts...), lb
}

var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		_, _ = w.Write([]byte("anonymous"))
		return
	}
	kid, _ := id.Attr(verifiers.AttrKeyID)
	_, _ = w.Write([]byte(id.Subject + " " + kid + " " + strings.Join(id.Scopes, ",")))
})

const defaultChallenge = `APIKey realm="api", header="X-API-Key"`

// TestGateOutcomes runs every outcome through the gate and checks the
// exact status, WWW-Authenticate lines, the logged reason and level, the
// public reason in the body and the caching headers.
func TestGateOutcomes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	type want struct {
		status     int
		challenges []string
		reason     verifiers.Reason // logged; "" for success
		public     verifiers.Reason // in the body
		level      string
		keyID      string // logged key_id, "" for none
		fp         bool   // logged fingerprint
		hint       string
	}
	rejected := func(reason verifiers.Reason, public verifiers.Reason, keyID string, fp bool, hint string) want {
		return want{status: 401, challenges: []string{defaultChallenge}, reason: reason, public: public, level: "warn", keyID: keyID, fp: fp, hint: hint}
	}
	cases := []struct {
		name  string
		store apikey.Store
		req   *http.Request
		want  want
	}{
		{"A1_missing_401_with_challenge", nil, get("/"),
			want{status: 401, challenges: []string{defaultChallenge}, reason: verifiers.CredentialsMissing, public: verifiers.CredentialsMissing, level: "info"}},
		{"A8_checksum_invalid", nil, get("/", "X-API-Key", typo(good)),
			rejected(verifiers.APIKeyChecksumInvalid, verifiers.APIKeyChecksumInvalid, f.ids["good"], true, "mistyped")},
		{"A8_malformed", nil, get("/", "X-API-Key", "ak_live_"+f.ids["good"]),
			rejected(verifiers.CredentialsMalformed, verifiers.CredentialsMalformed, "", true, "truncated")},
		{"A8_wrong_environment", nil, get("/", "X-API-Key", f.keys["test"]),
			rejected(verifiers.APIKeyWrongEnv, verifiers.APIKeyWrongEnv, f.ids["test"], false, "a test key was sent to the live server")},
		{"A8_unknown", nil, get("/", "X-API-Key", f.keys["unknown"]),
			rejected(verifiers.APIKeyUnknown, verifiers.CredentialsInvalid, f.ids["unknown"], true, "deleted")},
		{"A8_unknown_foreign", nil, get("/", "X-API-Key", f.keys["foreignUnknown"]),
			rejected(verifiers.APIKeyUnknown, verifiers.CredentialsInvalid, "", true, "another system")},
		{"A8_secret_mismatch_looks_like_unknown", nil, get("/", "X-API-Key", f.mismatch(t)),
			rejected(verifiers.APIKeySecretMismatch, verifiers.CredentialsInvalid, f.ids["good"], true, "guessing")},
		{"A8_revoked", nil, get("/", "X-API-Key", f.keys["revoked"]),
			rejected(verifiers.APIKeyRevoked, verifiers.APIKeyRevoked, f.ids["revoked"], false, "new key")},
		{"A8_expired", nil, get("/", "X-API-Key", f.keys["expired"]),
			rejected(verifiers.APIKeyExpired, verifiers.APIKeyExpired, f.ids["expired"], false, "new key")},
		{"duplicate_key_400", nil, get("/", "X-API-Key", good, "X-API-Key", good),
			want{status: 400, reason: verifiers.RequestMalformed, public: verifiers.RequestMalformed, level: "warn", hint: "proxy"}},
		{"empty_key_400", nil, get("/", "X-API-Key", ""),
			want{status: 400, reason: verifiers.RequestMalformed, public: verifiers.RequestMalformed, level: "warn"}},
		{"H1_too_large_431", nil, get("/", "X-API-Key", strings.Repeat("k", 4096)),
			want{status: 431, reason: verifiers.CredentialsTooLarge, public: verifiers.CredentialsTooLarge, level: "warn"}},
		{"E12_store_down_503", downStore{}, get("/", "X-API-Key", good),
			want{status: 503, reason: verifiers.VerifierUnavailable, public: verifiers.VerifierUnavailable, level: "error"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := c.store
			if s == nil {
				s = f.store
			}
			g, lb := testGate()
			w := httptest.NewRecorder()
			g.Require(newVerifier(t, s))(whoami).ServeHTTP(w, c.req)
			res := w.Result()
			if w.Code != c.want.status {
				t.Fatalf("status %d, want %d; body %s; log %s", w.Code, c.want.status, w.Body, lb)
			}
			got := res.Header.Values("WWW-Authenticate")
			if strings.Join(got, "\n") != strings.Join(c.want.challenges, "\n") {
				t.Errorf("WWW-Authenticate = %q, want %q", got, c.want.challenges)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("A11 Cache-Control = %q, want no-store", cc)
			}
			if c.want.status == 431 && !strings.Contains(w.Body.String(), `"detail":"The X-API-Key header field is too large."`) {
				t.Errorf("H1 the 431 body does not name the header: %s", w.Body)
			}
			if c.want.status == 503 && res.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["reason"] != string(c.want.public) {
				t.Errorf("body reason = %v (%v), want %s", body["reason"], err, c.want.public)
			}
			evs := events(t, lb)
			if len(evs) != 1 {
				t.Fatalf("I1 %d log events, want 1:\n%s", len(evs), lb)
			}
			ev := evs[0]
			if ev["reason"] != string(c.want.reason) || ev["level"] != c.want.level || ev["status"] != float64(c.want.status) {
				t.Errorf("logged reason %v level %v status %v, want %s %s %d", ev["reason"], ev["level"], ev["status"], c.want.reason, c.want.level, c.want.status)
			}
			if kid, _ := ev[verifiers.AttrKeyID].(string); kid != c.want.keyID {
				t.Errorf("logged key_id %q, want %q", kid, c.want.keyID)
			}
			if _, ok := ev[verifiers.AttrFingerprint]; ok != c.want.fp {
				t.Errorf("logged fingerprint present %v, want %v", ok, c.want.fp)
			}
			if hint, _ := ev["hint"].(string); !strings.Contains(hint, c.want.hint) {
				t.Errorf("logged hint %q lacks %q", hint, c.want.hint)
			}
			if c.want.reason != verifiers.CredentialsMissing && c.want.status != 503 && ev["scheme"] != "APIKey" {
				t.Errorf("logged scheme %v, want APIKey", ev["scheme"])
			}
		})
	}
}

// TestGateSuccessCaching checks A10: a response authenticated by a header
// other than Authorization, a cookie or the query is private, with Vary on
// the header (RFC 9110 §16.4.2); Authorization needs neither.
func TestGateSuccessCaching(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	opts := []apikey.Option{apikey.WithHeader("X-API-Key"), apikey.WithAuthorization("APIKey"), apikey.WithCookie("ak"), apikey.WithQuery("api_key")}
	cases := []struct {
		name        string
		req         *http.Request
		cacheCtl    string
		vary        string
		wantSubject string
	}{
		{"A10_header_private_vary", get("/", "X-API-Key", good), "private", "X-API-Key", "svc-good"},
		{"A10_cookie_private_vary_cookie", get("/", "Cookie", "ak="+good), "private", "Cookie", "svc-good"},
		{"C9_query_private", get("/?api_key=" + good), "private", "", "svc-good"},
		{"authorization_no_extra_headers", get("/", "Authorization", "APIKey "+good), "", "", "svc-good"},
		{"foreign_key_header", get("/", "X-API-Key", f.keys["foreign"]), "private", "X-API-Key", "svc-legacy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate()
			w := httptest.NewRecorder()
			g.Require(newVerifier(t, f.store, opts...))(whoami).ServeHTTP(w, c.req)
			if w.Code != 200 || !strings.HasPrefix(w.Body.String(), c.wantSubject+" ") {
				t.Fatalf("status %d body %q; log %s", w.Code, w.Body, lb)
			}
			h := w.Result().Header
			if got := h.Get("Cache-Control"); got != c.cacheCtl {
				t.Errorf("Cache-Control = %q, want %q", got, c.cacheCtl)
			}
			if got := strings.Join(h.Values("Vary"), ","); got != c.vary {
				t.Errorf("Vary = %q, want %q", got, c.vary)
			}
			if evs := events(t, lb); len(evs) != 0 {
				t.Errorf("success logged above debug: %v", evs)
			}
			if !strings.Contains(lb.String(), `"key_id":"`) {
				t.Errorf("success debug event lacks key_id: %s", lb)
			}
		})
	}
}

// TestGateScopes checks that scopes from the store reach the gate's 403
// step, without a Bearer challenge (A9, C4 applies to Bearer only).
func TestGateScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g, lb := testGate()
	v := newVerifier(t, f.store)
	ok := g.Require(v)(g.RequireScopes("orders:write")(whoami))
	w := httptest.NewRecorder()
	ok.ServeHTTP(w, get("/", "X-API-Key", f.keys["good"]))
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	deny := g.Require(v)(g.RequireScopes("admin")(whoami))
	w = httptest.NewRecorder()
	deny.ServeHTTP(w, get("/", "X-API-Key", f.keys["good"]))
	if w.Code != 403 || len(w.Result().Header.Values("WWW-Authenticate")) != 0 {
		t.Fatalf("A9 status %d, challenges %q; want 403 without challenge", w.Code, w.Result().Header.Values("WWW-Authenticate"))
	}
	if evs := events(t, lb); len(evs) != 1 || evs[0]["reason"] != string(verifiers.ScopeInsufficient) {
		t.Fatalf("log: %s", lb)
	}
}

// TestGateOptional lets anonymous requests through but still rejects a
// bad key.
func TestGateOptional(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g, _ := testGate()
	h := g.Optional(newVerifier(t, f.store))(whoami)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get("/"))
	if w.Code != 200 || w.Body.String() != "anonymous" {
		t.Fatalf("anonymous: %d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, get("/", "X-API-Key", f.keys["revoked"]))
	if w.Code != 401 {
		t.Fatalf("revoked on Optional route: %d", w.Code)
	}
}

// TestGateAuthorizationHints checks that the gate's copy-paste hints work
// with the API key's Authorization scheme.
func TestGateAuthorizationHints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g, lb := testGate()
	v := newVerifier(t, f.store, apikey.WithAuthorization("APIKey"))
	w := httptest.NewRecorder()
	g.Require(v)(whoami).ServeHTTP(w, get("/", "Authorization", `APIKey "`+f.keys["good"]+`"`))
	if w.Code != 401 {
		t.Fatalf("status %d", w.Code)
	}
	ev := events(t, lb)[0]
	if ev["reason"] != string(verifiers.APIKeyUnknown) || !strings.Contains(ev["hint"].(string), "wrapped in quotes") {
		t.Errorf("quoted key: reason %v hint %v", ev["reason"], ev["hint"])
	}
	wantCh := []string{`APIKey realm="api", authorization="APIKey"`}
	if got := w.Result().Header.Values("WWW-Authenticate"); strings.Join(got, "|") != strings.Join(wantCh, "|") {
		t.Errorf("WWW-Authenticate = %q, want %q", got, wantCh)
	}
}

// TestGateQueryNamesAsHandlersSeeThem: the key is found under its name
// however the name is escaped, exactly where r.URL.Query() finds it, so a
// handler never reads a key the gate did not check; two of them, however
// spelt, are a 400; a pair that url.ParseQuery drops (it holds ';') is not
// read either.
func TestGateQueryNamesAsHandlersSeeThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	cases := []struct {
		name   string
		query  string
		status int
		reason verifiers.Reason
	}{
		{"C9_escaped_underscore", "api%5Fkey=" + good, 200, ""},
		{"C9_escaped_lower_hex", "api%5fkey=" + good, 200, ""},
		{"C9_escaped_letter", "%61pi_key=" + good, 200, ""},
		{"C3_plain_and_escaped_400", "api_key=" + good + "&api%5Fkey=" + good, 400, verifiers.RequestMalformed},
		{"C3_escaped_twice_400", "api%5Fkey=" + good + "&%61pi%5fkey=" + f.keys["revoked"], 400, verifiers.RequestMalformed},
		{"semicolon_pair_not_read", "api_key=" + good + ";x=1", 401, verifiers.CredentialsMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate()
			var seen []string
			h := g.Require(newVerifier(t, f.store, apikey.WithQuery("api_key")))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = r.URL.Query()["api_key"]
				whoami(w, r)
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, get("/v1/r?"+c.query))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; log %s", w.Code, c.status, lb)
			}
			if c.status == 200 && (len(seen) != 1 || seen[0] != good || !strings.HasPrefix(w.Body.String(), "svc-good ")) {
				t.Errorf("the handler read %d values; body %q", len(seen), w.Body)
			}
			if c.reason != "" {
				if evs := events(t, lb); len(evs) != 1 || evs[0]["reason"] != string(c.reason) {
					t.Errorf("logged %v, want %s", evs, c.reason)
				}
			}
			for _, form := range leakForms(good) {
				if strings.Contains(lb.String(), form) {
					t.Errorf("I2 log holds %q", form)
				}
			}
		})
	}
}

// TestGateUnexpandedShellExpression: a key that is literally a shell
// expression, as curl -H 'X-API-Key: $API_KEY' sends it (single quotes
// expand nothing), gets a hint naming the shell's quoting, whichever
// place carries it, without a store lookup and without the expression
// being echoed.
func TestGateUnexpandedShellExpression(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name, key, kind string
	}{
		{"variable", "$CANARY_API_KEY_7f3a", "a $variable"},
		{"braced_variable", "${CANARY_API_KEY_7f3a}", "a ${variable}"},
		{"command_substitution", "$(cat /run/secrets/canary_7f3a)", "a $(command) substitution"},
		{"backquotes", "`cat /run/secrets/canary_7f3a`", "a `command` substitution"},
	}
	for _, c := range cases {
		for _, place := range []string{"header", "authorization", "query"} {
			t.Run(c.name+"_"+place, func(t *testing.T) {
				t.Parallel()
				var r *http.Request
				switch place {
				case "header":
					r = get("/", "X-API-Key", c.key)
				case "authorization":
					r = get("/", "Authorization", "APIKey "+c.key)
				case "query":
					r = get("/?api_key=" + url.QueryEscape(c.key))
				}
				counted := &countingStore{Store: f.store}
				g, lb := testGate(middleware.WithDevelopmentMode())
				v := newVerifier(t, counted, apikey.WithHeader("X-API-Key"), apikey.WithAuthorization("APIKey"), apikey.WithQuery("api_key"))
				w := httptest.NewRecorder()
				g.Require(v)(whoami).ServeHTTP(w, r)
				if w.Code != 401 {
					t.Fatalf("status %d; log %s", w.Code, lb)
				}
				evs := events(t, lb)
				if len(evs) != 1 || evs[0]["reason"] != string(verifiers.CredentialsMalformed) {
					t.Fatalf("log: %s", lb)
				}
				detail, _ := evs[0]["detail"].(string)
				hint, _ := evs[0]["hint"].(string)
				if !strings.HasPrefix(detail, "the API key is "+c.kind+" that was never expanded (") {
					t.Errorf("detail %q", detail)
				}
				if !strings.Contains(hint, "inside single quotes, where a shell expands nothing; use double quotes") {
					t.Errorf("hint %q", hint)
				}
				if _, ok := evs[0][verifiers.AttrFingerprint]; !ok {
					t.Error("no fingerprint logged")
				}
				if n := counted.n.Load(); n != 0 {
					t.Errorf("%d store lookups, want 0", n)
				}
				all := lb.String() + w.Body.String() + fmt.Sprint(w.Result().Header)
				for _, form := range []string{"canary_7f3a", "CANARY_API_KEY", base64.StdEncoding.EncodeToString([]byte(c.key))} {
					if strings.Contains(all, form) {
						t.Errorf("the expression is echoed (%q):\n%s", form, all)
					}
				}
			})
		}
	}
	// Values that only look alike are foreign keys, looked up as usual.
	for _, key := range []string{"$2a$10$abcdefghijklmnopqrstuv", "$API KEY", "$1abc", "a$API_KEY", "$"} {
		g, lb := testGate()
		g.Require(newVerifier(t, f.store))(whoami).ServeHTTP(httptest.NewRecorder(), get("/", "X-API-Key", key))
		if evs := events(t, lb); len(evs) != 1 || evs[0]["reason"] != string(verifiers.APIKeyUnknown) {
			t.Errorf("%q: log %s", key, lb)
		}
	}
}

// countingStore counts lookups.
type countingStore struct {
	apikey.Store
	n atomic.Int64
}

func (s *countingStore) Lookup(ctx context.Context, id string) (*apikey.Record, error) {
	s.n.Add(1)
	return s.Store.Lookup(ctx, id)
}
