package bearer

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestScopeSyntax_RFC6749_3_3: scope tokens are separated by SP only
// (RFC 6749 §3.3, scope-token = 1*( %x21 / %x23-5B / %x5D-7E )). Any other
// white space or control character, or a byte outside that set, makes
// the claim token_claim_invalid, with a detail naming the claim, the code
// point and its byte offset, never the value: split on it, a scope the
// issuer never granted would appear. Runs of SP and SP at either end are
// tolerated; each element of an scp array must be one scope-token.
func TestScopeSyntax_RFC6749_3_3(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	for _, tc := range []struct {
		name   string
		kv     []any
		want   []string // the scopes read, when accepted
		detail string   // the exact detail, when refused
	}{
		{"sp_separated", []any{"scope", "files:read orders:write"}, []string{"files:read", "orders:write"}, ""},
		{"doubled_leading_trailing_sp_tolerated", []any{"scope", "  a  b "}, []string{"a", "b"}, ""},
		{"empty_string_no_scopes", []any{"scope", ""}, nil, ""},
		{"all_scope_token_characters", []any{"scope", "!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}, []string{"!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}, ""},
		{"no_break_space", []any{"scope", "files:read:report\u00a0orders:write"}, nil,
			`the 'scope' claim holds U+00A0 (no-break space) at byte 17; RFC 6749 §3.3 separates scopes by a space (U+0020) only and allows only printable ASCII other than '"' and '\' in them`},
		{"tab", []any{"scope", "a\tb"}, nil, `the 'scope' claim holds U+0009 (tab) at byte 1;`},
		{"line_feed", []any{"scope", "a\nb"}, nil, `the 'scope' claim holds U+000A (line feed) at byte 1;`},
		{"carriage_return", []any{"scope", "a\rb"}, nil, `the 'scope' claim holds U+000D (carriage return) at byte 1;`},
		{"vertical_tab", []any{"scope", "a\vb"}, nil, `the 'scope' claim holds U+000B (white space) at byte 1;`},
		{"nul", []any{"scope", "a\x00b"}, nil, `the 'scope' claim holds U+0000 (a control character) at byte 1;`},
		{"del", []any{"scope", "a\x7fb"}, nil, `the 'scope' claim holds U+007F (a control character) at byte 1;`},
		{"em_space", []any{"scope", "read\u2003admin"}, nil, `the 'scope' claim holds U+2003 (white space) at byte 4;`},
		{"ideographic_space", []any{"scope", "read\u3000admin"}, nil, `the 'scope' claim holds U+3000 (white space) at byte 4;`},
		{"line_separator", []any{"scope", "read\u2028admin"}, nil, `the 'scope' claim holds U+2028 (white space) at byte 4;`},
		{"non_ascii_letter", []any{"scope", "lecture écriture"}, nil, `the 'scope' claim holds U+00E9 (outside printable ASCII) at byte 8;`},
		{"quote", []any{"scope", `a"b`}, nil, `the 'scope' claim holds U+0022 ('"') at byte 1;`},
		{"backslash", []any{"scope", `a\b`}, nil, `the 'scope' claim holds U+005C ('\\') at byte 1;`},
		{"scp_string_same_rule", []any{"scope", nil, "scp", "x\u00a0y"}, nil, `the 'scp' claim holds U+00A0 (no-break space) at byte 1;`},
		{"scp_array", []any{"scope", nil, "scp", []string{"x", "y:z"}}, []string{"x", "y:z"}, ""},
		{"scp_element_with_space", []any{"scope", nil, "scp", []string{"x", "a b"}}, nil,
			`element 1 of the 'scp' claim holds U+0020 (space) at byte 1; each element must be one scope-token of RFC 6749 §3.3: printable ASCII other than space, '"' and '\'`},
		{"scp_element_with_nbsp", []any{"scope", nil, "scp", []string{"a\u00a0b"}}, nil, `element 0 of the 'scp' claim holds U+00A0 (no-break space) at byte 1;`},
		{"scp_element_empty", []any{"scope", nil, "scp", []string{"a", ""}}, nil,
			`element 1 of the 'scp' claim is an empty string; a scope-token has at least one character (RFC 6749 §3.3)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims(tc.kv...))
			if tc.detail == "" {
				id, err := v.Verify(bearerReq(tok))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(id.Scopes, "|") != strings.Join(tc.want, "|") || len(id.Scopes) != len(tc.want) {
					t.Fatalf("scopes = %q, want %q", id.Scopes, tc.want)
				}
				return
			}
			res := throughGate(t, v, bearerReq(tok))
			if res.status != 401 || res.header.Get("Www-Authenticate") != invalidToken(verifiers.TokenClaimInvalid) {
				t.Fatalf("status %d, WWW-Authenticate %q", res.status, res.header.Get("Www-Authenticate"))
			}
			ev := res.refusal(t)
			if ev["reason"] != string(verifiers.TokenClaimInvalid) || !strings.HasPrefix(ev["detail"].(string), tc.detail) {
				t.Fatalf("reason %v, detail %q\nwant prefix %q", ev["reason"], ev["detail"], tc.detail)
			}
			if h, _ := ev["hint"].(string); !strings.Contains(h, "separator") {
				t.Errorf("hint = %q", h)
			}
			if ev["sub"] != "user-42" || ev["kid"] != "ec1" {
				t.Errorf("attributes: sub %v kid %v", ev["sub"], ev["kid"])
			}
			res.noSecret(t, tok)
		})
	}
}
