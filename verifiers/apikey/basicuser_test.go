package apikey_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

func basicAuth(userColonPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userColonPass))
}

// basicLeakForms adds to leakForms the forms that the Basic convention
// makes: the key with its colon and password, and the id with the secret
// (the key without prefix and environment).
func basicLeakForms(key, password string) []string {
	out := leakForms(key)
	if i := strings.Index(key, "_"); i >= 0 {
		if j := strings.Index(key[i+1:], "_"); j >= 0 && len(key) > i+j+2+8 {
			out = append(out, key[i+j+2:]) // id_secretchecksum
		}
	}
	for _, s := range []string{key + ":" + password, key + ":"} {
		out = append(out, s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	if len(password) >= 8 {
		out = append(out, password)
	}
	return out
}

// TestGateBasicUser runs the Stripe convention through the gate: the key
// as the Basic user name, every outcome with its exact status, challenge
// and logged reason, and no form of the key or the password in the log or
// the response (development mode, so that hints reach the body too).
func TestGateBasicUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const chBasic = `Basic realm="api"`
	pw := canaryString(t) // a password that must never show
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte("~~~~>>>>?:")))
	cases := []struct {
		name   string
		auth   string // the Authorization value; "" for none
		key    string // the key it carries, for the leak check
		status int
		reason verifiers.Reason
		keyID  string
		detail string // substring of the logged detail
		hint   string // substring of the logged hint
	}{
		{"success_empty_password", basicAuth(f.keys["good"] + ":"), f.keys["good"], 200, "", f.ids["good"], "", ""},
		{"success_password_ignored", basicAuth(f.keys["good"] + ":" + pw), f.keys["good"], 200, "", f.ids["good"], "", ""},
		{"A6_success_scheme_any_case", "bAsIc " + base64.StdEncoding.EncodeToString([]byte(f.keys["good"]+":X")), f.keys["good"], 200, "", f.ids["good"], "", ""},
		{"success_foreign_key", basicAuth(f.keys["foreign"] + ":"), f.keys["foreign"], 200, "", f.ids["foreign"], "", ""},
		{"A1_missing_basic_challenge", "", "", 401, verifiers.CredentialsMissing, "", "", ""},
		{"checksum", basicAuth(typo(f.keys["good"]) + ":"), typo(f.keys["good"]), 401, verifiers.APIKeyChecksumInvalid, f.ids["good"], "(read from Authorization (Basic user name))", "mistyped"},
		{"revoked", basicAuth(f.keys["revoked"] + ":" + pw), f.keys["revoked"], 401, verifiers.APIKeyRevoked, f.ids["revoked"], "was revoked", ""},
		{"wrong_environment", basicAuth(f.keys["test"] + ":"), f.keys["test"], 401, verifiers.APIKeyWrongEnv, f.ids["test"], "", "a test key was sent to the live server"},
		{"secret_mismatch", basicAuth(f.mismatch(t) + ":"), f.mismatch(t), 401, verifiers.APIKeySecretMismatch, f.ids["good"], "", ""},
		{"user_and_password_not_a_key", basicAuth("admin:" + pw), "", 401, verifiers.APIKeyUnknown, "", "foreign key", "reads the API key from the Basic user name"},
		{"B3_no_colon", basicAuth(f.keys["good"]), f.keys["good"], 401, verifiers.CredentialsMalformed, "", "no ':' between user name and password", "followed by a colon"},
		{"key_sent_as_password", basicAuth(":" + f.keys["good"]), f.keys["good"], 401, verifiers.CredentialsMalformed, "", "the Basic user name is empty", "the key was sent as the password"},
		{"colon_only", basicAuth(":"), "", 401, verifiers.CredentialsMalformed, "", "the Basic user name is empty", "send the key as the user name"},
		{"B4_echo_line_break", basicAuth(f.keys["good"] + ":\n"), f.keys["good"], 401, verifiers.CredentialsMalformed, "", "the Basic password holds a control character at byte 0", "encoded with echo"},
		{"B4_control_in_user", basicAuth(f.keys["good"][:10] + "\x01" + f.keys["good"][10:] + ":"), f.keys["good"], 401, verifiers.CredentialsMalformed, "", "the Basic user name holds a control character at byte 10", ""},
		{"not_base64", "Basic " + f.keys["good"] + "!", f.keys["good"], 401, verifiers.CredentialsMalformed, "", "are not valid base64", "the base64 of 'KEY:'"},
		{"base64_no_padding", "Basic " + base64.RawStdEncoding.EncodeToString([]byte(f.keys["good"]+":")), f.keys["good"], 401, verifiers.CredentialsMalformed, "", "are not valid base64", "lacks its '=' padding"},
		{"base64_url_alphabet", "Basic " + urlSafe, "", 401, verifiers.CredentialsMalformed, "", "are not valid base64", "URL-safe base64 alphabet"},
		{"empty_credentials_400", "Basic", "", 400, verifiers.RequestMalformed, "", "present but empty", ""},
		{"H1_user_over_max_431", basicAuth(strings.Repeat("k", 600) + ":"), "", 431, verifiers.CredentialsTooLarge, "", "is 600 bytes, over the 512-byte limit", ""},
		{"H1_credentials_over_max_431", "Basic " + strings.Repeat("QUJD", 400), "", 431, verifiers.CredentialsTooLarge, "", "is 1600 bytes, over the 1368-byte limit", ""},
		{"other_scheme_not_accepted", "Bearer " + f.keys["good"], f.keys["good"], 401, verifiers.SchemeNotAccepted, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate(middleware.WithDevelopmentMode())
			v := newVerifier(t, f.store, apikey.WithBasicUser())
			r := get("/")
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			g.Require(v)(whoami).ServeHTTP(w, r)
			res := w.Result()
			if w.Code != c.status {
				t.Fatalf("status %d, want %d; body %s; log %s", w.Code, c.status, w.Body, lb)
			}
			wantCh := ""
			if c.status == 401 {
				wantCh = chBasic
			}
			if got := strings.Join(res.Header.Values("WWW-Authenticate"), "|"); got != wantCh {
				t.Errorf("WWW-Authenticate %q, want %q", got, wantCh)
			}
			if c.status == 200 {
				if !strings.HasPrefix(w.Body.String(), "svc-") || !strings.Contains(w.Body.String(), " "+c.keyID+" ") {
					t.Errorf("body %q", w.Body)
				}
				// Authorization needs neither private nor Vary (A10).
				if res.Header.Get("Cache-Control") != "" || res.Header.Get("Vary") != "" {
					t.Errorf("Cache-Control %q Vary %q", res.Header.Get("Cache-Control"), res.Header.Get("Vary"))
				}
			} else {
				evs := events(t, lb)
				if len(evs) != 1 || evs[0]["reason"] != string(c.reason) {
					t.Fatalf("log %s, want one event %s", lb, c.reason)
				}
				ev := evs[0]
				if kid, _ := ev[verifiers.AttrKeyID].(string); kid != c.keyID {
					t.Errorf("key_id %q, want %q", kid, c.keyID)
				}
				if d, _ := ev["detail"].(string); !strings.Contains(d, c.detail) {
					t.Errorf("detail %q lacks %q", d, c.detail)
				}
				if h, _ := ev["hint"].(string); !strings.Contains(h, c.hint) {
					t.Errorf("hint %q lacks %q", h, c.hint)
				}
			}
			var resp strings.Builder
			for k, vs := range res.Header {
				resp.WriteString(k + ": " + strings.Join(vs, "\n") + "\n")
			}
			resp.WriteString(w.Body.String())
			forms := []string{pw, base64.StdEncoding.EncodeToString([]byte(pw))}
			if c.auth != "" && len(c.auth) > 16 {
				_, cred, _ := strings.Cut(c.auth, " ")
				forms = append(forms, cred)
			}
			if c.key != "" {
				forms = append(forms, basicLeakForms(c.key, pw)...)
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
}

// TestBasicUserBesideOtherPlaces: beside a header, the APIKey challenge
// announces the Basic user name as basic="user", and a key in both is a
// 400; a Basic place and WithAuthorization("Basic") together are refused
// at New.
func TestBasicUserBesideOtherPlaces(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := newVerifier(t, f.store, apikey.WithHeader("X-API-Key"), apikey.WithBasicUser())
	if got, _ := v.Challenge().Format(); got != `APIKey realm="api", header="X-API-Key", basic="user"` {
		t.Errorf("challenge %q", got)
	}
	g, lb := testGate()
	w := httptest.NewRecorder()
	g.Require(v)(whoami).ServeHTTP(w, get("/", "X-API-Key", f.keys["good"], "Authorization", basicAuth(f.keys["good"]+":")))
	if w.Code != 400 {
		t.Fatalf("status %d", w.Code)
	}
	if evs := events(t, lb); len(evs) != 1 || !strings.Contains(evs[0]["detail"].(string), "both in header X-API-Key and in Authorization (Basic user name)") {
		t.Errorf("log %s", lb)
	}
	for _, opts := range [][]apikey.Option{
		{apikey.WithBasicUser(), apikey.WithAuthorization("basic")},
		{apikey.WithBasicUser(), apikey.WithBasicUser()},
	} {
		if _, err := apikey.New(f.store, opts...); err == nil {
			t.Errorf("New(%d options) accepted a second reader of Authorization: Basic", len(opts))
		}
	}
}

// TestBasicUserClaimedPrincipal: the failure limiter sees the key id of a
// key sent as the Basic user name, never the key, and holds a guessed
// secret for that id to PerPrincipal.
func TestBasicUserClaimedPrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := newVerifier(t, f.store, apikey.WithBasicUser())
	req := func(auth string) *http.Request { return get("/", "Authorization", auth) }
	if id, ok := v.ClaimedPrincipal(req(basicAuth(f.keys["good"] + ":X"))); !ok || id != f.ids["good"] {
		t.Errorf("ClaimedPrincipal = %q, %v; want %q", id, ok, f.ids["good"])
	}
	for _, auth := range []string{basicAuth(f.keys["good"]), basicAuth(":" + f.keys["good"]), "Basic !!", basicAuth(typo(f.keys["good"]) + ":"), "Bearer x"} {
		if id, ok := v.ClaimedPrincipal(req(auth)); ok {
			t.Errorf("ClaimedPrincipal(%.12s...) = %q, true", auth, id)
		}
	}

	g, lb := testGate(middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 100, PerPrincipal: 1, Window: time.Minute}))
	h := g.Require(v)(whoami)
	guess := f.mismatch(t)
	for i, want := range []int{401, 429} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req(basicAuth(guess+":")))
		if w.Code != want {
			t.Fatalf("attempt %d: status %d, want %d; log %s", i+1, w.Code, want, lb)
		}
	}
	evs := events(t, lb)
	if len(evs) != 2 || evs[1]["reason"] != string(verifiers.TooManyFailures) {
		t.Fatalf("log %s", lb)
	}
	found := false
	for _, val := range evs[1] {
		if val == f.ids["good"] {
			found = true
		}
	}
	if !found {
		t.Errorf("the 429 does not name the key id: %v", evs[1])
	}
	for _, form := range basicLeakForms(guess, "") {
		if strings.Contains(lb.String(), form) {
			t.Errorf("I2 log holds %q", form)
		}
	}
}
