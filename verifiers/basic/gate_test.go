package basic_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/basic"
)

const basicChallenge = `Basic realm="admin", charset="UTF-8"`

// gated mounts a Basic verifier over src (realm "admin") on a handler that
// answers "hello USER", and logs every event at debug level into a buffer.
type gated struct {
	h   http.Handler
	log *authgatetest.Log
}

func newGated(t *testing.T, src basic.Store, extra ...verifiers.Verifier) *gated {
	t.Helper()
	v, err := basic.New(src, basic.WithRealm("admin"))
	if err != nil {
		t.Fatal(err)
	}
	buf := &authgatetest.Log{}
	g := middleware.New(middleware.WithLogger(buf.Logger().Level(zerolog.DebugLevel)), middleware.WithLogSampling(0, 0))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := middleware.IdentityFrom(r.Context())
		if !ok {
			t.Error("handler reached without identity")
			return
		}
		fmt.Fprint(w, "hello ", id.Subject)
	})
	return &gated{h: g.Require(append([]verifiers.Verifier{v}, extra...)...)(next), log: buf}
}

// do sends a request with the given Authorization values and returns the
// response and the log events it produced.
func (g *gated) do(t *testing.T, auth ...string) (*httptest.ResponseRecorder, []map[string]any) {
	t.Helper()
	g.log.Reset()
	r := httptest.NewRequest(http.MethodGet, "/admin", nil)
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, r)
	return w, g.log.Events(t)
}

func basicAuth(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func testMemory(t *testing.T, pairs ...string) *basic.MemoryStore {
	t.Helper()
	users := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		users[pairs[i]] = authgatetest.PasswordHash(t, pairs[i+1])
	}
	m, err := basic.NewMemoryStore(users)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type downStore struct{}

func (downStore) Lookup(context.Context, string) (*basic.Hash, error) {
	return nil, errors.New("connection refused")
}

func (downStore) Decoy() *basic.Hash {
	h, _ := basic.ParseHash("$2a$04$abcdefghijklmnopqrstuu5D5b9F9nEFc9ZCOKM6a.v4sYkFPSxxK")
	return h.Decoy()
}

func TestGate(t *testing.T) {
	t.Parallel()
	users := testMemory(t, "alice", "correct horse")
	tests := []struct {
		name       string
		down       bool // the source fails
		auth       []string
		wantStatus int
		wantWWW    []string
		wantReason verifiers.Reason // logged
		wantPublic verifiers.Reason // in the body
		wantHint   string
		wantUser   string // logged user attr
	}{
		{name: "success", auth: []string{basicAuth("alice", "correct horse")}, wantStatus: 200},
		{name: "A1_B1_B2_no_credentials", wantStatus: 401, wantWWW: []string{basicChallenge}, wantReason: verifiers.CredentialsMissing},
		{name: "A6_lower_case_scheme", auth: []string{"basic " + base64.StdEncoding.EncodeToString([]byte("alice:correct horse"))}, wantStatus: 200},
		{name: "scheme_not_accepted", auth: []string{"Bearer abc"}, wantStatus: 401, wantWWW: []string{basicChallenge}, wantReason: verifiers.SchemeNotAccepted},
		{name: "B7_user_unknown", auth: []string{basicAuth("mallory", "correct horse")}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.UserUnknown, wantPublic: verifiers.CredentialsInvalid, wantUser: "mallory"},
		{name: "B7_password_mismatch", auth: []string{basicAuth("alice", "wrong")}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.PasswordMismatch, wantPublic: verifiers.CredentialsInvalid, wantUser: "alice"},
		{name: "B3_no_colon", auth: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice"))}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantHint: "the value must be base64 of user:password"},
		{name: "B4_control_character", auth: []string{basicAuth("alice", "pw\x7f")}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantUser: "alice"},
		{name: "B5_invalid_UTF8", auth: []string{basicAuth("alice", "p\xe4ss")}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantUser: "alice", wantHint: `the client must send user-id and password as UTF-8 (the challenge says charset="UTF-8", RFC 7617 §2.1); a client using ISO-8859-1 sends invalid UTF-8`},
		{name: "base64_missing_padding", auth: []string{"Basic " + base64.RawStdEncoding.EncodeToString([]byte("alice:pw"))}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantHint: "the value must be padded base64: its length a multiple of 4, ending in = or == as needed (RFC 4648 §4)"},
		{name: "JWT_with_Basic_scheme", auth: []string{"Basic eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantHint: "a Bearer token was sent with the Basic scheme: send it as Authorization: Bearer <token>"},
		{name: "scheme_written_twice_gate_hint", auth: []string{"Basic " + basicAuth("alice", "pw")}, wantStatus: 401, wantWWW: []string{basicChallenge},
			wantReason: verifiers.CredentialsMalformed, wantHint: "the scheme is written twice ('Basic Basic ...'); send it once"},
		{name: "empty_credentials", auth: []string{"Basic"}, wantStatus: 400, wantReason: verifiers.RequestMalformed},
		{name: "two_Authorization_fields", auth: []string{basicAuth("alice", "correct horse"), basicAuth("alice", "correct horse")}, wantStatus: 400, wantReason: verifiers.RequestMalformed},
		{name: "H1_over_verifier_cap", auth: []string{"Basic " + strings.Repeat("QUFB", 300)}, wantStatus: 431, wantReason: verifiers.CredentialsTooLarge},
		{name: "H1_over_gate_cap", auth: []string{"Basic " + strings.Repeat("QUFB", 3000)}, wantStatus: 431, wantReason: verifiers.CredentialsTooLarge},
		{name: "source_unavailable", down: true, auth: []string{basicAuth("alice", "pw")}, wantStatus: 503, wantReason: verifiers.VerifierUnavailable, wantUser: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var src basic.Store = users
			if tc.down {
				src = downStore{}
			}
			w, events := newGated(t, src).do(t, tc.auth...)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.wantStatus, w.Body)
			}
			if got := w.Header().Values("WWW-Authenticate"); !slices.Equal(got, tc.wantWWW) {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantWWW)
			}
			if tc.wantStatus == 200 {
				if w.Body.String() != "hello alice" {
					t.Errorf("body %q", w.Body)
				}
				if len(events) != 1 || events[0]["level"] != "debug" || events[0]["user"] != "alice" || events[0]["scheme"] != "Basic" {
					t.Errorf("success events %v", events)
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d log events, want 1: %v", len(events), events)
			}
			ev := events[0]
			if ev["reason"] != string(tc.wantReason) || ev["status"] != float64(tc.wantStatus) {
				t.Errorf("logged reason %v status %v, want %s %d", ev["reason"], ev["status"], tc.wantReason, tc.wantStatus)
			}
			if tc.wantHint != "" && ev["hint"] != tc.wantHint {
				t.Errorf("logged hint %q, want %q", ev["hint"], tc.wantHint)
			}
			if got, _ := ev["user"].(string); got != tc.wantUser {
				t.Errorf("logged user %q, want %q", got, tc.wantUser)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
			}
			if tc.wantStatus == 503 && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			var body struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			want := tc.wantPublic
			if want == "" {
				want = tc.wantReason
			}
			if body.Status != tc.wantStatus || body.Reason != string(want) {
				t.Errorf("body status %d reason %q, want %d %q", body.Status, body.Reason, tc.wantStatus, want)
			}
		})
	}
}

// TestGate_B7_unknown_user_and_wrong_password_look_alike compares the
// whole responses: the client cannot tell which of the two it was, while
// the log can.
func TestGate_B7_unknown_user_and_wrong_password_look_alike(t *testing.T) {
	t.Parallel()
	g := newGated(t, testMemory(t, "alice", "pw"))
	w1, ev1 := g.do(t, basicAuth("nobody", "pw"))
	w2, ev2 := g.do(t, basicAuth("alice", "nope"))
	if w1.Code != w2.Code || !slices.Equal(headerLines(w1.Header()), headerLines(w2.Header())) || w1.Body.String() != w2.Body.String() {
		t.Errorf("responses differ:\n%d %v %s\n%d %v %s", w1.Code, w1.Header(), w1.Body, w2.Code, w2.Header(), w2.Body)
	}
	if ev1[0]["reason"] != "user_unknown" || ev2[0]["reason"] != "password_mismatch" {
		t.Errorf("logged reasons %v, %v", ev1[0]["reason"], ev2[0]["reason"])
	}
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// TestGate_mixed_route checks a route that accepts Basic and Bearer: a
// Basic rejection sends both challenges, one per line, in route order, and
// the Bearer one without an error (it did not reject anything).
func TestGate_A7_mixed_route(t *testing.T) {
	t.Parallel()
	g := newGated(t, testMemory(t, "alice", "pw"), bearerStub{})
	w, ev := g.do(t, basicAuth("alice", "nope"))
	want := []string{basicChallenge, `Bearer realm="api"`}
	if got := w.Header().Values("WWW-Authenticate"); w.Code != 401 || !slices.Equal(got, want) {
		t.Errorf("%d %q, want 401 %q", w.Code, got, want)
	}
	if ev[0]["reason"] != "password_mismatch" || ev[0]["scheme"] != "Basic" {
		t.Errorf("event %v", ev[0])
	}
	w, _ = g.do(t)
	if got := w.Header().Values("WWW-Authenticate"); w.Code != 401 || !slices.Equal(got, want) {
		t.Errorf("no credentials: %d %q, want 401 %q", w.Code, got, want)
	}
}

type bearerStub struct{}

func (bearerStub) Challenge() challenge.Challenge {
	return challenge.Challenge{Scheme: "Bearer", Params: []challenge.Param{{Name: "realm", Value: "api"}}}
}

func (bearerStub) Verify(r *http.Request) (*verifiers.Identity, error) {
	if _, ok := verifiers.Authorization(r, "Bearer"); ok {
		return nil, verifiers.Reject(verifiers.TokenInvalid, "stub")
	}
	return nil, verifiers.ErrNoCredentials
}

// TestGate_I2_canary sends, for every outcome this verifier can produce, a
// unique canary password and checks that neither it, nor the base64 of
// the credentials, nor the header value appears in the log or anywhere in
// the response.
func TestGate_I2_canary(t *testing.T) {
	t.Parallel()
	users := testMemory(t, "alice", "canary-right-0a1b2c")
	cases := []struct {
		name       string
		down       bool
		user, pw   string // the credentials, encoded as Basic unless raw is set
		raw        string // Authorization value sent as is
		canary     string // must appear nowhere
		wantReason string
	}{
		{name: "authenticated", user: "alice", pw: "canary-right-0a1b2c", canary: "canary-right-0a1b2c", wantReason: ""},
		{name: "user_unknown", user: "mallory", pw: "canary-unknown-3d4e", canary: "canary-unknown-3d4e", wantReason: "user_unknown"},
		{name: "password_mismatch", user: "alice", pw: "canary-mismatch-5f6a", canary: "canary-mismatch-5f6a", wantReason: "password_mismatch"},
		{name: "malformed_no_colon", raw: "Basic " + base64.StdEncoding.EncodeToString([]byte("canary-nocolon-7b8c")), canary: "canary-nocolon-7b8c", wantReason: "credentials_malformed"},
		{name: "malformed_control", user: "alice", pw: "canary-ctl-9d0e\x01", canary: "canary-ctl-9d0e", wantReason: "credentials_malformed"},
		{name: "malformed_utf8", user: "alice", pw: "canary-utf8-1f2a\xff", canary: "canary-utf8-1f2a", wantReason: "credentials_malformed"},
		{name: "malformed_unpadded", raw: "Basic " + base64.RawStdEncoding.EncodeToString([]byte("alice:canary-pad-3b4c5")), canary: "canary-pad-3b4c5", wantReason: "credentials_malformed"},
		{name: "malformed_base64url", raw: "Basic " + base64.URLEncoding.EncodeToString([]byte("alice:canary-url->>>???")), canary: "canary-url-", wantReason: "credentials_malformed"},
		{name: "malformed_unencoded", raw: "Basic alice:canary-plain-6d7e", canary: "canary-plain-6d7e", wantReason: "credentials_malformed"},
		{name: "malformed_jwt", raw: "Basic eyJhbGciOiJIUzI1NiJ9.Y2FuYXJ5LWp3dC04ZjlhIiwK.c2lnbmF0dXJl", canary: "Y2FuYXJ5LWp3dC04ZjlhIiwK", wantReason: "credentials_malformed"},
		{name: "too_large", user: "alice", pw: "canary-large-0b1c" + strings.Repeat("x", 900), canary: "canary-large-0b1c", wantReason: "credentials_too_large"},
		{name: "unavailable", down: true, user: "alice", pw: "canary-down-2d3e", canary: "canary-down-2d3e", wantReason: "verifier_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var src basic.Store = users
			if tc.down {
				src = downStore{}
			}
			auth := tc.raw
			if auth == "" {
				auth = basicAuth(tc.user, tc.pw)
			}
			g := newGated(t, src)
			w, events := g.do(t, auth)
			if tc.wantReason == "" {
				if w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
			} else if len(events) != 1 || events[0]["reason"] != tc.wantReason {
				t.Fatalf("events %v, want one with reason %s", events, tc.wantReason)
			}
			_, creds := verifiers.SplitAuthorization(auth)
			secrets := append(authgatetest.CredentialForms(tc.canary), auth, creds)
			var resp strings.Builder
			for _, l := range headerLines(w.Header()) {
				resp.WriteString(l + "\n")
			}
			resp.WriteString(w.Body.String())
			for _, sec := range secrets {
				if strings.Contains(g.log.String(), sec) {
					t.Errorf("log holds %q: %s", sec, g.log)
				}
				if strings.Contains(resp.String(), sec) {
					t.Errorf("response holds %q: %s", sec, resp.String())
				}
			}
		})
	}
}

// canaryKey has authgate's API key shape; it is registered nowhere.
const canaryKey = "ak_live_GateCanaryId_GateCanaryS3cretXyZ012345678"

// TestGate_I2_API_key_as_user sends an API key as the Basic user name, as
// curl -u KEY: and https://KEY@host/ do, to a gate with per-user failure
// limiting: neither the 401 nor the per-user 429 logs, sends or echoes the
// key; both name it by the same fingerprint; the 401 says what was sent.
func TestGate_I2_API_key_as_user(t *testing.T) {
	t.Parallel()
	for _, user := range []string{canaryKey, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJnYXRlLWNhbmFyeSJ9.R2F0ZUNhbmFyeVNpZ25hdHVyZTAxMjM0"} {
		t.Run(user[:8], func(t *testing.T) {
			t.Parallel()
			v, err := basic.New(testMemory(t, "alice", "pw"), basic.WithRealm("admin"))
			if err != nil {
				t.Fatal(err)
			}
			buf := &authgatetest.Log{}
			g := middleware.New(middleware.WithLogger(buf.Logger()), middleware.WithLogSampling(0, 0),
				middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 100, PerPrincipal: 1, Window: time.Minute}))
			h := g.Require(v)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler reached") }))
			auth := basicAuth(user, "")
			send := func() (*httptest.ResponseRecorder, map[string]any) {
				buf.Reset()
				r := httptest.NewRequest(http.MethodGet, "/admin", nil)
				r.Header.Set("Authorization", auth)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				evs := buf.Events(t)
				if len(evs) != 1 {
					t.Fatalf("log %q: want one event", buf)
				}
				ev := evs[0]
				for _, sec := range append(authgatetest.CredentialForms(user), user[len(user)-12:], auth, auth[len("Basic "):]) {
					var resp strings.Builder
					for _, l := range headerLines(w.Header()) {
						resp.WriteString(l + "\n")
					}
					resp.WriteString(w.Body.String())
					if strings.Contains(buf.String(), sec) || strings.Contains(resp.String(), sec) {
						t.Errorf("%q in the log or the response:\n%s\n%s", sec, buf, resp.String())
					}
				}
				return w, ev
			}
			w, ev := send()
			fp, _ := ev["fingerprint"].(string)
			if w.Code != 401 || ev["reason"] != "user_unknown" || len(fp) != 16 || ev["user"] != nil {
				t.Fatalf("first: %d %v", w.Code, ev)
			}
			if hint, _ := ev["hint"].(string); !strings.HasPrefix(hint, "the user name looks like ") || !strings.Contains(hint, "as the Basic user name") {
				t.Errorf("hint %q", hint)
			}
			w, ev = send()
			if w.Code != 429 || ev["reason"] != "too_many_failures" || w.Header().Get("Retry-After") == "" {
				t.Fatalf("second: %d %v", w.Code, ev)
			}
			// The per-user 429 names the principal the verifier claimed:
			// the fingerprint, marked as one (no Basic user-id has a colon).
			if ev["user"] != "fingerprint:"+fp {
				t.Errorf("429 logs user %v, want %q", ev["user"], "fingerprint:"+fp)
			}
		})
	}
}

// TestGate_I2_password_inside_long_user_name: the log holds no 8-byte piece
// of a password that also appears in a user name longer than the logged
// length (the verifier redacts it before cutting the name).
func TestGate_I2_password_inside_long_user_name(t *testing.T) {
	t.Parallel()
	const pw = "Canary-Passw0rd-in-gate-7q"
	g := newGated(t, testMemory(t, "alice", "x"))
	w, ev := g.do(t, basicAuth(strings.Repeat("v", 52)+pw, pw))
	if w.Code != 401 || ev[0]["user"] != strings.Repeat("v", 52)+"[redacted]" {
		t.Fatalf("%d %v", w.Code, ev)
	}
	for i := 0; i+8 <= len(pw); i++ {
		if strings.Contains(g.log.String(), pw[i:i+8]) {
			t.Fatalf("log holds %q of the password: %s", pw[i:i+8], g.log)
		}
	}
}

// TestGate_unexpanded_shell_substitution: the single-quoted curl mistake
// gets a hint naming the shell, and its text (which holds the user and
// password) is not echoed.
func TestGate_unexpanded_shell_substitution(t *testing.T) {
	t.Parallel()
	g := newGated(t, testMemory(t, "alice", "pw"))
	for auth, hint := range map[string]string{
		"Basic $(echo -n alice:canary-shell-gate | base64)": `the shell did not run the command substitution because the header was in single quotes: write -H "Authorization: Basic $(...)" in double quotes, or let curl encode it with -u user:password`,
		"Basic $CANARY_SHELL_VAR":                           `the shell did not expand the variable because the header was in single quotes: write -H "Authorization: Basic $VAR" in double quotes, or let curl encode it with -u user:password`,
	} {
		w, ev := g.do(t, auth)
		if w.Code != 401 || len(ev) != 1 || ev[0]["reason"] != "credentials_malformed" || ev[0]["hint"] != hint {
			t.Errorf("%s: %d %v", auth, w.Code, ev)
		}
		for _, sec := range []string{"canary-shell-gate", "CANARY_SHELL_VAR", "echo"} {
			if strings.Contains(g.log.String(), sec) || strings.Contains(w.Body.String(), sec) {
				t.Errorf("%q echoed: %s %s", sec, g.log, w.Body)
			}
		}
	}
}
