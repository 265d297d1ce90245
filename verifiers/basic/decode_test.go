package basic

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

func TestDecodeBasic(t *testing.T) {
	t.Parallel()
	const (
		jwt       = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
		maxDecode = MaxCredentialsLength / 4 * 3
	)
	tests := []struct {
		name       string
		creds      string
		wantUser   string
		wantPass   string
		wantReason verifiers.Reason
		wantHint   string // exact; "" means no hint
		wantDetail string // substring
	}{
		{name: "B3_split_at_first_colon", creds: b64("alice:pa:ss:"), wantUser: "alice", wantPass: "pa:ss:"},
		{name: "B3_empty_password", creds: b64("alice:"), wantUser: "alice", wantPass: ""},
		{name: "B3_empty_user", creds: b64(":secret"), wantUser: "", wantPass: "secret"},
		{name: "B3_colon_only", creds: b64(":"), wantUser: "", wantPass: ""},
		{name: "B3_spaces_kept", creds: b64(" alice : pw "), wantUser: " alice ", wantPass: " pw "},
		{name: "B3_no_colon", creds: b64("alice"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "no colon"},
		{name: "B4_CTL_NUL_in_user", creds: b64("al\x00ice:pw"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the user-id contains a control character"},
		{name: "B4_CTL_LF_in_user", creds: b64("alice\n:pw"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the user-id contains a control character"},
		{name: "B4_CTL_DEL_in_user", creds: b64("alice\x7f:pw"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the user-id contains a control character"},
		{name: "B4_CTL_CR_in_password", creds: b64("alice:p\rw"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the password contains a control character"},
		{name: "B4_CTL_TAB_in_password", creds: b64("alice:p\tw"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the password contains a control character"},
		{name: "B4_C1_control_in_password", creds: b64("alice:p\u0085w"), wantReason: verifiers.CredentialsMalformed, wantDetail: "the password contains a control character"},
		{name: "B5_UTF8_accepted", creds: b64("jürgen:pässwörd€"), wantUser: "jürgen", wantPass: "pässwörd€"},
		{name: "B5_invalid_UTF8_user", creds: b64("j\xfcrgen:pw"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUTF8, wantDetail: "the user-id is not valid UTF-8"},
		{name: "B5_invalid_UTF8_password", creds: b64("alice:p\xe4ss"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUTF8, wantDetail: "the password is not valid UTF-8"},
		{name: "B5_overlong_UTF8", creds: b64("alice:\xc0\xaf"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUTF8},
		{name: "B5_surrogate_UTF8", creds: b64("alice:\xed\xa0\x80"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUTF8},
		{name: "base64_missing_padding", creds: base64.RawStdEncoding.EncodeToString([]byte("alice:pw")), wantReason: verifiers.CredentialsMalformed, wantHint: hintPadding, wantDetail: "not a multiple of 4"},
		{name: "base64_too_much_padding", creds: b64("alice:pw") + "===", wantReason: verifiers.CredentialsMalformed, wantHint: hintPadding},
		{name: "base64_padding_in_middle", creds: "YQ==" + b64("alice:pw"), wantReason: verifiers.CredentialsMalformed, wantHint: hintPadding, wantDetail: "padding before the end"},
		{name: "base64_space_inside", creds: b64("alice:pw")[:4] + " " + b64("alice:pw")[4:], wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "space or tab"},
		{name: "base64_line_break_inside", creds: b64("alice:pw")[:4] + "\n" + b64("alice:pw")[4:], wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "control character"},
		{name: "base64_CR_inside", creds: b64("alice:pw")[:4] + "\r" + b64("alice:pw")[4:], wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "control character"},
		{name: "base64url_alphabet", creds: base64.URLEncoding.EncodeToString([]byte("alice:>>>???")), wantReason: verifiers.CredentialsMalformed, wantHint: hintBase64URL},
		{name: "base64_non_canonical_bits", creds: "YWxpY2U6cHd=", wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "not canonical"},
		{name: "base64_non_ASCII", creds: "YWxpY2U6cHc\u00e9", wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "not ASCII"},
		{name: "base64_other_character", creds: "YWxp*2U6cHc=", wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "outside the base64 alphabet"},
		{name: "not_encoded_user_password", creds: "alice:secret", wantReason: verifiers.CredentialsMalformed, wantHint: hintNotEncoded},
		{name: "JWT_with_Basic_scheme", creds: jwt, wantReason: verifiers.CredentialsMalformed, wantHint: hintBearer, wantDetail: "a JWT"},
		{name: "JWT_header_base64", creds: b64(`{"alg":"HS256","typ":"JWT"}`), wantReason: verifiers.CredentialsMalformed, wantHint: hintBearer},
		{name: "JWT_base64_of_whole_token", creds: b64(jwt), wantReason: verifiers.CredentialsMalformed, wantHint: hintBearer},
		{name: "JWT_header_with_spaces", creds: b64(`{ "typ": "at+jwt", "alg": "ES256" }`), wantReason: verifiers.CredentialsMalformed, wantHint: hintBearer},
		{name: "JSON_not_JWT_is_credentials", creds: b64(`{"user":1}:x`), wantUser: `{"user"`, wantPass: `1}:x`},
		{name: "I_empty_credentials", creds: "", wantReason: verifiers.RequestMalformed, wantHint: hintEmpty},
		{name: "shell_command_substitution_unexpanded", creds: "$(echo -n alice:canary-shell-pw | base64)", wantReason: verifiers.CredentialsMalformed,
			wantHint:   `the shell did not run the command substitution because the header was in single quotes: write -H "Authorization: Basic $(...)" in double quotes, or let curl encode it with -u user:password`,
			wantDetail: "Basic credentials are a literal shell command substitution ($(...) or `...`), not base64"},
		{name: "shell_backticks_unexpanded", creds: "`printf alice:canary-shell-pw | base64`", wantReason: verifiers.CredentialsMalformed, wantHint: hintShellCommand, wantDetail: detailShellCommand},
		{name: "shell_variable_unexpanded", creds: "$BASIC_CREDENTIALS", wantReason: verifiers.CredentialsMalformed,
			wantHint:   `the shell did not expand the variable because the header was in single quotes: write -H "Authorization: Basic $VAR" in double quotes, or let curl encode it with -u user:password`,
			wantDetail: "Basic credentials are a literal shell variable ($VAR or ${VAR}), not base64"},
		{name: "shell_braced_variable_unexpanded", creds: "${CREDS}", wantReason: verifiers.CredentialsMalformed, wantHint: hintShellVar, wantDetail: detailShellVar},
		{name: "dollar_alone_is_not_shell", creds: "$", wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "outside the base64 alphabet"},
		{name: "dollar_digit_is_not_a_variable", creds: "$1ab", wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword, wantDetail: "outside the base64 alphabet"},
		{name: "H1_over_cap", creds: strings.Repeat("QUFB", MaxCredentialsLength/4+1), wantReason: verifiers.CredentialsTooLarge, wantDetail: "over the limit of 1024"},
		{name: "H1_at_cap_accepted", creds: b64("u:" + strings.Repeat("p", maxDecode-2)), wantUser: "u", wantPass: strings.Repeat("p", maxDecode-2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, rej := decodeBasic(tc.creds, testFP)
			if tc.wantReason == "" {
				if rej != nil {
					t.Fatalf("rejected: %v", rej)
				}
				if d.user != tc.wantUser || d.password != tc.wantPass {
					t.Fatalf("got user %q password %q, want %q %q", d.user, d.password, tc.wantUser, tc.wantPass)
				}
				return
			}
			if rej == nil {
				t.Fatalf("accepted as user %q password %q, want %s", d.user, d.password, tc.wantReason)
			}
			if rej.Reason != tc.wantReason {
				t.Errorf("reason %s, want %s (%v)", rej.Reason, tc.wantReason, rej)
			}
			if rej.Hint != tc.wantHint {
				t.Errorf("hint %q, want %q", rej.Hint, tc.wantHint)
			}
			if !strings.Contains(rej.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", rej.Detail, tc.wantDetail)
			}
			assertNoSecret(t, rej, tc.creds)
			// Shell syntax holds the user and password in clear: never
			// echoed.
			for _, sec := range []string{"canary-shell-pw", "alice", "BASIC_CREDENTIALS", "CREDS"} {
				if strings.Contains(rej.Detail+rej.Hint+rej.Error(), sec) {
					t.Errorf("rejection echoes %q: %v / %s", sec, rej, rej.Hint)
				}
			}
		})
	}
}

// assertNoSecret fails if the rejection quotes the credentials, their
// decoded form, or its password part.
func assertNoSecret(t *testing.T, rej *verifiers.Rejection, creds string) {
	t.Helper()
	texts := []string{rej.Error(), rej.Detail, rej.Hint}
	for _, a := range rej.Attrs {
		texts = append(texts, a.Key, a.Value)
	}
	secrets := []string{}
	if len(creds) >= 4 {
		secrets = append(secrets, creds)
	}
	if raw, err := base64.StdEncoding.DecodeString(creds); err == nil && len(raw) >= 4 {
		secrets = append(secrets, string(raw))
		if _, pw, ok := strings.Cut(string(raw), ":"); ok && len(pw) >= 3 {
			secrets = append(secrets, pw)
		}
	}
	for _, s := range texts {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("rejection text %q holds the secret %q", s, sec)
			}
		}
	}
}

func TestDecodeBasic_user_attr(t *testing.T) {
	t.Parallel()
	// A rejection about the password names the (valid) user for the log.
	_, rej := decodeBasic(b64("alice:p\x00w"), testFP)
	if got, _ := attr(rej.Attrs, verifiers.AttrUser); got != "alice" {
		t.Errorf("user attr %q, want alice", got)
	}
	// A user-id with control characters is logged sanitized: replaced,
	// so that it does not read as another user's name.
	_, rej = decodeBasic(b64("al\nice:pw"), testFP)
	if got, _ := attr(rej.Attrs, verifiers.AttrUser); got != "al\uFFFDice" {
		t.Errorf("user attr %q, want al\uFFFDice", got)
	}
}

func TestSanitizeUser(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70)
	tests := []struct{ name, in, want string }{
		{"I2_plain_unchanged", "alice", "alice"},
		{"I2_control_replaced", "al\r\nice\x00\x7f\u0085", "al\uFFFD\uFFFDice\uFFFD\uFFFD\uFFFD"},
		{"I2_invalid_utf8_replaced", "j\xfcrgen", "j\uFFFDrgen"},
		{"I2_truncated_to_64", long, strings.Repeat("a", 64) + "…"},
		{"I2_truncated_at_rune_boundary", strings.Repeat("a", 63) + "é", strings.Repeat("a", 63) + "…"},
		{"I2_non_ascii_kept", "jürgen", "jürgen"},
		{"I2_invisible_replaced", "ad\u200bmin\u202e\ufeff\u2028", "ad\uFFFDmin\uFFFD\uFFFD\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sanitizeUser(tc.in); got != tc.want {
				t.Errorf("sanitizeUser(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestQuoteUser: a user-id in a detail or an error is single-quoted with
// ' and \ escaped, so that a name cannot end its quotes early and read as
// more of the sentence; its UTF-8 stays readable.
func TestQuoteUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"alice", `'alice'`},
		{"José", `'José'`},
		{"x' in user lookup function", `'x\' in user lookup function'`},
		{`a\'b`, `'a\\\'b'`},
		{"", `''`},
	} {
		if got := quoteUser(sanitizeUser(tc.in)); got != tc.want {
			t.Errorf("quoteUser(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := (userName{attr: verifiers.Attr{Value: sanitizeUser("o'brien")}}).String(); got != `user 'o\'brien'` {
		t.Errorf("userName.String = %s", got)
	}
}
