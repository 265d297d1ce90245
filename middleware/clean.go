package middleware

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean replaces control characters, invalid UTF-8 and the characters
// spoofing reports in s by U+FFFD and bounds its length, so a value taken
// from the request cannot forge log lines, pass for another, or flood them. Replaced, not dropped: "ad\x00min" must not log as
// "admin", someone else's name. It does not allocate when s is already
// clean ASCII.
func clean(s string, max int) string {
	c, _ := cleanText(s, max)
	return c
}

// replaceUnclean is clean of a text that is not printable ASCII within
// max: the replacing and the bound.
func replaceUnclean(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || spoofing(c) {
			c = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(c) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

// spoofing reports whether c would let a logged value read as something
// else: the invisible format characters (Unicode category Cf: the
// bidirectional controls of a "Trojan Source" reordering, CVE-2021-42574,
// zero-width spaces and joiners, the byte order mark, the soft hyphen,
// which make "ad\u200bmin" look like "admin") and the line and paragraph
// separators, which some log viewers break lines on.
func spoofing(c rune) bool {
	return c >= 0xad && unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp)
}

// scanText reports whether every byte of s is in 0x20..0x7e (printable)
// and, if so, whether s also holds no double quote and no backslash (plain): a JSON
// string's content as it stands, with nothing to escape. It tests 8 bytes
// at a time without a branch on the bytes: the words' findings are
// gathered and looked at once at the end (so it never stops early: its
// callers bound the text first), and a text of 8 bytes or more ends with
// a word that overlaps the one before (testing a byte twice changes
// nothing).
func scanText(s string) (printable, plain bool) {
	if len(s) < 8 {
		return scanShort(s)
	}
	// The words before the last, then the last 8 bytes.
	bad, quote := scanWord(word(s, len(s)-8))
	for i := 0; i < len(s)-8; i += 8 {
		b, q := scanWord(word(s, i))
		bad |= b
		quote |= q
	}
	return bad == 0, bad == 0 && quote == 0
}

// word is the 8 bytes of s at i, little-endian (one load).
func word(s string, i int) uint64 {
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// scanWord returns, for the 8 bytes of w, bad: nonzero when a byte is
// 0x80 or more, below 0x20, or 0x7f; quote: nonzero, when bad is zero, if
// a byte is a double quote or a backslash. The byte tests ((x - n) &^ x
// for a byte below n, here n = 1 and 0x20) are exact for a word whose
// bytes are all below 0x80, and a word with any other byte is bad anyway.
func scanWord(w uint64) (bad, quote uint64) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	del, dq, bs := w^(0x7f*ones), w^('"'*ones), w^('\\'*ones)
	bad = (w | (w-0x20*ones)&^w | (del-ones)&^del) & high
	quote = ((dq-ones)&^dq | (bs-ones)&^bs) & high
	return bad, quote
}

// scanShort is scanText for fewer than 8 bytes.
func scanShort(s string) (printable, plain bool) {
	plain = true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f || c >= utf8.RuneSelf:
			return false, false
		case c == '"' || c == '\\':
			plain = false
		}
	}
	return true, plain
}

// cleanText is clean, and whether its result is plain (scanText): a
// caller can then add it to a JSON event without escaping (fields).
func cleanText(s string, max int) (string, bool) {
	if len(s) <= max {
		if printable, plain := scanText(s); printable {
			return s, plain
		}
	}
	return replaceUnclean(s, max), false
}
