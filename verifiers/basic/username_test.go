package basic

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

// Canary credentials sent as the Basic user name. The key has authgate's
// shape; none of them is registered anywhere.
const (
	canaryKeyUser  = "ak_live_CanaryKeyId1_CanaryS3cretPartXyZ012345678"
	canaryJWTUser  = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnktand0LXVzZXIifQ.Q2FuYXJ5U2lnbmF0dXJlMDEyMzQ1Njc4OQ"
	canaryHexUser  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	canaryUserHint = "the user name looks like an API key: the client may be sending an API key as the Basic user name (curl -u KEY:) to a route that expects a user and password"
)

// canaryBase32User is a random base32 token (as crypto/rand.Text makes)
// that LooksLikeCredential alone takes for a name.
const canaryBase32User = "CNRYLEMGMZBCWSQKXXUR6GL4QPUDWG"

// TestVerify_I2_credential_as_user: a user-id that looks like an API key,
// a JWT or a high-entropy string is named by its fingerprint, under the
// fingerprint attribute, with a hint saying what was sent; never as the
// user attribute, never as text.
func TestVerify_I2_credential_as_user(t *testing.T) {
	t.Parallel()
	if kind, _ := verifiers.LooksLikeCredential(canaryKeyUser); kind != verifiers.CredentialAPIKey {
		t.Fatalf("canary key is %q", kind)
	}
	if _, ok := verifiers.LooksLikeCredential(canaryBase32User); ok {
		t.Fatal("the base32 canary must be one the shape rules miss")
	}
	// One user whose name looks like a key exists, to show the
	// password_mismatch path.
	m := memory(t, "alice", "pw", canaryHexUser, "right-password")
	v := newVerifier(t, m)
	tests := []struct {
		name, user, pw string
		wantReason     verifiers.Reason
		wantHint       string
		wantDetail     string
	}{
		{"curl_u_KEY_colon", canaryKeyUser, "", verifiers.UserUnknown, canaryUserHint,
			"no such user in in-memory user list; the user name looks like an API key and is logged by its fingerprint"},
		{"KEY_as_user_with_password", canaryKeyUser, "x", verifiers.UserUnknown, hintUserAPIKey, "looks like an API key"},
		{"JWT_as_user", canaryJWTUser, "", verifiers.UserUnknown,
			"the user name looks like a JWT: the client may be sending a token as the Basic user name (curl -u TOKEN:) to a route that expects a user and password; a token goes in Authorization: Bearer",
			"the user name looks like a JWT"},
		{"high_entropy_existing_user_wrong_password", canaryHexUser, "wrong-password", verifiers.PasswordMismatch, "",
			"; the user name looks like a high-entropy string and is logged by its fingerprint"},
		{"malformed_password_keeps_fingerprint", canaryKeyUser, "p\x00w", verifiers.CredentialsMalformed, hintUserAPIKey, "the password contains a control character"},
		// A token the high-entropy rule takes for a name (base32, few
		// class changes), sent as curl -u KEY: does: the empty password
		// gives it away.
		{"curl_u_base32_token_colon", canaryBase32User, "", verifiers.UserUnknown, hintUserNoPassword,
			"the user name looks like a key (a token-like name with an empty password) and is logged by its fingerprint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Verify(basicReq(tc.user, tc.pw))
			rej := rejection(t, err)
			if rej.Reason != tc.wantReason || rej.Hint != tc.wantHint || !strings.Contains(rej.Detail, tc.wantDetail) {
				t.Errorf("got %s, hint %q, detail %q; want %s, %q, %q", rej.Reason, rej.Hint, rej.Detail, tc.wantReason, tc.wantHint, tc.wantDetail)
			}
			if u, ok := attr(rej.Attrs, verifiers.AttrUser); ok {
				t.Errorf("user attribute %q", u)
			}
			if fp, _ := attr(rej.Attrs, verifiers.AttrFingerprint); fp != v.fp.Fingerprint(tc.user) || len(fp) != 16 {
				t.Errorf("fingerprint attribute %q, want %q", fp, v.fp.Fingerprint(tc.user))
			}
			assertNoCanary(t, rej, tc.user)
		})
	}
	// The same key from two requests has the same fingerprint, so repeats
	// correlate; ClaimedPrincipal gives the same value.
	p, ok := v.ClaimedPrincipal(basicReq(canaryKeyUser, ""))
	if !ok || p != "fingerprint:"+v.fp.Fingerprint(canaryKeyUser) {
		t.Errorf("ClaimedPrincipal = %q, %v", p, ok)
	}
}

// TestVerify_source_error_names_credential_user_by_fingerprint: a source
// that fails does not get the user-id quoted in the 503's detail either.
func TestVerify_source_error_names_credential_user_by_fingerprint(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, failingStore{errDown})
	_, err := v.Verify(basicReq(canaryKeyUser, ""))
	var ue *verifiers.UnavailableError
	if !errorsAs(err, &ue) {
		t.Fatalf("error %v", err)
	}
	want := "could not look up the user whose name looks like an API key (fingerprint " + v.fp.Fingerprint(canaryKeyUser) + ") in the user source"
	if ue.Detail != want {
		t.Errorf("detail %q, want %q", ue.Detail, want)
	}
	if strings.Contains(err.Error(), "CanaryS3cret") {
		t.Errorf("error %q holds the key", err)
	}
}

// TestVerify_I2_scrub_then_truncate: a password inside a long user name is
// redacted before the name is cut to its logged length, so no piece of it
// is left that the gate's scrubber would no longer recognise.
func TestVerify_I2_scrub_then_truncate(t *testing.T) {
	t.Parallel()
	const pw = "Canary-Passw0rd-in-user-9z"
	user := strings.Repeat("u", 50) + pw // 76 bytes: cut at 64 would keep 14 bytes of pw
	if _, ok := verifiers.LooksLikeCredential(user); ok {
		t.Fatal("test user looks like a credential")
	}
	v := newVerifier(t, memory(t, "alice", "x"))
	_, err := v.Verify(basicReq(user, pw))
	rej := rejection(t, err)
	got, _ := attr(rej.Attrs, verifiers.AttrUser)
	if want := strings.Repeat("u", 50) + "[redacted]"; got != want {
		t.Errorf("user attribute %q, want %q", got, want)
	}
	for i := 0; i+8 <= len(pw); i++ {
		if strings.Contains(got, pw[i:i+8]) {
			t.Fatalf("user attribute %q holds %q of the password", got, pw[i:i+8])
		}
	}
	p, _ := v.ClaimedPrincipal(basicReq(user, pw))
	if strings.Contains(p, pw) || p != strings.Repeat("u", 50)+"[redacted]" {
		t.Errorf("principal %q", p)
	}
	// Passwords shorter than 8 bytes are not looked for: they would match
	// ordinary parts of names ("alice2024" with password "2024").
	if got := safeUser("alice2024", "2024"); got != "alice2024" {
		t.Errorf("safeUser = %q", got)
	}
}

// assertNoCanary fails if the rejection holds the canary, its base64, or
// the start of the base64 of "canary:" (the user inside Basic credentials).
func assertNoCanary(t *testing.T, rej *verifiers.Rejection, canary string) {
	t.Helper()
	texts := []string{rej.Error(), rej.Detail, rej.Hint}
	for _, a := range rej.Attrs {
		texts = append(texts, a.Key, a.Value)
	}
	secrets := append(authgatetest.CredentialForms(canary), canary[len(canary)-16:], base64.StdEncoding.EncodeToString([]byte(canary + ":"))[:20])
	for _, s := range texts {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("rejection text %q holds %q", s, sec)
			}
		}
	}
}

func TestClaimedPrincipal_credential_forms(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, memory(t))
	for _, user := range []string{canaryKeyUser, canaryJWTUser, canaryHexUser} {
		r := httptest.NewRequest(http.MethodGet, "https://"+user+"@host/", nil)
		r.Header.Set("Authorization", "Basic "+b64(user+":"))
		p, ok := v.ClaimedPrincipal(r)
		if !ok || p != principalPrefix+v.fp.Fingerprint(user) || strings.Contains(p, user[:20]) {
			t.Errorf("%s: principal %q, %v", user[:10], p, ok)
		}
	}
	if p, _ := v.ClaimedPrincipal(basicReq("alice", "pw")); p != "alice" {
		t.Errorf("plain user: %q", p)
	}
}
