package apikey_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

func canaryString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "CANARY" + hex.EncodeToString(b)
}

// leakForms returns the forms of a credential that must appear nowhere:
// the key, its secret part (for our format), their base64 forms, and
// tails that would survive a truncation.
func leakForms(key string) []string {
	parts := []string{key}
	if i := strings.LastIndexByte(key, '_'); i >= 0 && len(key)-i > 8 {
		parts = append(parts, key[i+1:]) // secret with checksum
	}
	var out []string
	for _, p := range parts {
		out = append(out, authgatetest.CredentialForms(p)...)
		out = append(out, url.QueryEscape(p))
		if len(p) > 16 {
			out = append(out, p[len(p)-16:], p[:16])
		}
	}
	if len(key) > 43 && strings.HasPrefix(key, "ak_") {
		out = append(out, key[21:43]) // the 22-character secret alone
	}
	return out
}

// TestCanaryEveryAPIKeyReason sends, for every reason the API key
// verifier can produce (and success), a unique key and checks (I2) that
// neither the key, its secret, nor their base64 appear in the log output
// or the response, headers and body, in development mode (hints shown to
// the client) with every event logged.
func TestCanaryEveryAPIKeyReason(t *testing.T) {
	t.Parallel()
	t.Run("zerolog", func(t *testing.T) { canaryEveryAPIKeyReason(t, testGate) })
	t.Run("slog", func(t *testing.T) { canaryEveryAPIKeyReason(t, testSlogGate) })
}

// canaryEveryAPIKeyReason runs TestCanaryEveryAPIKeyReason's checks on
// the gates testGate makes.
func canaryEveryAPIKeyReason(t *testing.T, testGate func(...middleware.Option) (*middleware.Gate, *authgatetest.Log)) {
	t.Parallel()
	store, _ := apikey.NewMemoryStore()
	put := func(k apikey.Key, mod func(*apikey.Record)) {
		r := k.Record("svc", []string{"read"}, time.Time{})
		if mod != nil {
			mod(r)
		}
		if err := store.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	fresh := func(env string, mod func(*apikey.Record)) string {
		k := mustKey(t, env)
		if mod != nil {
			put(k, mod)
		}
		return k.Reveal()
	}
	stored := func(mod func(*apikey.Record)) func(*testing.T) []string {
		return func(t *testing.T) []string { return []string{fresh("live", mod)} }
	}
	nop := func(*apikey.Record) {}
	type tc struct {
		name   string
		reason verifiers.Reason // "" for success
		keys   func(t *testing.T) []string
		place  string // "header" (default), "authorization", "cookie", "query", "two"
		store  apikey.Store
	}
	cases := []tc{
		{name: "success", keys: stored(nop)},
		{name: "checksum", reason: verifiers.APIKeyChecksumInvalid, keys: func(t *testing.T) []string { return []string{typo(fresh("live", nop))} }},
		{name: "checksum_truncated", reason: verifiers.APIKeyChecksumInvalid, keys: func(t *testing.T) []string { k := fresh("live", nop); return []string{k[:len(k)-4]} }},
		{name: "wrong_env_tag", reason: verifiers.APIKeyWrongEnv, keys: func(t *testing.T) []string { return []string{fresh("test", nop)} }},
		{name: "wrong_env_record", reason: verifiers.APIKeyWrongEnv, keys: stored(func(r *apikey.Record) { r.Environment = "test" })},
		{name: "unknown", reason: verifiers.APIKeyUnknown, keys: func(t *testing.T) []string { return []string{fresh("live", nil)} }},
		{name: "unknown_foreign", reason: verifiers.APIKeyUnknown, keys: func(t *testing.T) []string { return []string{canaryString(t)} }},
		{name: "secret_mismatch", reason: verifiers.APIKeySecretMismatch, keys: func(t *testing.T) []string {
			k := fresh("live", nop)
			return []string{withSecret(t, k, mustKey(t, "live").Reveal()[21:43])}
		}},
		{name: "revoked", reason: verifiers.APIKeyRevoked, keys: stored(func(r *apikey.Record) { r.Revoked = t0.Add(-time.Hour) })},
		{name: "expired", reason: verifiers.APIKeyExpired, keys: stored(func(r *apikey.Record) { r.Expires = t0.Add(-time.Hour) })},
		{name: "malformed", reason: verifiers.CredentialsMalformed, keys: func(t *testing.T) []string { return []string{"ak_live_" + canaryString(t)} }},
		{name: "malformed_bad_char", reason: verifiers.CredentialsMalformed, keys: func(t *testing.T) []string {
			k := fresh("live", nop)
			return []string{k[:30] + "-" + k[31:]}
		}},
		{name: "request_malformed_twice", reason: verifiers.RequestMalformed, keys: func(t *testing.T) []string { return []string{fresh("live", nop), fresh("live", nop)} }},
		{name: "request_malformed_two_places", reason: verifiers.RequestMalformed, place: "two", keys: func(t *testing.T) []string { return []string{fresh("live", nop), fresh("live", nop)} }},
		{name: "too_large", reason: verifiers.CredentialsTooLarge, keys: func(t *testing.T) []string { return []string{strings.Repeat(canaryString(t), 20)} }},
		{name: "unavailable", reason: verifiers.VerifierUnavailable, store: downStore{}, keys: func(t *testing.T) []string { return []string{fresh("live", nil)} }},
		{name: "unavailable_foreign", reason: verifiers.VerifierUnavailable, store: downStore{}, keys: func(t *testing.T) []string { return []string{canaryString(t)} }},
	}
	// Every reason again through the other places.
	base := cases
	for _, p := range []string{"authorization", "cookie", "query"} {
		for _, c := range base {
			if strings.HasPrefix(c.name, "request_malformed") {
				continue
			}
			c.place, c.name = p, c.name+"_"+p
			cases = append(cases, c)
		}
	}
	var mu sync.Mutex
	covered := map[verifiers.Reason]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			keys := c.keys(t)
			s := c.store
			if s == nil {
				s = store
			}
			v := newVerifier(t, s, apikey.WithHeader("X-API-Key"), apikey.WithAuthorization("APIKey"), apikey.WithCookie("ak"), apikey.WithQuery("api_key"))
			g, lb := testGate(middleware.WithDevelopmentMode())
			var r *http.Request
			var sent []string
			switch c.place {
			case "authorization":
				r = get("/", "Authorization", "APIKey "+keys[0])
				sent = append(sent, "APIKey "+keys[0])
			case "cookie":
				r = get("/", "Cookie", "ak="+keys[0])
				sent = append(sent, "ak="+keys[0])
			case "query":
				r = get("/v1/r?api_key=" + url.QueryEscape(keys[0]))
			case "two":
				r = get("/?api_key="+url.QueryEscape(keys[1]), "X-API-Key", keys[0])
			default:
				r = get("/")
				for _, k := range keys {
					r.Header.Add("X-API-Key", k)
				}
			}
			w := httptest.NewRecorder()
			g.Require(v)(whoami).ServeHTTP(w, r)
			wantStatus := 200
			if c.reason != "" {
				wantStatus = c.reason.Status()
			}
			if w.Code != wantStatus {
				t.Fatalf("status %d, want %d; log %s", w.Code, wantStatus, lb)
			}
			if c.reason != "" {
				evs := events(t, lb)
				if len(evs) != 1 || evs[0]["reason"] != string(c.reason) {
					t.Fatalf("logged %v, want one event with reason %s", evs, c.reason)
				}
				mu.Lock()
				covered[c.reason] = true
				mu.Unlock()
			} else if !strings.Contains(lb.String(), "authgate: authenticated") {
				t.Fatalf("success not logged at debug: %s", lb)
			}
			var resp strings.Builder
			for k, vs := range w.Result().Header {
				resp.WriteString(k + ": " + strings.Join(vs, "\n") + "\n")
			}
			resp.WriteString(w.Body.String())
			forms := sent
			for _, k := range keys {
				forms = append(forms, leakForms(k)...)
			}
			for _, form := range forms {
				if strings.Contains(lb.String(), form) {
					t.Errorf("I2 log holds %q:\n%s", form, lb)
				}
				if strings.Contains(resp.String(), form) {
					t.Errorf("I2 response holds %q:\n%s", form, resp.String())
				}
			}
		})
	}
	t.Cleanup(func() {
		for _, r := range []verifiers.Reason{
			verifiers.APIKeyChecksumInvalid, verifiers.APIKeyWrongEnv, verifiers.APIKeyUnknown, verifiers.APIKeySecretMismatch,
			verifiers.APIKeyRevoked, verifiers.APIKeyExpired, verifiers.CredentialsMalformed, verifiers.RequestMalformed,
			verifiers.CredentialsTooLarge, verifiers.VerifierUnavailable,
		} {
			if !covered[r] {
				t.Errorf("reason %s not covered by the canary test", r)
			}
		}
	})
}

// testSlogGate is testGate with the gate logging through log/slog.
func testSlogGate(opts ...middleware.Option) (*middleware.Gate, *authgatetest.Log) {
	lb := &authgatetest.Log{}
	opts = append([]middleware.Option{middleware.WithSlogLogger(lb.SlogLogger()), middleware.WithLogSampling(0, 0)}, opts...)
	return middleware.New(opts...), lb
}
