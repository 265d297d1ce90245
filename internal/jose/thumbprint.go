package jose

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/authgate/authgate/internal/quote"
)

// thumbprintMembers are the required members of each key type, in the
// lexicographic order RFC 7638 §3.2 hashes them in (RFC 7638 §3.2, RFC
// 8037 §2 for OKP).
var thumbprintMembers = map[string][]string{
	"EC":  {"crv", "kty", "x", "y"},
	"OKP": {"crv", "kty", "x"},
	"RSA": {"e", "kty", "n"},
	"oct": {"k", "kty"},
}

// Thumbprint returns the JWK SHA-256 thumbprint of a JWK (RFC 7638),
// base64url without padding: the value a DPoP-bound token names in
// cnf.jkt (RFC 9449 §6.1). jwk holds the JWK's members as JSON decodes
// them. Only the required members of its kty are hashed, so kid, alg and
// the rest do not change it. It fails for an unknown kty, or a required
// member that is absent or not a string; the error never holds a member's
// value.
func Thumbprint(jwk map[string]any) (string, error) {
	kty, ok := jwk["kty"].(string)
	if !ok {
		return "", fmt.Errorf("jose: thumbprint: the JWK has no kty string (RFC 7517 §4.1)")
	}
	names, ok := thumbprintMembers[kty]
	if !ok {
		return "", fmt.Errorf("jose: thumbprint: kty %s has no RFC 7638 thumbprint here (EC, OKP, RSA and oct have)", quote.Quote(kty))
	}
	b := make([]byte, 0, 160)
	b = append(b, '{')
	for i, name := range names {
		v, ok := jwk[name].(string)
		if !ok {
			return "", fmt.Errorf("jose: thumbprint: the %s JWK lacks the required member %s, or it is not a string (RFC 7638 §3.2)", kty, name)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = appendJSONString(b, v)
	}
	b = append(b, '}')
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// appendJSONString appends s as a JSON string with only the escapes JSON
// requires (RFC 7638 §3.3: no other escaping, no white space), so that
// every implementation hashes the same bytes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
