package jose

import (
	"strings"

	"github.com/authgate/authgate/internal/quote"
)

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
