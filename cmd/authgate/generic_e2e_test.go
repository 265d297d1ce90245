package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
)

// Servers that are not authgate: the doctor says less where they say less,
// and names no cause their answer does not support.

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestGeneric_PlainHTTPError401(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t)
	tok := mint(t, iss)
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized) // no WWW-Authenticate
	})
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "unknown", "the server refused the request without saying why", tok)
	if res, ev := r.check("challenges"); res != "fail" || !strings.Contains(ev, "RFC 9110 §11.6.1") {
		t.Errorf("challenges check %s %q: a 401 without WWW-Authenticate breaks RFC 9110", res, ev)
	}
	if res, _ := r.check("signature"); res != "pass" {
		t.Errorf("the local checks still run against any server: signature %s", res)
	}
	if !strings.Contains(r.stdout, "Request id: none sent by the server") {
		t.Errorf("no request id line\n%s", r.stdout)
	}

	r = doctorRun(t, s.URL+"/v1/me")
	expect(t, r, 1, "no_credentials", "the request carries no credentials")
}

func TestGeneric_RFC6750InvalidToken(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t)
	tok := mint(t, iss)
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="x", error="invalid_token", error_description="token revoked"`)
		w.Header().Set("X-Request-Id", "req-42")
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	})
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "invalid_credential", "the server refused the credential (invalid_token: token revoked)", tok)
	if !strings.Contains(r.stdout, "Request id: req-42") {
		t.Errorf("the X-Request-Id header is not the request id\n%s", r.stdout)
	}
}

// TestGeneric_RFC6750ProxyStripsAuthorization: any RFC 6750 server answers
// a request without a token with a Bearer challenge without error (§3.1);
// when the request carried one, it was lost on the way.
func TestGeneric_RFC6750ProxyStripsAuthorization(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="x"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	p := proxy(t, s.URL, func(r *http.Request) { r.Header.Del("Authorization") }, nil)
	const tok = "opaque-canary-token-9f8e7d6c5b4a"
	r := doctorRun(t, p.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "header_stripped", "the Bearer challenge has no error (RFC 6750 §3.1: no token arrived;", tok)
	// Straight to the server, the same token passes: no false cause there.
	r = doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 0, "authorized", "authorized", tok)
}

// TestGeneric_ServerEchoesCredential: a careless server quotes the
// credential in its body and headers; the doctor still never prints it.
func TestGeneric_ServerEchoesCredential(t *testing.T) {
	t.Parallel()
	const tok = "echoed-canary-secret-Qm7Xv2Lp9Rt4"
	const pw = "echoed-canary-password-Wz8Kd3"
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("X-Request-Id", a) // not an id: it has a space, the doctor drops it
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="x", error="invalid_token", error_description="bad token %s"`, strings.TrimPrefix(a, "Bearer ")))
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"title": "Unauthorized", "detail": "you sent " + a, "error": "invalid_token", "error_description": a})
	})
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "invalid_credential", "[credential]", tok)
	r = doctorRun(t, "-u", "someone:"+pw, s.URL+"/v1/me")
	assertNoSecret(t, r, pw, "someone:"+pw)
}

func TestGeneric_MalformedChallenge(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="unterminated`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	r := doctorRun(t, s.URL+"/v1/me")
	expect(t, r, 1, "no_credentials", "the request carries no credentials")
	if res, ev := r.check("challenges"); res != "fail" || !strings.Contains(ev, "do not parse") {
		t.Errorf("challenges check %s %q, want the strict parser's error", res, ev)
	}
}

// TestGeneric_ProtectedResourceMetadata: an RFC 9728 resource publishes
// its audience and authorization servers; the doctor compares the token's
// iss and aud with them.
func TestGeneric_ProtectedResourceMetadata(t *testing.T) {
	t.Parallel()
	trusted, other := newIssuer(t), newIssuer(t)
	var base string
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/oauth-protected-resource/v1/me" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"resource": audience, "authorization_servers": []string{trusted.URL()}})
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", resource_metadata="`+base+`/.well-known/oauth-protected-resource/v1/me"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	base = s.URL
	tok := mint(t, other)
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "other_environment", "is not among the resource's authorization servers", tok)

	tok = mint(t, trusted, authgatetest.Audience("https://billing.doctor.test"))
	r = doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "other_environment", `does not contain this resource "`+audience+`"`, tok)
}

// TestGeneric_ServerReasonBeatsClocks: when an authgate server names a
// reason that is not about time, skewed clocks are a checklist item, not
// the verdict: the server did not refuse the token for its times.
func TestGeneric_ServerReasonBeatsClocks(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t)
	tok := mint(t, iss, authgatetest.IssuedAt(time.Now().Add(-time.Minute)))
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
		w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The access token is not meant for this resource.","reason":"token_audience_mismatch"}`))
	})
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "other_environment", "the server says the token is meant for another resource", tok)
	if res, _ := r.check("clock"); res != "fail" {
		t.Errorf("the skew is still reported in the checklist: clock %s", res)
	}
}

// TestGeneric_CrossHostRedirect: clients drop Authorization when a
// redirect leaves the host; the doctor does not follow it with the
// credential, and says so.
func TestGeneric_CrossHostRedirect(t *testing.T) {
	t.Parallel()
	target := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	target.URL = strings.Replace(target.URL, "127.0.0.1", "localhost", 1) // another host, same machine
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusMovedPermanently)
	})
	const tok = "redirect-canary-token-A1b2C3d4E5"
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "header_stripped", "drop Authorization on a cross-host redirect", tok)
}

// TestGeneric_EscapeSequences: what a server sends is quoted, never run by
// the terminal.
func TestGeneric_EscapeSequences(t *testing.T) {
	t.Parallel()
	s := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// U+009B is CSI, a C1 control some terminals obey; in UTF-8 its
		// bytes are obs-text, which a quoted-string may hold.
		w.Header().Set("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"\u009b2J\u009b31mgone\"")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"title":"x","detail":"\u001b]0;pwned\u0007\u001b[2J"}`))
	})
	r := doctorRun(t, s.URL+"/v1/me", "-H", "Authorization: Bearer escape-canary-token-7Yh3")
	text := r.stdout[:strings.Index(r.stdout, "\n{")]
	if strings.ContainsAny(text, "\x1b\x07\u009b") {
		t.Errorf("a control character reached the terminal: %q", text)
	}
	if !strings.Contains(text, "?2J?31mgone") {
		t.Errorf("the description is not shown with its controls replaced:\n%s", text)
	}
}
