package doctor

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers/apikey"
)

// jwtOf builds an unsigned JWT-shaped token with the given claims JSON.
func jwtOf(claims string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`)) + "." + e([]byte(claims)) + "." + e([]byte("not-a-real-signature-0123456789"))
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	tok := jwtOf(`{"iss":"https://i.test","exp":2000000000}`)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name, value string
		kind        kind
		fault       string // substring of a fault, "" for none
	}{
		{"bearer_jwt", "Bearer " + tok, kindJWT, ""},
		{"scheme_case_insensitive", "bearer " + tok, kindJWT, ""},
		{"missing_prefix", tok, kindJWT, "without a scheme"},
		{"missing_prefix_quoted", `"` + tok + `"`, kindJWT, "without a scheme"},
		{"quotes", `Bearer "` + tok + `"`, kindJWT, "wrapped in quotes"},
		{"single_quotes", `Bearer '` + tok + `'`, kindJWT, "wrapped in quotes"},
		{"doubled_bearer", "Bearer Bearer " + tok, kindJWT, "appears twice"},
		{"inner_space", "Bearer " + tok[:20] + " " + tok[20:], kindOpaque, "white space"},
		{"shell_substitution", "Bearer $(cat token)", kindOpaque, "$(...) command substitution"},
		{"shell_variable", "Bearer $TOKEN", kindOpaque, "$VARIABLE"},
		{"shell_braces", "Bearer ${API_TOKEN}", kindOpaque, "${...} variable"},
		{"backticks", "Bearer `cat token`", kindOpaque, "command substitution"},
		{"empty", "", kindOpaque, "empty"},
		{"password_alone", "hunter2hunter2", kindOpaque, "single word that is no known scheme"},
		{"scheme_only", "Bearer", kindOpaque, "no credential after it"},
		{"bad_token68", "Bearer abc,def", kindOpaque, "not valid credentials syntax"},
		{"basic_ok", "Basic " + b64("admin:pw"), kindBasic, ""},
		{"basic_no_colon", "Basic " + b64("adminpw"), kindBasic, "no colon"},
		{"basic_unpadded", "Basic " + strings.TrimRight(b64("admin:p"), "="), kindBasic, "lacks its = padding"},
		{"basic_base64url", "Basic " + base64.URLEncoding.EncodeToString([]byte("adm>?:pw>>?")), kindBasic, "base64url"},
		{"basic_not_base64", "Basic admin:pw", kindBasic, "not base64"},
		{"basic_not_utf8", "Basic " + b64("adm\xffin:pw"), kindBasic, "not UTF-8"},
		{"basic_control", "Basic " + b64("admin:pw\n"), kindBasic, "control character"},
		{"basic_shell_password", "Basic " + b64("admin:$(pass show x)"), kindBasic, "password holds a literal $(...)"},
		{"basic_jwt", "Basic " + tok, kindJWT, "a JWT was sent with the Basic scheme"},
		{"basic_key_as_user", "Basic " + b64("ak_live_0123456789AB_abcdefghijklmnopqrstuv012345:"), kindBasic, "user name looks like a token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr := parseAuthorization(c.value)
			if cr.Kind != c.kind {
				t.Errorf("kind %q, want %q", cr.Kind, c.kind)
			}
			all := strings.Join(cr.Faults, " | ")
			if c.fault == "" && len(cr.Faults) > 0 {
				t.Errorf("faults %q, want none", all)
			}
			if c.fault != "" && !strings.Contains(all, c.fault) {
				t.Errorf("faults %q, want one saying %q", all, c.fault)
			}
		})
	}
}

func TestBasicUserShown(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct{ user, shown string }{
		{"admin", `"admin"`},
		{"alice@example.com", `"alice@example.com"`},
		{"ak_live_0123456789AB_abcdefghijklmnopqrstuv012345", "that looks like a credential, sha256:"},
		{jwtOf(`{}`), "that looks like a credential, sha256:"},
		{"xK9mQ2vL7pR4tY8wZ3nB6cD1", "that looks like a credential, sha256:"},
	} {
		cr := parseAuthorization("Basic " + b64(c.user+":secret-pw"))
		if !strings.HasPrefix(cr.UserShown, c.shown) {
			t.Errorf("user %.10s... shown as %q, want %q", c.user, cr.UserShown, c.shown)
		}
		if d := cr.describe(); strings.Contains(d, "secret-pw") || (c.shown != `"`+c.user+`"` && strings.Contains(d, c.user)) {
			t.Errorf("describe %q shows the password or a credential-like user", d)
		}
	}
}

func TestFindCredentials(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-API-Key", "ak_live_x")
	h.Set("X-Custom-Key", "custom-secret-value")
	cs := findCredentials(h, "https://api.test/v1?access_token=abc.def&page=2", []string{"X-Custom-Key"})
	var where []string
	for _, c := range cs {
		where = append(where, c.Where)
	}
	got := strings.Join(where, ", ")
	if got != "X-Custom-Key header, X-Api-Key header, query parameter access_token" {
		t.Errorf("found %s", got)
	}
}

func TestDecodeJWT(t *testing.T) {
	t.Parallel()
	j := decodeJWT(jwtOf(`{"iss":"https://i.test","aud":"https://a.test","exp":2000000000,"nbf":1000000000,"iat":1000000000,"nonce":"n"}`))
	if j.Err != "" || j.Iss != "https://i.test" || len(j.Aud) != 1 || j.Aud[0] != "https://a.test" || j.Exp.Unix() != 2000000000 || !j.IDToken {
		t.Errorf("decoded %+v", j)
	}
	j = decodeJWT(jwtOf(`{"aud":["a","b"],"exp":"soon"}`))
	if len(j.Aud) != 2 || j.Exp != nil {
		t.Errorf("aud list or a non-numeric exp: %+v", j)
	}
	for _, bad := range []string{"eyJ!.e30.x", "eyJhbGciOiJub25lIn0.bm90IGpzb24.x", "eyJub3QganNvbg.e30.x"} {
		if j := decodeJWT(bad); j.Err == "" {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

func TestCheckAt(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	j := &jwtInfo{Exp: at(-time.Minute), Iat: at(-time.Hour)}
	if c := j.checkAt(now, timeTolerance); !c.expired || c.expiredAgo != time.Minute {
		t.Errorf("expired: %+v", c)
	}
	j = &jwtInfo{Exp: at(time.Hour), Iat: at(30 * time.Second)} // within the leeway
	if c := j.checkAt(now, timeTolerance); c.bad() {
		t.Errorf("iat 30s ahead is within the leeway: %+v", c)
	}
	j = &jwtInfo{Exp: at(time.Hour), Nbf: at(10 * time.Minute)}
	if c := j.checkAt(now, timeTolerance); !c.notYet || c.earlyBy != 10*time.Minute {
		t.Errorf("nbf 10m ahead: %+v", c)
	}
}

func TestLooksLikeCredential(t *testing.T) {
	t.Parallel()
	key, err := apikey.Generate("ak", "live")
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"admin": false, "alice@example.com": false, "service-account-reports": false, "Jean-Pierre Dupont": false,
		key.Reveal(): true, jwtOf(`{}`): true, "ghp_16C7e42F292c6912E7710c838347Ae178B4a": true,
	} {
		if got := looksLikeCredential(s); got != want {
			t.Errorf("looksLikeCredential(%.12q) = %v, want %v", s, got, want)
		}
	}
}

func TestScrubber(t *testing.T) {
	t.Parallel()
	var s Scrubber
	s.add("super-secret-token")
	s.add("abc") // too short to scrub without blanking words
	in := "got super-secret-token and " + base64.StdEncoding.EncodeToString([]byte("super-secret-token")) + " abc"
	if got := s.Scrub(in); got != "got [credential] and [credential] abc" {
		t.Errorf("Scrub: %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://api.test/v1?access_token=s3cr3t&page=2": "https://api.test/v1?access_token=[credential]&page=2",
		"https://user:pw@api.test/v1":                    "https://%5Bcredential%5D@api.test/v1",
		"https://api.test/v1?page=2":                     "https://api.test/v1?page=2",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWellKnownResourceURL(t *testing.T) {
	t.Parallel()
	// RFC 9728 §3.1: the well-known segment goes between host and path.
	for in, want := range map[string]string{
		"https://api.test/v1/me?x=1": "https://api.test/.well-known/oauth-protected-resource/v1/me",
		"https://api.test":           "https://api.test/.well-known/oauth-protected-resource",
		"https://api.test/":          "https://api.test/.well-known/oauth-protected-resource",
	} {
		if got, _ := wellKnownResourceURL(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestPreflightHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("Authorization", "x")
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "x")
	h.Set("X-API-Key", "x")
	if got := strings.Join(preflightHeaders(h), ","); got != "authorization,content-type,x-api-key" {
		t.Errorf("preflight asks for %s", got)
	}
	h = http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if needsPreflight(http.MethodPost, h) {
		t.Error("a text/plain POST is a simple request")
	}
	if !needsPreflight(http.MethodDelete, http.Header{}) {
		t.Error("DELETE needs a preflight")
	}
}

// TestDescribeNeverShowsUnknownScheme: a first word that is no known
// scheme may be the credential itself (a password pasted alone, a token
// with its own prefix), so it is described by its length only.
func TestDescribeNeverShowsUnknownScheme(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"hunter2hunter2", "sk_live_51Hx canary", "Tok3n-canary x"} {
		c := parseAuthorization(v)
		w, _, _ := strings.Cut(v, " ")
		if out := c.describe() + strings.Join(c.Faults, " "); strings.Contains(out, w) {
			t.Errorf("%q is shown: %s", w, out)
		}
	}
}
