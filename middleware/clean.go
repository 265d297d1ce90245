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

// printableASCII reports whether every byte of s is in 0x20..0x7e. Every
// event the gate logs passes its texts through clean, and almost all of
// them are printable ASCII: it tests 8 bytes at a time.
func printableASCII(s string) bool {
	printable, _ := scanText(s)
	return printable
}

// scanText reports whether every byte of s is in 0x20..0x7e (printable)
// and, if so, whether s also holds no double quote and no backslash (plain): a JSON
// string's content as it stands, with nothing to escape. It tests 8 bytes
// at a time.
func scanText(s string) (printable, plain bool) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	// zero has the high bit of each zero byte of x set, when every byte
	// of x is below 0x80 (which makes the test exact).
	zero := func(x uint64) uint64 { return (x - ones) &^ x & high }
	plain = true
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte of 0x80 or more; else (every byte below 0x80) a byte
		// below 0x20, or a byte equal to 0x7f.
		if w&high != 0 || (w-0x20*ones)&^w&high != 0 || zero(w^(0x7f*ones)) != 0 {
			return false, false
		}
		if zero(w^('"'*ones))|zero(w^('\\'*ones)) != 0 {
			plain = false
		}
	}
	for ; i < len(s); i++ {
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
// caller can then add it to a JSON event without escaping (logText).
func cleanText(s string, max int) (string, bool) {
	if len(s) <= max {
		if printable, plain := scanText(s); printable {
			return s, plain
		}
	}
	return replaceUnclean(s, max), false
}
