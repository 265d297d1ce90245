package bearer

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file reads claims: the scopes, string claims and NumericDates,
// each of the type RFC 7519 gives it or malformed.

// typeMatches compares a typ header with the accepted types, ignoring
// case and an "application/" prefix (RFC 7515 §4.1.9).
func typeMatches(typ string, types []string) bool {
	norm := func(s string) string {
		if len(s) > 12 && strings.EqualFold(s[:12], "application/") {
			s = s[12:]
		}
		return s
	}
	typ = norm(typ)
	for _, t := range types {
		if strings.EqualFold(typ, norm(t)) {
			return true
		}
	}
	return false
}

// scopes reads the first scope claim present: a space-delimited string or
// an array of scope-tokens (RFC 6749 §3.3). Anything else, or a value
// outside that syntax, is token_claim_invalid.
func (v *Verifier) scopes(claims map[string]any) ([]string, *verifiers.Rejection) {
	for _, name := range v.scopeClaims {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		switch s := raw.(type) {
		case string:
			return parseScopeString(name, s)
		case []any:
			return parseScopeArray(name, s)
		default:
			return nil, verifiers.Reject(verifiers.TokenClaimInvalid,
				fmt.Sprintf("the %s claim is a JSON %s; scopes are a space-separated string or an array of strings", quote(name), jsonKind(raw))).
				WithHint("the issuer's scope claim mapping produces other values than scope names")
		}
	}
	return nil, nil
}

// stringMember returns a string claim read by ReadClaims; a claim of
// another type is malformed, an absent one "".
func stringMember(c jose.Member, name string) (string, *jose.MalformedError) {
	switch c.Kind {
	case jose.String, jose.Absent:
		return c.Str, nil
	}
	return "", &jose.MalformedError{Detail: "the " + name + " claim is a JSON " + c.Kind.String() + ", not a string"}
}

// stringClaim returns a string claim of a map; a claim of another type is
// malformed.
func stringClaim(claims map[string]any, name string) (string, bool, *jose.MalformedError) {
	raw, ok := claims[name]
	if !ok {
		return "", false, nil
	}
	s, m := stringMember(jose.MemberOf(raw), name)
	return s, true, m
}

// numericDate reads a NumericDate claim (RFC 7519 §2) from a map.
func numericDate(claims map[string]any, name string) (time.Time, bool, *jose.MalformedError) {
	raw, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	return dateMember(jose.MemberOf(raw), name)
}

// dateMember reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds since the epoch, possibly fractional. ok is false when the
// claim is absent.
func dateMember(c jose.Member, name string) (t time.Time, ok bool, m *jose.MalformedError) {
	switch c.Kind {
	case jose.Absent:
		return time.Time{}, false, nil
	case jose.Number:
	default:
		return time.Time{}, true, &jose.MalformedError{Detail: "the " + name + " claim is a JSON " + c.Kind.String() + "; RFC 7519 §4.1 requires a NumericDate (a number of seconds)"}
	}
	const limit = 1 << 40 // about 34,800 years: beyond any real date
	f := math.Max(-limit, math.Min(limit, c.Num))
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true, nil
}

func jsonKind(v any) string { return jose.KindOf(v).String() }
