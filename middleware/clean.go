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
	if len(s) <= max && printableASCII(s) {
		return s
	}
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
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte of 0x80 or more; else (every byte below 0x80, which
		// makes both tests exact) a byte below 0x20, or a byte equal to
		// 0x7f (a zero byte of w^0x7f...).
		d := w ^ (0x7f * ones)
		if w&high != 0 || (w-0x20*ones)&^w&high != 0 || (d-ones)&^d&high != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
