package bearer

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

func TestTransport(t *testing.T) {
	t.Parallel()
	keys := []map[string]any{jwkOf(fx.ec, "ec1", "ES256")}
	plain := staticVerifier(t, keys)
	both := staticVerifier(t, keys, WithQueryTokens(), WithFormTokens())
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	big := strings.Repeat("a", DefaultMaxTokenBytes+1)

	formAt := func(method, target, ct, body string) *http.Request {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
	form := func(method, ct, body string) *http.Request { return formAt(method, "/r", ct, body) }
	withAuth := func(r *http.Request, v string) *http.Request { r.Header.Set("Authorization", v); return r }
	get := func(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }

	tests := []struct {
		name   string
		v      *Verifier
		r      *http.Request
		reason verifiers.Reason // "" = success
		none   bool             // ErrNoCredentials
		src    verifiers.Source
	}{
		{name: "C7_header", v: plain, r: bearerReq(tok)},
		{name: "A6_scheme_case_insensitive_lower", v: plain, r: withAuth(get("/"), "bearer "+tok)},
		{name: "A6_scheme_case_insensitive_upper", v: plain, r: withAuth(get("/"), "BEARER "+tok)},
		{name: "C7_extra_spaces_trimmed", v: plain, r: withAuth(get("/"), "Bearer   "+tok+"  ")},
		{name: "C1_no_header_is_no_credentials", v: plain, r: get("/"), none: true},
		{name: "C1_other_scheme_is_no_credentials", v: plain, r: withAuth(get("/"), "Basic dXNlcjpwdw=="), none: true},
		{name: "C3_empty_bearer_is_request_malformed", v: plain, r: withAuth(get("/"), "Bearer"), reason: verifiers.RequestMalformed},
		{name: "C3_empty_bearer_with_spaces", v: plain, r: withAuth(get("/"), "Bearer    "), reason: verifiers.RequestMalformed},
		{name: "H1_token_over_cap_before_parsing", v: plain, r: bearerReq(big), reason: verifiers.CredentialsTooLarge},
		{name: "E11_token_at_cap_is_parsed", v: plain, r: bearerReq(big[:DefaultMaxTokenBytes]), reason: verifiers.TokenMalformed},
		{name: "C9_query_off_by_default", v: plain, r: get("/?access_token=" + tok), none: true},
		{name: "C9_query_when_enabled", v: both, r: get("/?access_token=" + url.QueryEscape(tok)), src: verifiers.Source{In: verifiers.InQuery, Name: "access_token"}},
		{name: "C9_query_escaped_name_seen", v: both, r: get("/?access%5Ftoken=" + tok), src: verifiers.Source{In: verifiers.InQuery, Name: "access_token"}},
		{name: "C9_query_escaped_letter_seen", v: both, r: get("/?x=1&%61ccess_token=" + tok), src: verifiers.Source{In: verifiers.InQuery, Name: "access_token"}},
		{name: "C9_query_escaped_name_off_by_default", v: plain, r: get("/?access%5Ftoken=" + tok), none: true},
		{name: "C3_header_and_escaped_query", v: both, r: withAuth(get("/?access%5Ftoken="+tok), "Bearer "+tok), reason: verifiers.RequestMalformed},
		{name: "C3_query_twice_one_escaped", v: both, r: get("/?access_token=" + tok + "&access%5ftoken=" + tok), reason: verifiers.RequestMalformed},
		{name: "C8_form_escaped_name_seen", v: both, r: form("POST", "application/x-www-form-urlencoded", "access%5Ftoken="+tok), src: verifiers.Source{In: verifiers.InForm, Name: "access_token"}},
		{name: "C3_header_and_escaped_form", v: both, r: withAuth(form("POST", "application/x-www-form-urlencoded", "%61ccess_token="+tok), "Bearer "+tok), reason: verifiers.RequestMalformed},
		{name: "C9_query_empty_is_malformed_request", v: both, r: get("/?access_token="), reason: verifiers.RequestMalformed},
		{name: "C3_query_twice", v: both, r: get("/?access_token=" + tok + "&access_token=" + tok), reason: verifiers.RequestMalformed},
		{name: "H1_query_token_over_cap", v: both, r: get("/?access_token=" + big), reason: verifiers.CredentialsTooLarge},
		{name: "C8_form_off_by_default", v: plain, r: form("POST", "application/x-www-form-urlencoded", "access_token="+tok), none: true},
		{name: "C8_form_when_enabled", v: both, r: form("POST", "application/x-www-form-urlencoded", "a=1&access_token="+tok), src: verifiers.Source{In: verifiers.InForm, Name: "access_token"}},
		{name: "C8_form_content_type_with_charset", v: both, r: form("PUT", "application/x-www-form-urlencoded; charset=utf-8", "access_token="+tok), src: verifiers.Source{In: verifiers.InForm, Name: "access_token"}},
		{name: "C8_form_never_on_GET", v: both, r: form("GET", "application/x-www-form-urlencoded", "access_token="+tok), none: true},
		{name: "C8_form_only_urlencoded", v: both, r: form("POST", "multipart/form-data; boundary=x", "access_token="+tok), none: true},
		{name: "C8_form_json_body_ignored", v: both, r: form("POST", "application/json", `{"access_token":"`+tok+`"}`), none: true},
		{name: "C3_form_twice", v: both, r: form("POST", "application/x-www-form-urlencoded", "access_token=a&access_token=b"), reason: verifiers.RequestMalformed},
		{name: "C3_header_and_query", v: both, r: withAuth(get("/?access_token="+tok), "Bearer "+tok), reason: verifiers.RequestMalformed},
		{name: "C3_header_and_form", v: both, r: withAuth(form("POST", "application/x-www-form-urlencoded", "access_token="+tok), "Bearer "+tok), reason: verifiers.RequestMalformed},
		{name: "C3_query_and_form", v: both, r: formAt("POST", "/r?access_token="+tok, "application/x-www-form-urlencoded", "access_token="+tok), reason: verifiers.RequestMalformed},
		{name: "C3_two_authorization_fields", v: plain, r: func() *http.Request {
			r := bearerReq(tok)
			r.Header.Add("Authorization", "Bearer "+tok)
			return r
		}(), reason: verifiers.RequestMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.v.Verify(tc.r)
			switch {
			case tc.none:
				if !errors.Is(err, verifiers.ErrNoCredentials) {
					t.Fatalf("err = %v, want ErrNoCredentials", err)
				}
			case tc.reason != "":
				rej := wantReject(t, err, tc.reason)
				if strings.Contains(rej.Error(), tok) || strings.Contains(rej.Error(), big[:64]) {
					t.Fatalf("rejection holds the token: %v", rej)
				}
			default:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if id.Source != tc.src {
					t.Fatalf("Source = %+v, want %+v", id.Source, tc.src)
				}
				if id.Subject != "user-42" || id.Scheme != verifiers.SchemeBearer {
					t.Fatalf("identity = %+v", id)
				}
			}
		})
	}
}

func TestTransport_C8_form_body_stays_readable(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, []map[string]any{jwkOf(fx.ec, "ec1", "ES256")}, WithFormTokens())
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	body := "x=1&access_token=" + tok + "&y=2"
	r := httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r.Body)
	if string(got) != body {
		t.Fatalf("handler would read %q, want the whole body", got)
	}
	if err := r.Body.Close(); err != nil {
		t.Fatal(err)
	}

	// A body over the form limit is not searched, and is given back whole.
	long := "access_token=" + tok + "&pad=" + strings.Repeat("p", DefaultMaxFormBytes)
	r = httptest.NewRequest(http.MethodPost, "/r", strings.NewReader(long))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := v.Verify(r); !errors.Is(err, verifiers.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials for a body over the form limit", err)
	}
	got, _ = io.ReadAll(r.Body)
	if string(got) != long {
		t.Fatalf("long body not given back whole (%d of %d bytes)", len(got), len(long))
	}
}

func TestChallenge_C1_no_error_param(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, []map[string]any{jwkOf(fx.ec, "ec1", "ES256")})
	if got, _ := v.Challenge().Format(); got != `Bearer realm="api"` {
		t.Fatalf("challenge = %s", got)
	}
	v2 := staticVerifier(t, []map[string]any{jwkOf(fx.ec, "ec1", "ES256")},
		WithRealm("orders"), WithResourceMetadata("https://api.example.com/.well-known/oauth-protected-resource"))
	got, _ := v2.Challenge().Format()
	if got != `Bearer realm="orders", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"` {
		t.Fatalf("challenge = %s", got)
	}
	for _, name := range []string{"error", "error_description", "error_uri", "scope"} {
		if _, ok := v2.Challenge().Param(name); ok {
			t.Errorf("base challenge has %s", name)
		}
	}
	if _, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(jwkOf(fx.ec, "ec1", "ES256")))}},
		WithResourceMetadata("http://insecure.example/meta"), quiet()); !errors.Is(err, challenge.ErrInvalidValue) {
		t.Fatalf("D1 http resource_metadata: err = %v, want ErrInvalidValue", err)
	}
}

// TestTransport_C9_escaped_query_name_is_the_same_parameter: the gate and
// the handler read the query the same way (r.URL.Query()): with query
// tokens on, a token under an escaped name is the handler's access_token,
// so the gate verifies it; with them off, it is noticed exactly where the
// plain name is: the request has no credentials, and the hint says a
// credential was sent in the query string.
func TestTransport_C9_escaped_query_name_is_the_same_parameter(t *testing.T) {
	t.Parallel()
	keys := []map[string]any{jwkOf(fx.ec, "ec1", "ES256")}
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	forged := flipSig(tok)
	on := staticVerifier(t, keys, WithQueryTokens())
	off := staticVerifier(t, keys)
	for _, name := range []string{"access_token", "access%5Ftoken", "access%5ftoken", "%61ccess_token", "%61%63%63%65%73%73%5F%74%6F%6B%65%6E"} {
		r := httptest.NewRequest(http.MethodGet, "/r?"+name+"="+forged, nil)
		if got := r.URL.Query().Get("access_token"); got != forged {
			t.Fatalf("%s: the handler would not see the token (%q)", name, got)
		}
		res := throughGate(t, on, r)
		if res.status != 401 || res.refusal(t)["reason"] != string(verifiers.TokenSignatureInvalid) {
			t.Errorf("%s, query tokens on: status %d, want the forged token verified and refused: %s", name, res.status, res.raw)
		}
		res.noSecret(t, forged)

		res = throughGate(t, off, httptest.NewRequest(http.MethodGet, "/r?"+name+"="+tok, nil))
		ev := res.refusal(t)
		if res.status != 401 || ev["reason"] != string(verifiers.CredentialsMissing) ||
			ev["hint"] != "a credential was sent in the query string (access_token), which this route does not read; send it in the Authorization header" {
			t.Errorf("%s, query tokens off: status %d, event %v", name, res.status, ev)
		}
		res.noSecret(t, tok)
	}
}
