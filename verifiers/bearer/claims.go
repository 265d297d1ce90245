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

// stringClaim returns a string claim; a claim of another type is
// malformed.
func stringClaim(claims map[string]any, name string) (string, bool, *jose.MalformedError) {
	raw, ok := claims[name]
	if !ok {
		return "", false, nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", true, &jose.MalformedError{Detail: "the " + name + " claim is a JSON " + jsonKind(raw) + ", not a string"}
	}
	return s, true, nil
}

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds since the epoch, possibly fractional.
func numericDate(claims map[string]any, name string) (time.Time, bool, *jose.MalformedError) {
	raw, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok {
		return time.Time{}, true, &jose.MalformedError{Detail: "the " + name + " claim is a JSON " + jsonKind(raw) + "; RFC 7519 §4.1 requires a NumericDate (a number of seconds)"}
	}
	const limit = 1 << 40 // about 34,800 years: beyond any real date
	f = math.Max(-limit, math.Min(limit, f))
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}
