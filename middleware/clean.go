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
	ok := len(s) <= max
	if ok {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
				ok = false
				break
			}
		}
	}
	if ok {
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
