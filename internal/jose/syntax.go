package jose

import (
	"fmt"
	"strings"
)

// This file checks the bytes of a compact JWS before any decoding: only
// the base64url alphabet and dots (RFC 7515 §2, §7.1), and for any other
// byte, the copy-paste accident it most likely comes from.

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

// tokenBytes is 1 for the bytes of a compact JWS (the base64url alphabet
// and '.'), 0 for the others: checkSyntax ANDs eight of them at once.
var tokenBytes = func() (t [256]uint8) {
	for c, ok := range b64urlAlphabet {
		if ok || c == '.' {
			t[c] = 1
		}
	}
	return t
}()

// IsBase64URL reports whether c is in the base64url alphabet (RFC 4648
// §5).
func IsBase64URL(c byte) bool { return b64urlAlphabet[c] }

// checkSyntax checks that tok is made only of base64url characters and
// dots, and names the likely copy-paste accident when it is not.
func checkSyntax(tok string) *MalformedError {
	// Eight bytes at a time with one branch, then byte by byte from the
	// block holding the first bad byte (or the tail), which it names.
	i := 0
	for ; i+8 <= len(tok); i += 8 {
		b := tok[i : i+8]
		if tokenBytes[b[0]]&tokenBytes[b[1]]&tokenBytes[b[2]]&tokenBytes[b[3]]&
			tokenBytes[b[4]]&tokenBytes[b[5]]&tokenBytes[b[6]]&tokenBytes[b[7]] == 0 {
			break
		}
	}
	for ; i < len(tok); i++ {
		c := tok[i]
		if IsBase64URL(c) || c == '.' {
			continue
		}
		return SyntaxError(tok, i)
	}
	return nil
}

// SyntaxError explains why byte i of tok, a byte outside the token's
// alphabet, has no place in it, naming the likely copy-paste accident.
// Callers with another alphabet (RFC 6750's b64token) use it for the
// bytes they refuse.
func SyntaxError(tok string, i int) *MalformedError {
	c := tok[i]
	at := fmt.Sprintf("byte %d of %d is %s", i, len(tok), describeByte(c))
	switch {
	case c == '"' || c == '\'':
		if i == 0 || i == len(tok)-1 {
			return malformed(Quoted, "the token starts or ends with a quote (%s)", at)
		}
	case c == ' ' || c == '\t':
		if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
			return malformed(BearerTwice, "the token starts with the word Bearer (%s)", at)
		}
		return malformed(Whitespace, "the token holds whitespace (%s)", at)
	case c == '\r' || c == '\n':
		return malformed(Whitespace, "the token holds a line break (%s)", at)
	case c == '%':
		return malformed(URLEncoded, "the token holds a character outside base64url (%s)", at)
	case c == '+' || c == '/' || c == '=':
		return malformed(StdBase64, "the token holds a character outside base64url (%s)", at)
	}
	return malformed(NoProblem, "the token holds a character that has no place in a token (%s)", at)
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
