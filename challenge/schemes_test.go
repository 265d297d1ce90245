package challenge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

func TestBasic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		realm string
		want  string
		err   error
	}{
		{"B1_realm_and_charset", "admin", `Basic realm="admin", charset="UTF-8"`, nil},
		{"B1_realm_with_spaces_and_commas", "Admin area, v2", `Basic realm="Admin area, v2", charset="UTF-8"`, nil},
		{"A5_realm_escaped", `a "b" \c`, `Basic realm="a \"b\" \\c", charset="UTF-8"`, nil},
		{"B1_empty_realm_rejected", "", "", challenge.ErrInvalidValue},
		{"A5_realm_CRLF_injection_rejected", "api\r\nSet-Cookie: session=x", "", challenge.ErrInvalidValue},
		{"A5_realm_LF_rejected", "api\nX: y", "", challenge.ErrInvalidValue},
		{"A5_realm_NUL_rejected", "api\x00", "", challenge.ErrInvalidValue},
		{"A5_realm_HTAB_rejected", "a\tb", "", challenge.ErrInvalidValue},
		{"A5_realm_DEL_rejected", "a\x7f", "", challenge.ErrInvalidValue},
		{"A5_realm_non_ASCII_rejected", "Zürich", "", challenge.ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := challenge.Basic(tt.realm)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !same(c, challenge.Challenge{}) {
					t.Fatalf("Basic(%q) = %s, %v; want zero challenge and %v", tt.realm, show(c), err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Format()
			if err != nil || got != tt.want {
				t.Fatalf("Basic(%q).Format() = %q, %v; want %q", tt.realm, got, err, tt.want)
			}
			if v, _ := c.Param("realm"); v != tt.realm {
				t.Fatalf("realm = %q", v)
			}
		})
	}
}

// TestBasicRules checks that Validate applies RFC 7617 to Basic challenges
// however they were built.
func TestBasicRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    challenge.Challenge
		err  error
	}{
		{"B1_realm_required", challenge.Challenge{Scheme: "Basic", Params: []P{{"charset", "UTF-8"}}}, challenge.ErrSyntax},
		{"B1_realm_not_empty", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", ""}}}, challenge.ErrSyntax},
		{"B1_scheme_alone_is_not_a_challenge", challenge.Challenge{Scheme: "Basic"}, challenge.ErrSyntax},
		{"B1_lower_case_scheme_same_rules", challenge.Challenge{Scheme: "basic", Params: []P{{"charset", "UTF-8"}}}, challenge.ErrSyntax},
		{"B2_charset_other_than_UTF8", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", "a"}, {"charset", "ISO-8859-1"}}}, challenge.ErrInvalidValue},
		{"B2_charset_UTF8_any_case", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", "a"}, {"Charset", "utf-8"}}}, nil},
		{"B1_realm_only", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", "a"}}}, nil},
		{"B6_unknown_params_allowed", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", "a"}, {"foo", "bar"}}}, nil},
		{"B3_credentials_token68", challenge.Challenge{Scheme: "Basic", Token68: "dXNlcjpwYXNz"}, nil},
		{"A3_duplicate_realm", challenge.Challenge{Scheme: "Basic", Params: []P{{"realm", "a"}, {"Realm", "a"}}}, challenge.ErrDuplicateParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.Validate()
			if (tt.err == nil) != (err == nil) || !errors.Is(err, tt.err) {
				t.Fatalf("Validate(%s) = %v; want %v", show(tt.c), err, tt.err)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	const md = "https://api.example.com/.well-known/oauth-protected-resource"
	tests := []struct {
		name string
		p    challenge.BearerParams
		want string
	}{
		{"C1_realm_only", challenge.BearerParams{Realm: "api"}, `Bearer realm="api"`},
		{"D1_resource_metadata_quoted", challenge.BearerParams{Realm: "api", ResourceMetadata: md}, `Bearer realm="api", resource_metadata="` + md + `"`},
		{"D1_resource_metadata_alone", challenge.BearerParams{ResourceMetadata: md}, `Bearer resource_metadata="` + md + `"`},
		{"C2_invalid_token", challenge.BearerParams{Realm: "api", Error: challenge.ErrorInvalidToken, ErrorDescription: "The access token expired."},
			`Bearer realm="api", error="invalid_token", error_description="The access token expired."`},
		{"C3_invalid_request", challenge.BearerParams{Realm: "api", Error: challenge.ErrorInvalidRequest},
			`Bearer realm="api", error="invalid_request"`},
		{"C4_insufficient_scope_with_scope", challenge.BearerParams{Error: challenge.ErrorInsufficientScope, Scope: "read:orders write:orders"},
			`Bearer scope="read:orders write:orders", error="insufficient_scope"`},
		{"C5_all_params_in_order", challenge.BearerParams{
			Realm: "api", Scope: "a b", Error: "invalid_token", ErrorDescription: "Bad token!",
			ErrorURI: "https://docs.example.com/errors?code=invalid_token#why", ResourceMetadata: md},
			`Bearer realm="api", scope="a b", error="invalid_token", error_description="Bad token!", error_uri="https://docs.example.com/errors?code=invalid_token#why", resource_metadata="` + md + `"`},
		{"C5_description_full_allowed_set", challenge.BearerParams{ErrorDescription: "x !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~"},
			"Bearer error_description=\"x !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\""},
		{"C5_scope_token_chars", challenge.BearerParams{Scope: "a!#[]^~ urn:x:y/z"}, `Bearer scope="a!#[]^~ urn:x:y/z"`},
		{"C5_error_uri_percent_encoded", challenge.BearerParams{ErrorURI: "https://x.example/a%20b"}, `Bearer error_uri="https://x.example/a%20b"`},
		{"C5_error_uri_other_scheme", challenge.BearerParams{ErrorURI: "urn:example:errors:expired"}, `Bearer error_uri="urn:example:errors:expired"`},
		{"A5_realm_escaped", challenge.BearerParams{Realm: `my "api"`}, `Bearer realm="my \"api\""`},
		{"D1_https_upper_case_scheme", challenge.BearerParams{ResourceMetadata: "HTTPS://x.example/m"}, `Bearer resource_metadata="HTTPS://x.example/m"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := challenge.Bearer(tt.p)
			if err != nil {
				t.Fatalf("Bearer(%+v): %v", tt.p, err)
			}
			got, err := c.Format()
			if err != nil || got != tt.want {
				t.Fatalf("Format() = %q, %v\nwant %q", got, err, tt.want)
			}
			back, err := challenge.Parse(got)
			if err != nil || len(back) != 1 || !same(back[0], c) {
				t.Fatalf("Parse(%q) = %s, %v", got, show(back...), err)
			}
		})
	}
}

func TestBearerRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    challenge.BearerParams
		err  error
	}{
		{"C1_no_params", challenge.BearerParams{}, challenge.ErrSyntax},
		{"A5_realm_CRLF", challenge.BearerParams{Realm: "api\r\nX-Injected: 1"}, challenge.ErrInvalidValue},
		{"C5_error_quote", challenge.BearerParams{Realm: "a", Error: `invalid"token`}, challenge.ErrInvalidValue},
		{"C5_error_backslash", challenge.BearerParams{Realm: "a", Error: `invalid\token`}, challenge.ErrInvalidValue},
		{"C5_error_non_ASCII", challenge.BearerParams{Realm: "a", Error: "invalid_tökén"}, challenge.ErrInvalidValue},
		{"C5_description_quote", challenge.BearerParams{Realm: "a", ErrorDescription: `token "abc" expired`}, challenge.ErrInvalidValue},
		{"C5_description_backslash", challenge.BearerParams{Realm: "a", ErrorDescription: `C:\path`}, challenge.ErrInvalidValue},
		{"C5_description_CRLF", challenge.BearerParams{Realm: "a", ErrorDescription: "expired\r\nSet-Cookie: a=b"}, challenge.ErrInvalidValue},
		{"C5_description_HTAB", challenge.BearerParams{Realm: "a", ErrorDescription: "a\tb"}, challenge.ErrInvalidValue},
		{"C5_description_DEL", challenge.BearerParams{Realm: "a", ErrorDescription: "a\x7f"}, challenge.ErrInvalidValue},
		{"C5_description_non_ASCII", challenge.BearerParams{Realm: "a", ErrorDescription: "abgelaufen – bitte"}, challenge.ErrInvalidValue},
		{"C5_scope_quote", challenge.BearerParams{Realm: "a", Scope: `read "all"`}, challenge.ErrInvalidValue},
		{"C5_scope_backslash", challenge.BearerParams{Realm: "a", Scope: `a\b`}, challenge.ErrInvalidValue},
		{"C5_scope_leading_space", challenge.BearerParams{Realm: "a", Scope: " read"}, challenge.ErrInvalidValue},
		{"C5_scope_trailing_space", challenge.BearerParams{Realm: "a", Scope: "read "}, challenge.ErrInvalidValue},
		{"C5_scope_double_space", challenge.BearerParams{Realm: "a", Scope: "read  write"}, challenge.ErrInvalidValue},
		{"C5_scope_HTAB_separator", challenge.BearerParams{Realm: "a", Scope: "read\twrite"}, challenge.ErrInvalidValue},
		{"C5_scope_LF", challenge.BearerParams{Realm: "a", Scope: "read\nwrite"}, challenge.ErrInvalidValue},
		{"C5_scope_non_ASCII", challenge.BearerParams{Realm: "a", Scope: "lesen:ü"}, challenge.ErrInvalidValue},
		{"C5_error_uri_relative", challenge.BearerParams{Realm: "a", ErrorURI: "/docs/errors"}, challenge.ErrInvalidValue},
		{"C5_error_uri_space", challenge.BearerParams{Realm: "a", ErrorURI: "https://x.example/a b"}, challenge.ErrInvalidValue},
		{"C5_error_uri_quote", challenge.BearerParams{Realm: "a", ErrorURI: `https://x.example/"`}, challenge.ErrInvalidValue},
		{"C5_error_uri_not_URI_char", challenge.BearerParams{Realm: "a", ErrorURI: "https://x.example/<script>"}, challenge.ErrInvalidValue},
		{"C5_error_uri_bad_percent", challenge.BearerParams{Realm: "a", ErrorURI: "https://x.example/%zz"}, challenge.ErrInvalidValue},
		{"C5_error_uri_truncated_percent", challenge.BearerParams{Realm: "a", ErrorURI: "https://x.example/%2"}, challenge.ErrInvalidValue},
		{"C5_error_uri_unparsable", challenge.BearerParams{Realm: "a", ErrorURI: "https://[::1/"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_http", challenge.BearerParams{Realm: "a", ResourceMetadata: "http://api.example.com/.well-known/oauth-protected-resource"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_relative", challenge.BearerParams{Realm: "a", ResourceMetadata: "/.well-known/oauth-protected-resource"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_no_host", challenge.BearerParams{Realm: "a", ResourceMetadata: "https:///x"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_opaque", challenge.BearerParams{Realm: "a", ResourceMetadata: "https:x"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_userinfo", challenge.BearerParams{Realm: "a", ResourceMetadata: "https://user:pw@api.example.com/m"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_space", challenge.BearerParams{Realm: "a", ResourceMetadata: "https://api.example.com/a b"}, challenge.ErrInvalidValue},
		{"D1_resource_metadata_CRLF", challenge.BearerParams{Realm: "a", ResourceMetadata: "https://api.example.com/\r\nX: y"}, challenge.ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := challenge.Bearer(tt.p)
			if !errors.Is(err, tt.err) || !same(c, challenge.Challenge{}) {
				t.Fatalf("Bearer(%+q) = %s, %v; want zero challenge and %v", tt.p, show(c), err, tt.err)
			}
			if i := messageSafe(err.Error()); i >= 0 {
				t.Fatalf("error %q has an unsafe byte at %d", err, i)
			}
		})
	}
}

// TestBearerRules checks that Validate, hence Format, applies RFC 6750 §3
// to a Bearer challenge built without the Bearer helper, the way a gate adds
// error parameters with With.
func TestBearerRules(t *testing.T) {
	t.Parallel()
	base, err := challenge.Bearer(challenge.BearerParams{Realm: "api"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    challenge.Challenge
		err  error
	}{
		{"C2_with_error_ok", base.With(P{"error", "invalid_token"}, P{"error_description", "The access token expired."}), nil},
		{"C1_bare_bearer", challenge.Challenge{Scheme: "Bearer"}, challenge.ErrSyntax},
		{"C1_bare_bearer_lower_case", challenge.Challenge{Scheme: "bearer", Params: []P{}}, challenge.ErrSyntax},
		{"C7_credentials_token68", challenge.Challenge{Scheme: "Bearer", Token68: "mF_9.B5f-4.1JqM"}, nil},
		{"C6_error_twice", base.With(P{"error", "invalid_token"}, P{"ERROR", "invalid_request"}), challenge.ErrDuplicateParam},
		{"C6_realm_twice", base.With(P{"realm", "api"}), challenge.ErrDuplicateParam},
		{"C6_scope_twice", base.With(P{"scope", "a"}, P{"Scope", "b"}), challenge.ErrDuplicateParam},
		{"C6_error_description_twice", base.With(P{"error_description", "a"}, P{"error_description", "a"}), challenge.ErrDuplicateParam},
		{"C6_error_uri_twice", base.With(P{"error_uri", "https://a.example/"}, P{"error_uri", "https://a.example/"}), challenge.ErrDuplicateParam},
		{"C5_description_quote_via_With", base.With(P{"error_description", `say "no"`}), challenge.ErrInvalidValue},
		{"C5_error_empty_via_With", base.With(P{"error", ""}), challenge.ErrInvalidValue},
		{"C5_description_empty_via_With", base.With(P{"error_description", ""}), challenge.ErrInvalidValue},
		{"C5_scope_empty_via_With", base.With(P{"scope", ""}), challenge.ErrInvalidValue},
		{"C5_error_uri_relative_via_With", base.With(P{"Error_URI", "errors.html"}), challenge.ErrInvalidValue},
		{"D1_resource_metadata_http_via_With", base.With(P{"resource_metadata", "http://x.example/"}), challenge.ErrInvalidValue},
		{"D1_resource_metadata_empty_via_With", base.With(P{"resource_metadata", ""}), challenge.ErrInvalidValue},
		{"C5_rules_apply_to_lower_case_scheme", challenge.Challenge{Scheme: "bearer", Params: []P{{"error", "a\\b"}}}, challenge.ErrInvalidValue},
		{"A4_realm_may_hold_quote", base.With(P{"foo", `a"b`}), nil},
		{"F1_other_scheme_not_bound", challenge.Challenge{Scheme: "DPoP", Params: []P{{"error_description", `a"b`}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := tt.c.Format()
			if (tt.err == nil) != (err == nil) || !errors.Is(err, tt.err) {
				t.Fatalf("Format(%s) = %q, %v; want %v", show(tt.c), s, err, tt.err)
			}
		})
	}
}

func TestCheckBearerParam(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, param, value string
		ok                 bool
	}{
		{"C5_empty_means_absent", "scope", "", true},
		{"C5_empty_error_uri_means_absent", "error_uri", "", true},
		{"C5_name_case_insensitive", "SCOPE", "a  b", false},
		{"C5_error_ok", "error", "invalid_token", true},
		{"C5_error_space_ok", "error", "a b", true},
		{"C5_error_quote", "error", `"`, false},
		{"C5_scope_ok", "scope", "openid profile", true},
		{"C5_scope_bang_ok", "scope", "!", true},
		{"C5_error_uri_ok", "error_uri", "https://e.example/x", true},
		{"C5_error_uri_space", "error_uri", "https://e.example/ x", false},
		{"D1_resource_metadata_ok", "resource_metadata", "https://e.example/.well-known/oauth-protected-resource/api", true},
		{"D1_resource_metadata_http", "Resource_Metadata", "http://e.example/", false},
		{"D1_resource_metadata_http_loopback_ok", "resource_metadata", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", true},
		{"D1_resource_metadata_http_localhost_ok", "resource_metadata", "http://localhost:8080/.well-known/oauth-protected-resource", true},
		{"D1_resource_metadata_http_ipv6_loopback_ok", "resource_metadata", "http://[::1]:8080/.well-known/oauth-protected-resource", true},
		{"D1_resource_metadata_http_localhost_suffix", "resource_metadata", "http://localhost.example.com/.well-known/oauth-protected-resource", false},
		{"D1_resource_metadata_http_private_ip", "resource_metadata", "http://10.0.0.1/.well-known/oauth-protected-resource", false},
		{"D1_resource_metadata_ftp_loopback", "resource_metadata", "ftp://127.0.0.1/.well-known/oauth-protected-resource", false},
		{"A4_realm_only_header_safety", "realm", `a "quoted" \ realm`, true},
		{"A5_realm_CR", "realm", "a\rb", false},
		{"A5_unknown_name_LF", "x-custom", "a\nb", false},
		{"A5_unknown_name_ok", "x-custom", "anything printable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := challenge.CheckBearerParam(tt.param, tt.value)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckBearerParam(%q, %q) = %v; want ok=%v", tt.param, tt.value, err, tt.ok)
			}
			if err != nil && !errors.Is(err, challenge.ErrInvalidValue) {
				t.Fatalf("error %v does not wrap ErrInvalidValue", err)
			}
		})
	}
	// A5: an error message never carries an unsafe byte from the name.
	err := challenge.CheckBearerParam("x\r\ny", "\n")
	if err == nil || messageSafe(err.Error()) >= 0 || strings.Contains(err.Error(), "\n") {
		t.Fatalf("CheckBearerParam with CRLF name: %q", err)
	}
}
