package jose

import (
	"fmt"
	"strings"
)

// Quote quotes a value from a key set or a token for a message, cut to 64
// bytes, with every non-printable or non-ASCII byte escaped, so that a
// message never carries more of an untrusted value than a reader needs.
func Quote(s string) string {
	const max = 64
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
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
