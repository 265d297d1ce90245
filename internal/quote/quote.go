// Package quote quotes untrusted values (a kid, an issuer, a subject, a
// scope) for the words of a rejection or a configuration error, the same
// way in every package, so that a log line reads one way throughout.
package quote

// Quote quotes s in single quotes, cut to 64 bytes, with every
// non-printable or non-ASCII byte escaped as \xNN and a quote or backslash
// escaped with a backslash, so that a message never carries more of an
// untrusted value than a reader needs, and the value cannot end its quotes
// early. Single quotes, not Go's %q: the messages end up as JSON strings
// in log events, where a double quote would be written as \" (harder to
// read, and a slower path of the JSON encoders: about 0.3 µs for a
// rejection's event through zerolog).
func Quote(s string) string { return Cut(s, 64) }

// Cut is Quote with a bound of max bytes instead of 64, for values a
// reader needs more of (a URL).
func Cut(s string, max int) string {
	if len(s) <= max && plain(s) {
		return "'" + s + "'"
	}
	return string(Append(make([]byte, 0, min(len(s), max)+8), s, max))
}

// plain reports whether s holds only printable ASCII other than a quote
// and a backslash: nothing to escape.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

// Append appends s quoted as Cut does to b.
func Append(b []byte, s string, max int) []byte {
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	const hex = "0123456789abcdef"
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	b = append(b, '\'')
	if cut {
		b = append(b, "..."...)
	}
	return b
}
