package challenge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

type C = challenge.Challenge

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []string
		want   []C
	}{
		{"A2_rfc9110_11_6_1_example",
			[]string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			[]C{
				{Scheme: "Newauth", Params: []P{{"realm", "apps"}, {"type", "1"}, {"title", `Login to "apps"`}}},
				{Scheme: "Basic", Params: []P{{"realm", "simple"}}},
			}},
		{"A7_several_challenges_one_field",
			[]string{`Bearer realm="api", error="invalid_token", Basic realm="api", charset="UTF-8", Negotiate`},
			[]C{
				{Scheme: "Bearer", Params: []P{{"realm", "api"}, {"error", "invalid_token"}}},
				{Scheme: "Basic", Params: []P{{"realm", "api"}, {"charset", "UTF-8"}}},
				{Scheme: "Negotiate"},
			}},
		{"A7_challenges_across_fields",
			[]string{`Bearer realm="api"`, `Basic realm="api", charset="UTF-8"`, `Negotiate abc==, Custom`},
			[]C{
				{Scheme: "Bearer", Params: []P{{"realm", "api"}}},
				{Scheme: "Basic", Params: []P{{"realm", "api"}, {"charset", "UTF-8"}}},
				{Scheme: "Negotiate", Token68: "abc=="},
				{Scheme: "Custom"},
			}},
		{"A2_commas_inside_quoted_strings",
			[]string{`Bearer realm="a, b", error_description="x, Basic realm=y", Basic realm=","`},
			[]C{
				{Scheme: "Bearer", Params: []P{{"realm", "a, b"}, {"error_description", "x, Basic realm=y"}}},
				{Scheme: "Basic", Params: []P{{"realm", ","}}},
			}},
		{"A2_token68_base64", []string{`Basic dXNlcjpwYXNz`}, []C{{Scheme: "Basic", Token68: "dXNlcjpwYXNz"}}},
		{"A2_token68_padding", []string{`Negotiate abc==`}, []C{{Scheme: "Negotiate", Token68: "abc=="}}},
		{"A2_token68_single_padding", []string{`Negotiate abc=`}, []C{{Scheme: "Negotiate", Token68: "abc="}}},
		{"A2_token68_all_chars", []string{`X aZ09-._~+/==`}, []C{{Scheme: "X", Token68: "aZ09-._~+/=="}}},
		{"A2_token68_starting_with_slash", []string{`X /abc`}, []C{{Scheme: "X", Token68: "/abc"}}},
		{"A2_token68_then_challenge", []string{`Negotiate abc==, Basic realm="x"`},
			[]C{{Scheme: "Negotiate", Token68: "abc=="}, {Scheme: "Basic", Params: []P{{"realm", "x"}}}}},
		{"A2_token68_trailing_OWS", []string{"Negotiate abc== \t, Basic realm=\"x\""},
			[]C{{Scheme: "Negotiate", Token68: "abc=="}, {Scheme: "Basic", Params: []P{{"realm", "x"}}}}},
		{"A2_name_equals_nothing_is_token68", []string{`Basic realm=`}, []C{{Scheme: "Basic", Token68: "realm="}}},
		{"A2_name_equals_token_is_param", []string{`Basic realm=x`}, []C{{Scheme: "Basic", Params: []P{{"realm", "x"}}}}},
		{"A2_bare_name_after_params_is_next_challenge", []string{`Basic realm="a", charset`},
			[]C{{Scheme: "Basic", Params: []P{{"realm", "a"}}}, {Scheme: "charset"}}},
		{"A2_token_values", []string{`Custom a=1, b=x.y-z, c=!#$%&'*+-.^_|~`},
			[]C{{Scheme: "Custom", Params: []P{{"a", "1"}, {"b", "x.y-z"}, {"c", "!#$%&'*+-.^_|~"}}}}},
		{"A2_BWS_around_equals", []string{"Basic realm = \"x\" ,\tcharset=\t UTF-8 "},
			[]C{{Scheme: "Basic", Params: []P{{"realm", "x"}, {"charset", "UTF-8"}}}}},
		{"A2_several_spaces_after_scheme", []string{`Basic    realm="x"`}, []C{{Scheme: "Basic", Params: []P{{"realm", "x"}}}}},
		{"A2_empty_list_elements", []string{` , ,Basic realm="a",, ,Bearer realm="b" , c=d ,, e="f",, `},
			[]C{
				{Scheme: "Basic", Params: []P{{"realm", "a"}}},
				{Scheme: "Bearer", Params: []P{{"realm", "b"}, {"c", "d"}, {"e", "f"}}},
			}},
		{"A2_scheme_only_list", []string{`Negotiate, NTLM,Custom`}, []C{{Scheme: "Negotiate"}, {Scheme: "NTLM"}, {Scheme: "Custom"}}},
		{"A2_scheme_trailing_space", []string{"Negotiate "}, []C{{Scheme: "Negotiate"}}},
		{"A2_scheme_trailing_tab", []string{"Negotiate\t, Basic realm=x"}, []C{{Scheme: "Negotiate"}, {Scheme: "Basic", Params: []P{{"realm", "x"}}}}},
		{"A5_quoted_pair_unescaped", []string{`X a="\a\"\\\ ", b="", c="\""`},
			[]C{{Scheme: "X", Params: []P{{"a", `a"\ `}, {"b", ""}, {"c", `"`}}}}},
		{"A5_quoted_string_may_hold_HTAB_and_obs_text", []string{"X a=\"tab\there\", b=\"caf\xc3\xa9\", c=\"\\\t\""},
			[]C{{Scheme: "X", Params: []P{{"a", "tab\there"}, {"b", "caf\xc3\xa9"}, {"c", "\t"}}}}},
		{"A6_names_kept_as_sent", []string{`bAsIc REALM="x", ChArSeT="utf-8"`},
			[]C{{Scheme: "bAsIc", Params: []P{{"REALM", "x"}, {"ChArSeT", "utf-8"}}}}},
		{"D1_resource_metadata", []string{`Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", scope="files:read"`},
			[]C{{Scheme: "Bearer", Params: []P{{"resource_metadata", "https://api.example.com/.well-known/oauth-protected-resource"}, {"scope", "files:read"}}}}},
		{"A2_no_fields", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := challenge.Parse(tt.fields...)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.fields, err)
			}
			if !sameList(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %s\nwant %s", tt.fields, show(got...), show(tt.want...))
			}
		})
	}
}

func TestParseCaseInsensitiveAccess(t *testing.T) {
	t.Parallel()
	cs, err := challenge.Parse(`bEaReR REALM="api", Error="invalid_token"`)
	if err != nil || len(cs) != 1 {
		t.Fatalf("Parse: %s, %v", show(cs...), err)
	}
	c := cs[0]
	if !c.Is("Bearer") || !c.Is("BEARER") {
		t.Error("A6: Is does not match the scheme ignoring case")
	}
	if v, ok := c.Param("realm"); !ok || v != "api" {
		t.Errorf("A6: Param(realm) = %q, %v", v, ok)
	}
	if v, ok := c.Param("ERROR"); !ok || v != "invalid_token" {
		t.Errorf("A6: Param(ERROR) = %q, %v", v, ok)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", challenge.MaxFieldLength+1)
	half := "Basic realm=\"" + strings.Repeat("a", challenge.MaxFieldLength/2) + "\""
	tests := []struct {
		name   string
		fields []string
		err    error
		field  int
		offset int
	}{
		{"A3_duplicate_param", []string{`Basic realm="a", REALM="b"`}, challenge.ErrDuplicateParam, 0, 17},
		{"A3_duplicate_param_token_values", []string{`X a=1, b=2, a=3`}, challenge.ErrDuplicateParam, 0, 12},
		{"A3_duplicate_param_across_empty_elements", []string{`X a=1, ,, A=1`}, challenge.ErrDuplicateParam, 0, 10},
		{"A3_duplicate_among_many", []string{manyParamsField(30) + `, p17=x`}, challenge.ErrDuplicateParam, 0, len(manyParamsField(30)) + 2},
		{"A2_unterminated_quoted_string", []string{`Basic realm="abc`}, challenge.ErrSyntax, 0, 12},
		{"A2_quoted_string_ends_in_backslash", []string{`Basic realm="abc\`}, challenge.ErrSyntax, 0, 12},
		{"A5_CR_in_quoted_string", []string{"Basic realm=\"a\rb\""}, challenge.ErrSyntax, 0, 14},
		{"A5_LF_in_quoted_string", []string{"Basic realm=\"a\nb\""}, challenge.ErrSyntax, 0, 14},
		{"A5_NUL_in_quoted_string", []string{"X a=\"b\x00\""}, challenge.ErrSyntax, 0, 6},
		{"A5_DEL_in_quoted_string", []string{"X a=\"b\x7f\""}, challenge.ErrSyntax, 0, 6},
		{"A5_LF_in_quoted_pair", []string{"X a=\"\\\n\""}, challenge.ErrSyntax, 0, 6},
		{"A5_DEL_in_quoted_pair", []string{"X a=\"\\\x7f\""}, challenge.ErrSyntax, 0, 6},
		{"A5_CRLF_after_param", []string{"Basic realm=\"a\"\r\nX: y"}, challenge.ErrSyntax, 0, 15},
		{"A2_tab_instead_of_space_after_scheme", []string{"Basic\trealm=\"x\""}, challenge.ErrSyntax, 0, 5},
		{"A2_invalid_char_in_scheme", []string{`Bas/ic realm="x"`}, challenge.ErrSyntax, 0, 3},
		{"A2_non_ASCII_scheme", []string{"B\xc3\xa4sic realm=\"x\""}, challenge.ErrSyntax, 0, 1},
		{"A2_empty_field", []string{""}, challenge.ErrSyntax, 0, 0},
		{"A2_field_of_empty_elements", []string{", ,"}, challenge.ErrSyntax, 0, 3},
		{"A2_empty_second_field", []string{`Basic realm="x"`, " "}, challenge.ErrSyntax, 1, 1},
		{"A2_junk_after_token68", []string{`Negotiate abc def`}, challenge.ErrSyntax, 0, 14},
		{"A2_equals_inside_token68", []string{`Negotiate abc=def=`}, challenge.ErrSyntax, 0, 17},
		{"A2_padding_only_token68", []string{`Basic ==`}, challenge.ErrSyntax, 0, 6},
		{"A2_quote_where_token68_expected", []string{`Basic "x"`}, challenge.ErrSyntax, 0, 6},
		{"A2_missing_comma_between_params", []string{`Basic realm="a" charset="b"`}, challenge.ErrSyntax, 0, 16},
		{"A2_missing_comma_between_challenges", []string{`Basic realm="a" Bearer realm="b"`}, challenge.ErrSyntax, 0, 16},
		{"A2_junk_after_quoted_string", []string{`Basic realm="a"b`}, challenge.ErrSyntax, 0, 15},
		{"A2_param_value_not_token", []string{`Basic realm=a/b`}, challenge.ErrSyntax, 0, 13},
		{"A2_param_without_name", []string{`Basic realm="a", =x`}, challenge.ErrSyntax, 0, 17},
		{"A2_param_after_token68", []string{`Negotiate abc, realm="x"`}, challenge.ErrSyntax, 0, 20},
		{"A2_junk_after_scheme_only", []string{`Negotiate;`}, challenge.ErrSyntax, 0, 9},
		{"A2_error_in_second_field", []string{`Basic realm="a"`, `Bearer realm="b`}, challenge.ErrSyntax, 1, 13},
		{"H1_too_large", []string{big}, challenge.ErrTooLarge, 0, 0},
		{"H1_too_large_summed_over_fields", []string{half, half}, challenge.ErrTooLarge, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := challenge.Parse(tt.fields...)
			if !errors.Is(err, tt.err) || got != nil {
				t.Fatalf("Parse = %s, %v; want %v", show(got...), err, tt.err)
			}
			var pe *challenge.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Field != tt.field || pe.Offset != tt.offset {
				t.Fatalf("error at field %d byte %d, want field %d byte %d: %v", pe.Field, pe.Offset, tt.field, tt.offset, err)
			}
			if i := messageSafe(err.Error()); i >= 0 {
				t.Fatalf("error message %q has an unsafe byte at %d", err, i)
			}
		})
	}
}

func manyParamsField(n int) string {
	var b strings.Builder
	b.WriteString("X ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("p" + itoa(i) + "=v")
	}
	return b.String()
}

func TestParseMaxFieldLength(t *testing.T) {
	t.Parallel()
	// H1: exactly MaxFieldLength bytes still parse.
	v := strings.Repeat("a", challenge.MaxFieldLength-len(`Basic realm=""`))
	field := `Basic realm="` + v + `"`
	cs, err := challenge.Parse(field)
	if err != nil || len(cs) != 1 || len(field) != challenge.MaxFieldLength {
		t.Fatalf("Parse of %d bytes: %v", len(field), err)
	}
	if _, err := challenge.Parse(field + " "); !errors.Is(err, challenge.ErrTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
}

func TestParseErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []string
		want   string
	}{
		{"A2_syntax", []string{`Basic realm="abc`}, "challenge: syntax error: unterminated quoted-string at byte 12 of field 0"},
		{"A2_found_byte", []string{`Basic realm="a" charset="b"`}, `challenge: syntax error: expected ',' after auth-param "realm", found 'c' at byte 16 of field 0`},
		{"A2_found_non_ASCII_byte", []string{"X\xff"}, "challenge: syntax error: invalid character in auth-scheme, found byte 0xff at byte 1 of field 0"},
		{"A3_duplicate", []string{`x`, `Basic realm="a", realm="b"`}, `challenge: duplicate auth-param: parameter "realm" repeated in one challenge at byte 17 of field 1`},
		{"A5_control", []string{"X a=\"\x01\""}, "challenge: syntax error: control character 0x01 in quoted-string at byte 5 of field 0"},
		{"H1_too_large", []string{strings.Repeat("a", challenge.MaxFieldLength+1)}, "challenge: field value too large: 16385 bytes, limit 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := challenge.Parse(tt.fields...)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field string
		want  C
	}{
		{"B3_basic_token68", "Basic dXNlcjpwYXNz", C{Scheme: "Basic", Token68: "dXNlcjpwYXNz"}},
		{"B3_basic_padding", "Basic dXNlcjpwYXNzMQ==", C{Scheme: "Basic", Token68: "dXNlcjpwYXNzMQ=="}},
		{"C7_bearer_b64token", "Bearer mF_9.B5f-4.1JqM", C{Scheme: "Bearer", Token68: "mF_9.B5f-4.1JqM"}},
		{"C7_bearer_jwt", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", C{Scheme: "Bearer", Token68: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}},
		{"C7_bearer_all_b64token_chars", "Bearer aZ09-._~+/==", C{Scheme: "Bearer", Token68: "aZ09-._~+/=="}},
		{"A6_scheme_case_kept", "bEARER abc", C{Scheme: "bEARER", Token68: "abc"}},
		{"A2_surrounding_OWS", " \t Bearer   abc \t", C{Scheme: "Bearer", Token68: "abc"}},
		{"A2_auth_params", `Digest username="Mufasa", realm="http-auth@example.org", nc=00000001`,
			C{Scheme: "Digest", Params: []P{{"username", "Mufasa"}, {"realm", "http-auth@example.org"}, {"nc", "00000001"}}}},
		{"C7_equals_inside_is_params_not_token68", "Bearer abc=def", C{Scheme: "Bearer", Params: []P{{"abc", "def"}}}},
		{"A2_scheme_only", "Bearer", C{Scheme: "Bearer"}},
		{"A2_scheme_trailing_space", "Bearer ", C{Scheme: "Bearer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := challenge.ParseCredentials(tt.field)
			if err != nil || !same(got, tt.want) {
				t.Fatalf("ParseCredentials(%q) = %s, %v; want %s", tt.field, show(got), err, show(tt.want))
			}
		})
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		field  string
		err    error
		offset int
	}{
		{"A2_empty", "", challenge.ErrSyntax, 0},
		{"A2_spaces_only", "   ", challenge.ErrSyntax, 3},
		{"C7_trailing_junk", "Bearer abc def", challenge.ErrSyntax, 11},
		{"C7_trailing_junk_after_padding", "Bearer abc==x", challenge.ErrSyntax, 12},
		{"C3_two_credentials", "Basic abc, Bearer xyz", challenge.ErrSyntax, 9},
		{"C3_trailing_comma", "Bearer abc,", challenge.ErrSyntax, 10},
		{"C7_quoted_token", `Bearer "abc"`, challenge.ErrSyntax, 7},
		{"A2_tab_after_scheme", "Bearer\tabc", challenge.ErrSyntax, 6},
		{"A5_CRLF_after_token", "Bearer abc\r\n", challenge.ErrSyntax, 10},
		{"A5_NUL_in_token", "Bearer ab\x00c", challenge.ErrSyntax, 9},
		{"A5_non_ASCII_in_token", "Bearer ab\xc3\xa9", challenge.ErrSyntax, 9},
		{"A3_duplicate_param", `Digest a="1", A="2"`, challenge.ErrDuplicateParam, 14},
		{"A2_unterminated", `Digest a="1`, challenge.ErrSyntax, 9},
		{"H1_too_large", "Bearer " + strings.Repeat("a", challenge.MaxFieldLength), challenge.ErrTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := challenge.ParseCredentials(tt.field)
			if !errors.Is(err, tt.err) || !same(got, C{}) {
				t.Fatalf("ParseCredentials(%q) = %s, %v; want zero and %v", tt.field, show(got), err, tt.err)
			}
			var pe *challenge.ParseError
			if !errors.As(err, &pe) || pe.Offset != tt.offset || pe.Field != 0 {
				t.Fatalf("error %#v, want offset %d", err, tt.offset)
			}
		})
	}
}

// TestParseCredentialsNeverEchoes checks I2: an error from ParseCredentials
// holds no byte of its input, which is a credential.
func TestParseCredentialsNeverEchoes(t *testing.T) {
	t.Parallel()
	const canary = "SECRETcanary"
	inputs := []string{
		"Bearer " + canary + " " + canary,
		"Bearer " + canary + "!",
		"Bearer \"" + canary + "\"",
		"Basic " + canary + ", Basic " + canary,
		"Bearer " + canary + "=x, " + canary + "=y",
		"Bearer " + canary + "=x " + canary,
		"Bearer x=\"" + canary + "\x01\"",
		"Bearer x=\"" + canary + "\\\x01\"",
		"Bearer x=\"" + canary,
		canary + "/" + canary,
		canary + "\t" + canary,
		"Bearer " + canary + "\xff",
		"Bearer " + canary + "==" + canary,
	}
	for _, in := range inputs {
		_, err := challenge.ParseCredentials(in)
		if err == nil {
			t.Fatalf("ParseCredentials(%q) succeeded", in)
		}
		msg := err.Error()
		for _, bad := range []string{"SECRET", "canary", "found '", "0x", `"`} {
			if strings.Contains(msg, bad) {
				t.Errorf("I2: error for %q echoes input (%q): %s", in, bad, msg)
			}
		}
	}
}
