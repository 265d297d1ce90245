package challenge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

type P = challenge.Param

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    challenge.Challenge
		want string
	}{
		{"A2_scheme_only", challenge.Challenge{Scheme: "Negotiate"}, "Negotiate"},
		{"A2_token68", challenge.Challenge{Scheme: "Negotiate", Token68: "YII+/Bg-._~=="}, "Negotiate YII+/Bg-._~=="},
		{"A2_params_separated_by_comma_space", challenge.Challenge{Scheme: "Custom", Params: []P{{"a", "1"}, {"b", "2"}}}, `Custom a="1", b="2"`},
		{"A2_empty_params_slice_is_scheme_only", challenge.Challenge{Scheme: "Custom", Params: []P{}}, "Custom"},
		{"A2_scheme_case_kept", challenge.Challenge{Scheme: "bEaReR", Params: []P{{"Realm", "x"}}}, `bEaReR Realm="x"`},
		{"A2_token_value_still_quoted", challenge.Challenge{Scheme: "Custom", Params: []P{{"type", "1"}}}, `Custom type="1"`},
		{"A4_realm_is_quoted", challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", "api"}}}, `Custom realm="api"`},
		{"A4_empty_realm_is_quoted", challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", ""}}}, `Custom realm=""`},
		{"A5_escape_quote_and_backslash", challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", `say "hi" \o/`}}}, `Custom realm="say \"hi\" \\o/"`},
		{"A5_only_quote_and_backslash_escaped", challenge.Challenge{Scheme: "Custom", Params: []P{{"v", "a,b=c;d 'e' ~!#$%&*+-.^_`|"}}}, "Custom v=\"a,b=c;d 'e' ~!#$%&*+-.^_`|\""},
		{"A5_all_printable_ascii", challenge.Challenge{Scheme: "Custom", Params: []P{{"v", printable()}}}, `Custom v="` + strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(printable()) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.c.Format()
			if err != nil {
				t.Fatalf("Format(%s) error: %v", show(tt.c), err)
			}
			if got != tt.want {
				t.Fatalf("Format(%s)\n got %s\nwant %s", show(tt.c), got, tt.want)
			}
			back, err := challenge.Parse(got)
			if err != nil || len(back) != 1 || !same(back[0], tt.c) {
				t.Fatalf("Parse(%q) = %s, %v; want %s", got, show(back...), err, show(tt.c))
			}
		})
	}
}

func printable() string {
	var b strings.Builder
	for c := byte(0x20); c < 0x7f; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

// TestFormatRejects checks that nothing outside RFC 9110's grammar, and no
// byte that could break a header line, is ever written (A2, A3, A5).
func TestFormatRejects(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"CR": "\r", "LF": "\n", "CRLF": "\r\n", "NUL": "\x00", "HTAB": "\t",
		"DEL": "\x7f", "ESC": "\x1b", "non_ASCII_UTF8": "é", "byte_0x80": "\x80", "byte_0xff": "\xff",
	}
	type tc struct {
		name string
		c    challenge.Challenge
		want error
	}
	var tests []tc
	for what, b := range bad {
		tests = append(tests,
			tc{"A5_scheme_" + what, challenge.Challenge{Scheme: "Cus" + b + "tom", Params: []P{{"realm", "x"}}}, challenge.ErrInvalidScheme},
			tc{"A5_param_name_" + what, challenge.Challenge{Scheme: "Custom", Params: []P{{"re" + b + "alm", "x"}}}, challenge.ErrInvalidParam},
			tc{"A5_value_" + what, challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", "api" + b + "Set-Cookie: a=b"}}}, challenge.ErrInvalidValue},
			tc{"A5_token68_" + what, challenge.Challenge{Scheme: "Custom", Token68: "abc" + b}, challenge.ErrInvalidValue},
			tc{"A5_bearer_realm_" + what, challenge.Challenge{Scheme: "Bearer", Params: []P{{"realm", b}}}, challenge.ErrInvalidValue},
			tc{"A5_bearer_scope_" + what, challenge.Challenge{Scheme: "Bearer", Params: []P{{"realm", "r"}, {"scope", "a" + b}}}, challenge.ErrInvalidValue},
			tc{"A5_bearer_error_description_" + what, challenge.Challenge{Scheme: "Bearer", Params: []P{{"error_description", "x" + b + "y"}}}, challenge.ErrInvalidValue},
		)
	}
	tests = append(tests,
		tc{"A2_empty_scheme", challenge.Challenge{}, challenge.ErrInvalidScheme},
		tc{"A2_scheme_with_space", challenge.Challenge{Scheme: "Bear er"}, challenge.ErrInvalidScheme},
		tc{"A2_scheme_with_separator", challenge.Challenge{Scheme: "Basic,"}, challenge.ErrInvalidScheme},
		tc{"A2_empty_param_name", challenge.Challenge{Scheme: "Custom", Params: []P{{"", "x"}}}, challenge.ErrInvalidParam},
		tc{"A2_param_name_with_equals", challenge.Challenge{Scheme: "Custom", Params: []P{{"a=b", "x"}}}, challenge.ErrInvalidParam},
		tc{"A2_param_name_with_space", challenge.Challenge{Scheme: "Custom", Params: []P{{"a b", "x"}}}, challenge.ErrInvalidParam},
		tc{"A2_param_name_with_quote", challenge.Challenge{Scheme: "Custom", Params: []P{{`a"`, "x"}}}, challenge.ErrInvalidParam},
		tc{"A2_token68_and_params", challenge.Challenge{Scheme: "Custom", Token68: "abc", Params: []P{{"a", "x"}}}, challenge.ErrSyntax},
		tc{"A2_token68_only_padding", challenge.Challenge{Scheme: "Custom", Token68: "=="}, challenge.ErrInvalidValue},
		tc{"A2_token68_equals_inside", challenge.Challenge{Scheme: "Custom", Token68: "ab=c"}, challenge.ErrInvalidValue},
		tc{"A2_token68_space", challenge.Challenge{Scheme: "Custom", Token68: "ab c"}, challenge.ErrInvalidValue},
		tc{"A2_token68_comma", challenge.Challenge{Scheme: "Custom", Token68: "ab,c"}, challenge.ErrInvalidValue},
		tc{"A2_token68_quote", challenge.Challenge{Scheme: "Custom", Token68: `"abc"`}, challenge.ErrInvalidValue},
		tc{"A3_duplicate_param", challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", "a"}, {"realm", "b"}}}, challenge.ErrDuplicateParam},
		tc{"A3_duplicate_param_other_case", challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", "a"}, {"x", "y"}, {"REALM", "a"}}}, challenge.ErrDuplicateParam},
		tc{"A3_duplicate_among_many_params", challenge.Challenge{Scheme: "Custom", Params: manyParams(40, "p7")}, challenge.ErrDuplicateParam},
		tc{"A3_duplicate_among_many_params_last", challenge.Challenge{Scheme: "Custom", Params: manyParams(40, "P39")}, challenge.ErrDuplicateParam},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.c.Format()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Format(%s) = %q, %v; want error %v", show(tt.c), got, err, tt.want)
			}
			if got != "" {
				t.Fatalf("Format returned %q along with its error", got)
			}
			if err := tt.c.Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v; want %v", err, tt.want)
			}
			if i := messageSafe(err.Error()); i >= 0 {
				t.Fatalf("error message %q has an unsafe byte at %d", err.Error(), i)
			}
			dst := []byte("keep")
			out, err := tt.c.AppendFormat(dst)
			if err == nil || string(out) != "keep" {
				t.Fatalf("AppendFormat = %q, %v; want dst unchanged and an error", out, err)
			}
		})
	}
}

// manyParams returns n distinct params p0..p(n-1), plus dup appended.
func manyParams(n int, dup string) []P {
	ps := make([]P, 0, n+1)
	for i := range n {
		ps = append(ps, P{Name: "p" + itoa(i), Value: "v"})
	}
	return append(ps, P{Name: dup, Value: "again"})
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestFormatManyDistinctParams(t *testing.T) {
	t.Parallel()
	// A3: more params than the linear duplicate check handles, all distinct.
	ps := manyParams(40, "q")
	c := challenge.Challenge{Scheme: "Custom", Params: ps}
	s, err := c.Format()
	if err != nil {
		t.Fatal(err)
	}
	back, err := challenge.Parse(s)
	if err != nil || len(back) != 1 || !same(back[0], c) {
		t.Fatalf("round trip of %d params failed: %v", len(ps), err)
	}
}

func TestErrorMessagesBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10000)
	for _, c := range []challenge.Challenge{
		{Scheme: long + " "},
		{Scheme: "X", Params: []P{{long + " ", "v"}}},
		{Scheme: "X", Params: []P{{long, "v"}, {long, "v"}}},
	} {
		err := c.Validate()
		if err == nil || len(err.Error()) > 200 {
			t.Fatalf("Validate error %d bytes long: %.80q", len(err.Error()), err)
		}
	}
}

func TestValidateSecretToken68NotEchoed(t *testing.T) {
	t.Parallel()
	// I2: a token68 may be a credential; its error must not quote it.
	c := challenge.Challenge{Scheme: "Bearer", Token68: "SECRETcanary value"}
	err := c.Validate()
	if !errors.Is(err, challenge.ErrInvalidValue) || strings.Contains(err.Error(), "canary") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestFormatAll(t *testing.T) {
	t.Parallel()
	basic, _ := challenge.Basic("a")
	bearer, _ := challenge.Bearer(challenge.BearerParams{Realm: "b"})
	tests := []struct {
		name string
		cs   []challenge.Challenge
		want string
		err  error
	}{
		{"A7_two_challenges", []challenge.Challenge{bearer, basic}, `Bearer realm="b", Basic realm="a", charset="UTF-8"`, nil},
		{"A2_scheme_only_then_params", []challenge.Challenge{{Scheme: "Negotiate"}, basic}, `Negotiate, Basic realm="a", charset="UTF-8"`, nil},
		{"A2_token68_then_params", []challenge.Challenge{{Scheme: "Negotiate", Token68: "abc=="}, basic}, `Negotiate abc==, Basic realm="a", charset="UTF-8"`, nil},
		{"A1_none_is_an_error", nil, "", challenge.ErrSyntax},
		{"A5_bad_second_fails_all", []challenge.Challenge{basic, {Scheme: "X", Params: []P{{"r", "\n"}}}}, "", challenge.ErrInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := challenge.FormatAll(tt.cs...)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("FormatAll = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			if err != nil {
				return
			}
			back, err := challenge.Parse(got)
			if err != nil || !sameList(back, tt.cs) {
				t.Fatalf("Parse(%q) = %s, %v", got, show(back...), err)
			}
		})
	}
}

func TestAppendFormat(t *testing.T) {
	t.Parallel()
	c := challenge.Challenge{Scheme: "Custom", Params: []P{{"realm", "x"}}}
	got, err := c.AppendFormat([]byte("WWW-Authenticate: "))
	if err != nil || string(got) != `WWW-Authenticate: Custom realm="x"` {
		t.Fatalf("AppendFormat = %q, %v", got, err)
	}
}

func TestIsAndParam(t *testing.T) {
	t.Parallel()
	c := challenge.Challenge{Scheme: "bEaReR", Params: []P{{"Realm", "api"}, {"ERROR", "invalid_token"}}}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"A6_Is_ignores_case", c.Is("Bearer") && c.Is("BEARER") && c.Is("bearer"), true},
		{"A6_Is_other_scheme", c.Is("Basic"), false},
		{"A6_Is_prefix_is_not_a_match", c.Is("Bear"), false},
		{"A6_Is_ASCII_only_fold", challenge.Challenge{Scheme: "k"}.Is("\u212a"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	for _, name := range []string{"realm", "REALM", "Realm"} {
		if v, ok := c.Param(name); !ok || v != "api" {
			t.Errorf("Param(%q) = %q, %v", name, v, ok)
		}
	}
	if v, ok := c.Param("error"); !ok || v != "invalid_token" {
		t.Errorf("Param(error) = %q, %v", v, ok)
	}
	if v, ok := c.Param("scope"); ok || v != "" {
		t.Errorf("Param(scope) = %q, %v; want absent", v, ok)
	}
	if _, ok := (challenge.Challenge{Scheme: "X", Params: []P{{"k", "v"}}}).Param("\u212a"); ok {
		t.Error("Param folded a non-ASCII name onto an ASCII one")
	}
}

func TestWithDoesNotAlias(t *testing.T) {
	t.Parallel()
	base := challenge.Challenge{Scheme: "Bearer", Params: make([]P, 1, 8)}
	base.Params[0] = P{"realm", "api"}
	a := base.With(P{"error", "invalid_token"})
	b := base.With(P{"error", "insufficient_scope"})
	if len(base.Params) != 1 || cap(base.Params) != 8 {
		t.Fatalf("With changed the original: %s", show(base))
	}
	if v, _ := a.Param("error"); v != "invalid_token" {
		t.Fatalf("second With overwrote the first result: %s", show(a))
	}
	if v, _ := b.Param("error"); v != "insufficient_scope" {
		t.Fatalf("With result wrong: %s", show(b))
	}
	// C6: adding a parameter the challenge already has fails at Format.
	if _, err := base.With(P{"Realm", "again"}).Format(); !errors.Is(err, challenge.ErrDuplicateParam) {
		t.Fatalf("duplicate realm via With: %v", err)
	}
}
