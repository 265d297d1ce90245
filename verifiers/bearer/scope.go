package bearer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/verifiers"
)

// scopeHint is the hint of a scope claim that is not RFC 6749 §3.3 syntax.
const scopeHint = "the issuer writes scopes with another separator than a single space (a no-break space, a tab, a line break), or with characters a scope name may not hold: fix the scope names or the claim mapping at the issuer"

// isScopeChar reports whether c may appear in a scope-token: RFC 6749
// §3.3, scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), printable ASCII
// but for '"' and '\'.
func isScopeChar(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }

// parseScopeString splits a space-delimited scope claim (RFC 6749 §3.3,
// RFC 8693 §4.2). Scope tokens are separated by SP only: any other white
// space or control character, and any byte a scope-token may not hold,
// makes the claim invalid, since reading it as a separator (as
// strings.Fields would) can make up a scope the issuer never granted.
// Runs of SP and SP at either end are tolerated (they cannot change which
// scopes are read), and an empty string holds no scopes.
func parseScopeString(name, s string) ([]string, *verifiers.Rejection) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && !isScopeChar(c) {
			return nil, scopeRejection(fmt.Sprintf("the %s claim", quote(name)), s, i)
		}
	}
	var out []string
	for f := range strings.SplitSeq(s, " ") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

// parseScopeArray reads a scope claim given as an array ("scp" of Okta,
// Hydra and others): each element must be one scope-token of RFC 6749
// §3.3, non-empty and without SP.
func parseScopeArray(name string, a []any) ([]string, *verifiers.Rejection) {
	out := make([]string, 0, len(a))
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			return nil, verifiers.Reject(verifiers.TokenClaimInvalid,
				fmt.Sprintf("the %s claim is an array whose element %d is a JSON %s, not a string", quote(name), i, jsonKind(x))).
				WithHint("the issuer's scope claim mapping produces other values than scope names")
		}
		if s == "" {
			return nil, verifiers.Reject(verifiers.TokenClaimInvalid,
				fmt.Sprintf("element %d of the %s claim is an empty string; a scope-token has at least one character (RFC 6749 §3.3)", i, quote(name))).
				WithHint(scopeHint)
		}
		for j := 0; j < len(s); j++ {
			if !isScopeChar(s[j]) {
				return nil, scopeRejection(fmt.Sprintf("element %d of the %s claim", i, quote(name)), s, j)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// scopeRejection explains the character at byte i of s, in where (a
// claim, or an element of one). It names the character by code point and
// position, never quoting the value.
func scopeRejection(where, s string, i int) *verifiers.Rejection {
	r, _ := utf8.DecodeRuneInString(s[i:])
	what := fmt.Sprintf("%U", r)
	switch {
	case r == '\t':
		what += " (tab)"
	case r == '\n':
		what += " (line feed)"
	case r == '\r':
		what += " (carriage return)"
	case r == '\u00a0':
		what += " (no-break space)"
	case r == '"' || r == '\\':
		what += fmt.Sprintf(" (%q)", r)
	case r == ' ':
		what += " (space)"
	case unicode.IsSpace(r):
		what += " (white space)"
	case unicode.IsControl(r):
		what += " (a control character)"
	case r == utf8.RuneError:
		what = fmt.Sprintf("byte 0x%02x", s[i])
	default:
		what += " (outside printable ASCII)"
	}
	detail := fmt.Sprintf("%s holds %s at byte %d; RFC 6749 §3.3 separates scopes by a space (U+0020) only and allows only printable ASCII other than '\"' and '\\' in them", where, what, i)
	if strings.HasPrefix(where, "element") {
		detail = fmt.Sprintf("%s holds %s at byte %d; each element must be one scope-token of RFC 6749 §3.3: printable ASCII other than space, '\"' and '\\'", where, what, i)
	}
	return verifiers.Reject(verifiers.TokenClaimInvalid, detail).WithHint(scopeHint)
}
