package bearer

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// header holds the JOSE header members authgate reads. jku, x5u, jwk and
// x5c are never read: keys come from configuration only (RFC 8725 §3.10).
type header struct {
	Alg, Kid, Typ, Cty, Enc string
	// Crit is the crit member as decoded, when hasCrit.
	Crit    any
	hasCrit bool
	// hasEnc is set when the header has an enc member, whatever its
	// value: only a JWE has one (RFC 7516 §4.1.2).
	hasEnc bool
}

// token is a compact JWS split and decoded, not yet verified.
type token struct {
	hdr header
	// claims is the decoded payload, a JSON object.
	claims map[string]any
	// signingInput is "header.payload" as sent (RFC 7515 §5.2).
	signingInput string
	sig          []byte
	// payload is the raw claims segment, base64url; decoded lazily.
	payload string
}

// malformedError says what is wrong with a token's syntax. Its text never
// holds the token or any part of it, except single bytes outside the
// base64url alphabet (which are not token content).
type malformedError struct {
	detail string
	hint   string
}

func (e *malformedError) Error() string { return e.detail }

func malformed(hint, format string, args ...any) *malformedError {
	return &malformedError{detail: fmt.Sprintf(format, args...), hint: hint}
}

// Copy-paste hints.
const (
	hintQuotes     = "the token is wrapped in quotes: the client copied it from JSON or a shell variable with its quotes; send the bare token"
	hintBearerTwo  = "the Authorization value says Bearer twice ('Bearer Bearer <token>'): the client adds the scheme to a value that already has it"
	hintWhitespace = "the token has whitespace inside: it was line-wrapped when copied, or two values were joined; send it on one line without spaces"
	hintJWE        = "the token is a JWE (encrypted, 5 segments), not a signed JWS: ask the issuer for a signed access token (no encryption) for this resource"
	hintURLEncoded = "the token holds '%': it was URL-encoded (copied from a query string); decode it before sending"
	hintBase64Std  = "the token holds '+', '/' or '=': it was encoded with standard base64, or padded; JWS segments are base64url without padding (RFC 7515 §2)"
	hintNotJWT     = "the value is not a JWT: the client may send an opaque access token, an ID of some other kind, or the wrong variable"
)

// b64urlAlphabet marks the bytes of the base64url alphabet (RFC 4648 §5).
var b64urlAlphabet = [256]bool{
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true,
	'H': true, 'I': true, 'J': true, 'K': true, 'L': true, 'M': true, 'N': true,
	'O': true, 'P': true, 'Q': true, 'R': true, 'S': true, 'T': true, 'U': true,
	'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true, 'a': true, 'b': true,
	'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true,
	'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true,
	'q': true, 'r': true, 's': true, 't': true, 'u': true, 'v': true, 'w': true,
	'x': true, 'y': true, 'z': true, '0': true, '1': true, '2': true, '3': true,
	'4': true, '5': true, '6': true, '7': true, '8': true, '9': true, '-': true,
	'_': true,
}

// isB64URL reports whether c is in the base64url alphabet (RFC 4648 §5).
func isB64URL(c byte) bool { return b64urlAlphabet[c] }

// checkSyntax checks that tok is made only of base64url characters and
// dots, and names the likely copy-paste accident when it is not.
func checkSyntax(tok string) *malformedError {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if isB64URL(c) || c == '.' {
			continue
		}
		return syntaxError(tok, i)
	}
	return nil
}

func syntaxError(tok string, i int) *malformedError {
	c := tok[i]
	at := fmt.Sprintf("byte %d of %d is %s", i, len(tok), describeByte(c))
	switch {
	case c == '"' || c == '\'':
		if i == 0 || i == len(tok)-1 {
			return malformed(hintQuotes, "the token starts or ends with a quote (%s)", at)
		}
	case c == ' ' || c == '\t':
		if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
			return malformed(hintBearerTwo, "the token starts with the word Bearer (%s)", at)
		}
		return malformed(hintWhitespace, "the token holds whitespace (%s)", at)
	case c == '\r' || c == '\n':
		return malformed(hintWhitespace, "the token holds a line break (%s)", at)
	case c == '%':
		return malformed(hintURLEncoded, "the token holds a character outside base64url (%s)", at)
	case c == '+' || c == '/' || c == '=':
		return malformed(hintBase64Std, "the token holds a character outside base64url (%s)", at)
	}
	return malformed("", "the token holds a character that has no place in a token (%s)", at)
}

// describeByte shows a byte that is not token content: a quote, a space,
// a control character, '%'.
func describeByte(c byte) string {
	switch {
	case c == ' ':
		return "a space"
	case c == '\t':
		return "a tab"
	case c == '\r':
		return "CR"
	case c == '\n':
		return "LF"
	case c < 0x20 || c >= 0x7f:
		return fmt.Sprintf("0x%02x", c)
	default:
		return fmt.Sprintf("'%c'", c)
	}
}

// b64 is the strict base64url decoder: no padding, and non-zero unused
// trailing bits rejected, so that each value has exactly one encoding
// (jwx accepts non-canonical encodings; Wycheproof tcId 374). Strict still
// skips CR and LF, which checkSyntax has already refused.
var b64 = base64.RawURLEncoding.Strict()

func decodeSegment(name, seg string) ([]byte, *malformedError) {
	if seg == "" {
		return nil, malformed("", "the %s segment is empty", name)
	}
	if len(seg)%4 == 1 {
		return nil, malformed("", "the %s segment is %d characters, a length no base64url encoding has", name, len(seg))
	}
	b, err := b64.DecodeString(seg)
	if err != nil {
		return nil, malformed("", "the %s segment is not canonical base64url: its last character has non-zero unused bits", name)
	}
	return b, nil
}

// parseJWS splits and decodes a compact JWS (RFC 7515 §7.1) without
// verifying it. It decodes the header and the signature; the payload is
// decoded by parseClaims.
func parseJWS(tok string) (*token, *malformedError) {
	if m := checkSyntax(tok); m != nil {
		return nil, m
	}
	dot1 := strings.IndexByte(tok, '.')
	if dot1 < 0 {
		if tok == "" {
			return nil, malformed("", "the token is empty")
		}
		return nil, malformed(hintNotJWT, "the token has no '.': it is not a compact JWS (header.payload.signature)")
	}
	dot2 := strings.IndexByte(tok[dot1+1:], '.')
	n := strings.Count(tok, ".") + 1
	if n != 3 {
		if n == 5 {
			return nil, malformed(hintJWE, "the token has 5 segments: it is a JWE (encrypted), not a JWS; nested or encrypted tokens are not accepted (RFC 8725 §3.3)")
		}
		return nil, malformed("", "the token has %d segments; a compact JWS has 3 (header.payload.signature)", n)
	}
	dot2 += dot1 + 1
	t := &token{signingInput: tok[:dot2], payload: tok[dot1+1 : dot2]}
	hb, m := decodeSegment("header", tok[:dot1])
	if m != nil {
		return nil, m
	}
	if m := parseHeader(hb, &t.hdr); m != nil {
		return nil, m
	}
	if t.hdr.hasEnc {
		return nil, malformed(hintJWE, "the header has an enc member: the token is a JWE, not a JWS")
	}
	sigSeg := tok[dot2+1:]
	if sigSeg == "" && strings.EqualFold(t.hdr.Alg, "none") {
		// Reported by the caller as an algorithm that is never allowed.
		return t, nil
	}
	sig, m := decodeSegment("signature", sigSeg)
	if m != nil {
		return nil, m
	}
	t.sig = sig
	return t, nil
}

func parseHeader(b []byte, h *header) *malformedError {
	if !utf8.Valid(b) {
		return malformed("", "the header is not UTF-8")
	}
	if firstNonSpace(b) != '{' {
		return malformed("", "the header is not a JSON object")
	}
	// A map, not a struct: JOSE header names are case-sensitive ("ALG"
	// is not "alg"), and encoding/json matches struct fields without
	// regard to case.
	members, jerr := decodeJSONObject(b)
	switch {
	case jerr == nil:
	case jerr.dup != "" && jerr.nested:
		return malformed("", "the header has an object with the member %s twice (RFC 7515 §4)", quote(jerr.dup))
	case jerr.dup != "":
		return malformed("", "the header has the member %s twice (RFC 7515 §4)", quote(jerr.dup))
	default:
		return malformed("", "the header is not valid JSON: %s", jerr.msg)
	}
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"alg", &h.Alg}, {"kid", &h.Kid}, {"typ", &h.Typ}, {"cty", &h.Cty}, {"enc", &h.Enc}} {
		raw, ok := members[f.name]
		if !ok {
			continue
		}
		s, ok := raw.(string)
		if !ok {
			return malformed("", "the header member %s is not a string", f.name)
		}
		*f.dst = s
	}
	h.Crit, h.hasCrit = members["crit"]
	_, h.hasEnc = members["enc"]
	if h.Alg == "" {
		return malformed("", "the header has no alg (RFC 7515 §4.1.1)")
	}
	if cty := h.Cty; strings.EqualFold(cty, "JWT") || strings.EqualFold(cty, "application/JWT") {
		return malformed("", "the header says cty JWT: a nested token, which is not accepted (RFC 8725 §3.3)")
	}
	if h.hasCrit {
		return checkCrit(h.Crit)
	}
	return nil
}

// registeredHeaders are the header names that crit must not list (RFC
// 7515 §4.1.11, RFC 7516 §4.1).
var registeredHeaders = [...]string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc", "zip"}

// checkCrit refuses every crit header: authgate understands no JWS
// extension, and RFC 7515 §4.1.11 says a recipient that does not
// understand a listed extension must reject the JWS.
func checkCrit(raw any) *malformedError {
	list, _ := raw.([]any)
	names := make([]string, 0, len(list))
	for _, x := range list {
		if n, ok := x.(string); ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 || len(names) != len(list) {
		return malformed("", "the header's crit is not a non-empty array of strings (RFC 7515 §4.1.11)")
	}
	for _, n := range names {
		for _, r := range registeredHeaders {
			if n == r {
				return malformed("", "the header's crit lists %s, a registered header name it must not list (RFC 7515 §4.1.11)", quote(n))
			}
		}
	}
	return malformed("", "the header's crit lists the extension %s, which authgate does not understand, so the token must be rejected (RFC 7515 §4.1.11)", quote(names[0]))
}

// parseClaims decodes the payload into t.claims.
func (t *token) parseClaims() *malformedError {
	b, m := decodeSegment("payload", t.payload)
	if m != nil {
		return m
	}
	if !utf8.Valid(b) {
		return malformed("", "the payload is not UTF-8")
	}
	if firstNonSpace(b) != '{' {
		return malformed(hintNotJWT, "the payload is not a JSON object, so not a JWT claims set (RFC 7519 §7.2)")
	}
	claims, jerr := decodeJSONObject(b)
	switch {
	case jerr == nil:
	case jerr.dup != "" && jerr.nested:
		return malformed("", "the claims set has a claim whose object has the member %s twice (RFC 7519 §4)", quote(jerr.dup))
	case jerr.dup != "":
		return malformed("", "the claims set has the claim %s twice (RFC 7519 §4)", quote(jerr.dup))
	default:
		return malformed("", "the payload is not valid JSON: %s", jerr.msg)
	}
	t.claims = claims
	return nil
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
