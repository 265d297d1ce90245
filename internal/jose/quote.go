package jose

import (
	"fmt"
	"strings"
)

// Quote quotes a value from a key set or a token for a message, in single
// quotes, cut to 64 bytes, with every non-printable or non-ASCII byte
// escaped as \xNN and a quote or backslash escaped with a backslash, so
// that a message never carries more of an untrusted value than a reader
// needs. Single quotes, not Go's %q: the messages end up as JSON strings
// in log events, where a double quote would be written as \" (harder to
// read, and a slower path of the JSON encoders: about 0.3 µs for a
// rejection's event through zerolog).
func Quote(s string) string { return QuoteCut(s, 64) }

// QuoteCut is Quote with a bound of max bytes instead of 64, for values a
// reader needs more of (a URL).
func QuoteCut(s string, max int) string {
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	var b strings.Builder
	b.Grow(len(s) + 5)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	if cut {
		b.WriteString("...")
	}
	return b.String()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
