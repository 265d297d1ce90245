package jose

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Header holds the JOSE header members this package reads. jku, x5u, jwk
// and x5c are never read for a token: its keys come from configuration
// only (RFC 8725 §3.10). The one exception is EmbeddedKey, for a DPoP
// proof, whose jwk is the very key it proves possession of. Parse has already refused a header with crit, enc or cty JWT.
type Header struct {
	Alg, Kid, Typ, Cty string
	// enc is read only to be refused; a field, not a local, so that
	// reading it costs no allocation.
	enc string
}

// JWS is a compact JWS split and decoded, not yet verified.
type JWS struct {
	Header Header
	// SigningInput is "header.payload" as sent (RFC 7515 §5.2): what
	// the signature covers.
	SigningInput string
	// sig is the signature segment, base64url, found canonical by Parse
	// and decoded by Signature: a token whose key is unknown, or whose
	// alg is refused, is never decoded that far.
	sig string
	// payload is the raw payload segment, base64url; decoded by Claims.
	payload string
	// members are the header's members as decoded; only EmbeddedKey
	// reads one of them (jwk), for DPoP proofs.
	members map[string]any
}

// Problem names the likely cause of a malformed token, for a hint: what
// a client did to a good token on its way (wrapping it in quotes,
// line-wrapping it, URL-encoding it) or what it sent instead.
type Problem uint8

// The problems MalformedError tells apart. NoProblem means the bytes say
// nothing about how the token went wrong.
const (
	NoProblem   Problem = iota
	Quoted              // the token is wrapped in quotes
	BearerTwice         // the token starts with "Bearer "
	Whitespace          // a space, tab or line break inside
	Encrypted           // a JWE (5 segments, or an enc header), not a JWS
	URLEncoded          // a '%': URL-encoded
	StdBase64           // '+', '/' or '=': standard base64, or padding
	NotJWT              // no '.', or a payload that is no JSON object
)

// MalformedError says what is wrong with a token's syntax. Detail never
// holds the token or any part of it, except single bytes outside the
// base64url alphabet (which are not token content) and member names that
// appear twice, quoted and cut to 64 bytes.
type MalformedError struct {
	// Detail says what is wrong, in plain words, with the RFC section.
	Detail string
	// Problem is the likely cause, when the bytes show one.
	Problem Problem
}

// Error returns "jose: " and the Detail.
func (e *MalformedError) Error() string { return "jose: " + e.Detail }

func malformed(p Problem, format string, args ...any) *MalformedError {
	return &MalformedError{Detail: fmt.Sprintf(format, args...), Problem: p}
}

// b64 is the strict base64url decoder: no padding, and non-zero unused
// trailing bits rejected, so that each value has exactly one encoding
// (jwx accepts non-canonical encodings; Wycheproof tcId 374). Strict still
// skips CR and LF, which checkSyntax has already refused.
var b64 = base64.RawURLEncoding.Strict()

func decodeSegment(name, seg string) ([]byte, *MalformedError) {
	if seg == "" {
		return nil, malformed(NoProblem, "the %s segment is empty", name)
	}
	if len(seg)%4 == 1 {
		return nil, malformed(NoProblem, "the %s segment is %d characters, a length no base64url encoding has", name, len(seg))
	}
	b, err := b64.DecodeString(seg)
	if err != nil {
		return nil, malformed(NoProblem, "the %s segment is not canonical base64url: its last character has non-zero unused bits", name)
	}
	return b, nil
}

// segmentBuf is the largest decoded header or payload decodeText decodes
// on the stack; a longer one costs one allocation more.
const segmentBuf = 1024

// decodeText is decodeSegment for a segment read as text: its one
// allocation is the string, which the values read from it share.
func decodeText(name, seg string) (string, *MalformedError) {
	if seg == "" || len(seg)%4 == 1 || b64.DecodedLen(len(seg)) > segmentBuf {
		b, m := decodeSegment(name, seg)
		return string(b), m
	}
	var buf [segmentBuf]byte
	n, err := b64.Decode(buf[:], []byte(seg))
	if err != nil {
		return "", malformed(NoProblem, "the %s segment is not canonical base64url: its last character has non-zero unused bits", name)
	}
	return string(buf[:n]), nil
}

// Parse splits and decodes a compact JWS (RFC 7515 §7.1) without
// verifying it. It decodes the header and the signature; Claims decodes
// the payload. Every error is a *MalformedError.
//
// It is strict where JOSE leaves room for two readings of one text: only
// base64url bytes and dots, canonical base64url without padding,
// case-sensitive header names, no member twice, no crit (no extension is
// understood, RFC 7515 §4.1.11), no JWE and no nested token (RFC 8725
// §3.3).
func Parse(tok string) (*JWS, error) {
	t := new(JWS)
	if m := parse(tok, t); m != nil {
		return nil, m
	}
	return t, nil
}

// ParseInto is Parse into t, for a caller that holds a JWS inside a
// struct of its own and so saves Parse's allocation of it. t is left
// zero when tok is malformed.
func ParseInto(tok string, t *JWS) error {
	if m := parse(tok, t); m != nil {
		*t = JWS{}
		return m
	}
	return nil
}

func parse(tok string, t *JWS) *MalformedError {
	if m := checkSyntax(tok); m != nil {
		return m
	}
	dot1 := strings.IndexByte(tok, '.')
	if dot1 < 0 {
		if tok == "" {
			return malformed(NoProblem, "the token is empty")
		}
		return malformed(NotJWT, "the token has no '.': it is not a compact JWS (header.payload.signature)")
	}
	dot2 := strings.IndexByte(tok[dot1+1:], '.')
	n := strings.Count(tok, ".") + 1
	if n != 3 {
		if n == 5 {
			return malformed(Encrypted, "the token has 5 segments: it is a JWE (encrypted), not a JWS; nested or encrypted tokens are not accepted (RFC 8725 §3.3)")
		}
		return malformed(NoProblem, "the token has %d segments; a compact JWS has 3 (header.payload.signature)", n)
	}
	dot2 += dot1 + 1
	*t = JWS{SigningInput: tok[:dot2], payload: tok[dot1+1 : dot2]}
	hb, m := decodeText("header", tok[:dot1])
	if m != nil {
		return m
	}
	members, hasEnc, m := parseHeader(hb, &t.Header)
	if m != nil {
		return m
	}
	if hasEnc {
		return malformed(Encrypted, "the header has an enc member: the token is a JWE, not a JWS")
	}
	t.members = members
	sigSeg := tok[dot2+1:]
	if sigSeg == "" && strings.EqualFold(t.Header.Alg, "none") {
		// Reported by the caller as an algorithm that is never allowed.
		return nil
	}
	if m := checkSegment("signature", sigSeg); m != nil {
		return m
	}
	t.sig = sigSeg
	return nil
}

// Signature decodes the signature; it is empty for alg "none" with an
// empty signature segment. Each call decodes it again (the JWS is not
// changed, so that concurrent readers need no lock): callers call it
// once per verification.
func (t *JWS) Signature() []byte { return t.AppendSignature(nil) }

// AppendSignature appends the decoded signature to dst and returns it:
// into a buffer on the caller's stack, a verification costs no
// allocation for it (512 bytes hold an RSA-4096 signature).
func (t *JWS) AppendSignature(dst []byte) []byte {
	b, _ := b64.AppendDecode(dst, []byte(t.sig)) // Parse checked that it decodes
	return b
}

// checkSegment reports what decodeSegment would refuse in seg, whose
// bytes checkSyntax has found in the base64url alphabet, without decoding
// it: an empty segment, a length no encoding has, or non-zero unused bits
// in its last character.
func checkSegment(name, seg string) *MalformedError {
	switch len(seg) % 4 {
	case 0:
		if seg == "" {
			return malformed(NoProblem, "the %s segment is empty", name)
		}
		return nil
	case 1:
		return malformed(NoProblem, "the %s segment is %d characters, a length no base64url encoding has", name, len(seg))
	}
	// 2 characters carry one byte and 4 unused bits, 3 carry two bytes
	// and 2 unused bits (RFC 4648 §3.5).
	unused := byte(0xf)
	if len(seg)%4 == 3 {
		unused = 0x3
	}
	if b64urlValue(seg[len(seg)-1])&unused != 0 {
		return malformed(NoProblem, "the %s segment is not canonical base64url: its last character has non-zero unused bits", name)
	}
	return nil
}

// b64urlValue is the 6-bit value of c, a base64url character.
func b64urlValue(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63 // '_'
}

// DecodePayload returns the payload, base64url-decoded, without reading
// it as JSON. Its error is a *MalformedError.
func (t *JWS) DecodePayload() ([]byte, error) {
	b, m := decodeSegment("payload", t.payload)
	if m != nil {
		return nil, m
	}
	return b, nil
}

func firstNonSpace[T string | []byte](b T) byte {
	for _, c := range []byte(b) {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
