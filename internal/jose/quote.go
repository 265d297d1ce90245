package jose

import (
	"strings"

	"github.com/authgate/authgate/internal/quote"
)

// Quote is quote.Quote: the way every message of this package quotes a
// value from a key set or a token.
func Quote(s string) string { return quote.Quote(s) }

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
