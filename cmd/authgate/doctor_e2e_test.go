package main

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/cors"

	"github.com/authgate/authgate/authgatetest"
)

// secretForms are the forms of a credential that must never be printed:
// itself, its base64 forms, and each segment of a JWT.
func secretForms(secret string) []string {
	b := []byte(secret)
	forms := []string{secret, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
	if parts := strings.Split(secret, "."); len(parts) == 3 {
		forms = append(forms, parts[1], parts[2]) // the header segment is shared by every token of an issuer
	}
	return forms
}

// assertNoSecret is the canary check over stdout (text and --json) and
// stderr.
func assertNoSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if len(f) < 6 {
				continue
			}
			if strings.Contains(r.stdout, f) || strings.Contains(r.stderr, f) {
				t.Errorf("a credential (or its base64, or a JWT segment) was printed: %.12s...\n%s\n%s", f, r.stdout, r.stderr)
			}
		}
	}
}

// expect asserts the exit status, the verdict's cause, that no other cause
// than allowed is named, that the verdict says want, and the canary.
func expect(t *testing.T, r result, code int, cause string, want string, secrets ...string) {
	t.Helper()
	if testing.Verbose() {
		t.Log(r.stdout[:strings.Index(r.stdout, "\n{")])
	}
	if r.code != code {
		t.Errorf("exit %d, want %d\n%s%s", r.code, code, r.stdout, r.stderr)
	}
	if r.cause() != cause {
		t.Errorf("verdict %q, want %q\n%s", r.cause(), cause, r.stdout)
	}
	if cs := r.causes(); len(cs) != 1 {
		t.Errorf("causes %v, want only %q: a cause the evidence does not support", cs, cause)
	}
	if !strings.Contains(r.stdout, want) {
		t.Errorf("the output does not say %q\n%s", want, r.stdout)
	}
	assertNoSecret(t, r, secrets...)
}

func TestAuthorized(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	tok := f.token(t)
	r := doctorRun(t, f.srv.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 0, "authorized", "the request was authorized (200 OK)", tok)
	if res, ev := r.check("signature"); res != "pass" || !strings.Contains(ev, "genuine") {
		t.Errorf("signature check %s %q, want pass: the doctor fetches the issuer's discovery document and JWKS", res, ev)
	}
	r = doctorRun(t, "-u", "admin:"+f.password, f.srv.URL+"/admin/stats")
	expect(t, r, 0, "authorized", `user "admin"`, f.password, "admin:"+f.password)
}

func TestCause1_NoCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	r := doctorRun(t, f.srv.URL+"/v1/me")
	expect(t, r, 1, "no_credentials", "the server confirms: credentials_missing")
	if !strings.Contains(r.stdout, `"Authorization: Bearer <token>" or "X-API-Key: <key>"`) {
		t.Errorf("the action does not name the accepted schemes\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "Request id: ") || r.report["request_id"] == "" || r.report["request_id"] == nil {
		t.Errorf("no request id\n%s", r.stdout)
	}
}

func TestCause2_Expired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	tok := mint(t, f.iss, authgatetest.Expired())
	r := doctorRun(t, f.srv.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "invalid_credential", "by this machine's clock and by the server's Date", tok)
	if !strings.Contains(r.stdout, "the token expired at") {
		t.Errorf("verdict does not say the token expired\n%s", r.stdout)
	}
}

func TestCause2_RevokedAndMistypedKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	r := doctorRun(t, f.srv.URL+"/v1/reports", "-H", "X-API-Key: "+f.revokedKey)
	expect(t, r, 1, "invalid_credential", "the API key was revoked", f.revokedKey)

	typo := []byte(f.liveKey)
	i := len(typo) - 10
	typo[i] ^= 1 // a character of the secret; base62 stays base62 for digits and letters
	if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", rune(typo[i])) {
		typo[i] = 'x'
	}
	r = doctorRun(t, f.srv.URL+"/v1/reports", "-H", "X-API-Key: "+string(typo))
	expect(t, r, 1, "invalid_credential", "the API key is mistyped", string(typo), f.liveKey)
	if res, _ := r.check("apikey"); res != "fail" {
		t.Errorf("apikey check %s, want fail: the checksum is checked locally", res)
	}
}

func TestCause2_TamperedToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	a := strings.Split(f.token(t), ".")
	b := strings.Split(mint(t, f.iss, authgatetest.ExpiresAt(time.Now().Add(2*time.Hour)), authgatetest.Scopes("orders:write")), ".")
	tampered := b[0] + "." + b[1] + "." + a[2] // claims of one token, signature of another
	r := doctorRun(t, f.srv.URL+"/v1/me", "-H", "Authorization: Bearer "+tampered)
	expect(t, r, 1, "invalid_credential", "the token was tampered with or corrupted", tampered)
}

func TestCause3_BasicOnBearerRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	r := doctorRun(t, "-u", "admin:"+f.password, f.srv.URL+"/v1/me")
	expect(t, r, 1, "wrong_scheme", "the server does not accept the scheme sent (Authorization header Basic)", f.password, "admin:"+f.password)
}

func TestCause4_Format(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	tok := f.token(t)
	for _, c := range []struct {
		name, header, want string
	}{
		{"missing_prefix", "Authorization: " + tok, "without a scheme"},
		{"quotes", `Authorization: Bearer "` + tok + `"`, "wrapped in quotes"},
		{"doubled_bearer", "Authorization: Bearer Bearer " + tok, "appears twice"},
		{"unexpanded_shell", "Authorization: Bearer $(cat ~/.config/api/token)", "$(...) command substitution that the shell did not expand"},
		{"jwt_as_basic", "Authorization: Basic " + tok, "a JWT was sent with the Basic scheme"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := doctorRun(t, f.srv.URL+"/v1/me", "-H", c.header)
			expect(t, r, 1, "malformed_credential", c.want, tok)
		})
	}
	t.Run("unexpanded_shell_in_basic_password", func(t *testing.T) {
		r := doctorRun(t, "-u", "admin:$(pass show api/admin)", f.srv.URL+"/admin/stats")
		expect(t, r, 1, "malformed_credential", "the password holds a literal $(...) command substitution", "admin:$(pass show api/admin)", "$(pass show api/admin)")
	})
	t.Run("token_in_query", func(t *testing.T) {
		r := doctorRun(t, f.srv.URL+"/v1/me?access_token="+tok)
		expect(t, r, 1, "malformed_credential", "the credential is in the query string", tok)
		if !strings.Contains(r.stdout, "access_token=[credential]") {
			t.Errorf("the URL is not shown with the token replaced\n%s", r.stdout)
		}
	})
}

func TestCause5_OtherEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	other := mint(t, f.other)
	r := doctorRun(t, f.srv.URL+"/v1/me", "-H", "Authorization: Bearer "+other)
	expect(t, r, 1, "other_environment", "the token is genuine but from another environment", other)

	r = doctorRun(t, f.srv.URL+"/v1/reports", "-H", "X-API-Key: "+f.testKey)
	expect(t, r, 1, "other_environment", `its environment tag is "test"`, f.testKey)
}

func TestCause6_ServerClockSkew(t *testing.T) {
	t.Parallel()
	const skew = 2 * time.Hour
	f := newFixture(t, fixtureOpt{serverClockSkew: skew})
	// The skewed server's Date says what its clock says.
	p := proxy(t, f.srv.URL, nil, func(r *http.Response) {
		r.Header.Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
	})
	tok := f.token(t) // valid for an hour by the real clock
	r := doctorRun(t, p.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "clock_skew", "the server's clock is 2h0m0s ahead of this machine's", tok)
	if !strings.Contains(r.stdout, "the server's clock is the likely one off") {
		t.Errorf("the verdict does not say which side is off\n%s", r.stdout)
	}
}

// TestCause6_IssuerClockAhead: a token issued in the future by both
// clocks points at the issuer's clock.
func TestCause6_IssuerClockAhead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	tok := mint(t, f.iss, authgatetest.IssuedAt(time.Now().Add(10*time.Minute)), authgatetest.NotBefore(time.Now().Add(10*time.Minute)))
	r := doctorRun(t, f.srv.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "clock_skew", "in the future by this machine's clock too: the issuer's clock is ahead", tok)
}

func TestCause7_ProxyStripsAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	p := proxy(t, f.srv.URL, func(r *http.Request) { r.Header.Del("Authorization") }, nil)
	tok := f.token(t)
	r := doctorRun(t, p.URL+"/v1/me", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "header_stripped", "a proxy, load balancer or API gateway on the way stripped or renamed the header", tok)
}

func TestCause8_CORS(t *testing.T) {
	t.Parallel()
	const origin = "https://app.doctor.test"
	t.Run("no_cors_middleware", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOpt{})
		tok := f.token(t)
		r := doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+tok)
		expect(t, r, 1, "cors_blocked", "no CORS middleware answered it", tok)
	})
	t.Run("no_cors_middleware_and_expired_token", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOpt{})
		exp := mint(t, f.iss, authgatetest.Expired())
		r := doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+exp)
		// CORS hides the 401; the doctor names both, CORS first.
		if cs := r.causes(); !slices.Equal(cs, []string{"cors_blocked", "invalid_credential"}) || r.code != 1 {
			t.Errorf("causes %v (exit %d), want cors_blocked then invalid_credential\n%s", cs, r.code, r.stdout)
		}
		if !strings.Contains(r.stdout, "the page sees a network error, not the real answer (401)") {
			t.Errorf("the verdict does not say what CORS hides\n%s", r.stdout)
		}
		assertNoSecret(t, r, exp)
	})
	t.Run("cors_middleware_in_front", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOpt{wrap: cors.New(cors.Options{
			AllowedOrigins: []string{origin}, AllowedHeaders: []string{"Authorization", "X-API-Key"},
			ExposedHeaders: []string{"WWW-Authenticate"},
		}).Handler})
		tok := f.token(t)
		r := doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+tok)
		expect(t, r, 0, "authorized", "origin, method and headers allowed", tok)
		// Behind a working CORS setup, a 401 is diagnosed as itself, and
		// the challenge is readable by scripts.
		exp := mint(t, f.iss, authgatetest.Expired())
		r = doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+exp)
		expect(t, r, 1, "invalid_credential", "WWW-Authenticate is exposed to scripts", exp)
	})
	t.Run("cors_middleware_not_exposing_www_authenticate", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOpt{wrap: cors.New(cors.Options{AllowedOrigins: []string{origin}, AllowedHeaders: []string{"Authorization"}}).Handler})
		exp := mint(t, f.iss, authgatetest.Expired())
		r := doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+exp)
		// The page gets the 401, so CORS is not the cause; but its
		// scripts cannot read the challenge, which the checklist says.
		expect(t, r, 1, "invalid_credential", "WWW-Authenticate is not in Access-Control-Expose-Headers", exp)
		if res, _ := r.check("cors_response"); res != "fail" {
			t.Errorf("cors_response %s, want fail", res)
		}
	})
	t.Run("cors_middleware_without_authorization", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOpt{wrap: cors.New(cors.Options{AllowedOrigins: []string{origin}}).Handler})
		tok := f.token(t)
		r := doctorRun(t, f.srv.URL+"/v1/me", "--origin", origin, "-H", "Authorization: Bearer "+tok)
		expect(t, r, 1, "cors_blocked", "(origin "+origin+", method GET, headers authorization) was answered without any CORS header", tok)
	})
}

func TestForbiddenScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	tok := f.token(t)
	r := doctorRun(t, "-X", "POST", f.srv.URL+"/v1/orders", "-H", "Authorization: Bearer "+tok)
	expect(t, r, 1, "insufficient_scope", "orders:write", tok)
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no_url", nil, "no URL given"},
		{"two_urls", []string{"http://a.test/", "http://b.test/"}, "one URL expected"},
		{"bad_url", []string{"not a url"}, "not an absolute http(s) URL"},
		{"user_without_password", []string{"-u", "admin", "http://a.test/"}, "give user:password"},
		{"header_without_colon", []string{"-H", "Bearer canary-header-Zq9x", "http://a.test/"}, "without a name and a colon"},
		{"unknown_flag", []string{"--nope", "http://a.test/"}, "flag provided but not defined"},
		{"bad_origin", []string{"--origin", "app.test", "http://a.test/"}, "is not scheme://host"},
		{"missing_har", []string{"--har", "/nonexistent.har"}, "--har"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := doctorRun(t, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, c.want)
			}
			assertNoSecret(t, r, "canary-header-Zq9x")
		})
	}
	var out, errb strings.Builder
	if code := run(t.Context(), env{stdout: &out, stderr: &errb}, []string{"nope"}); code != 2 || !strings.Contains(errb.String(), `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, %q", code, errb.String())
	}
	if code := run(t.Context(), env{stdout: &out, stderr: &errb}, []string{"doctor", "-h"}); code != 0 || !strings.Contains(errb.String(), "Exit status: 0") {
		t.Errorf("doctor -h: exit %d, %q", code, errb.String())
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	r := doctorRun(t, "http://127.0.0.1:1/v1/me", "-H", "Authorization: Bearer canary-unreachable-Tk3")
	expect(t, r, 1, "unreachable", "the request got no answer", "canary-unreachable-Tk3")
	if !slices.Contains([]string{"failed"}, r.report["outcome"].(string)) {
		t.Errorf("outcome %v", r.report["outcome"])
	}
}
