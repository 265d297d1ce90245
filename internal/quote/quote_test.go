package quote

import (
	"strings"
	"testing"
)

// TestQuote pins the quoting of untrusted values in messages: single
// quotes, a quote or backslash in the value escaped so that it cannot end
// the quoted text early, bytes outside printable ASCII as \xNN, and a
// value over the bound cut with "...".
func TestQuote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", `''`},
		{"ec1", `'ec1'`},
		{`a"b`, `'a"b'`},
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{"x' in the key set of issuer 'evil", `'x\' in the key set of issuer \'evil'`},
		{"ec1\r\n{", `'ec1\x0d\x0a{'`},
		{"é\x7f", `'\xc3\xa9\x7f'`},
		{strings.Repeat("k", 64), "'" + strings.Repeat("k", 64) + "'"},
		{strings.Repeat("k", 65), "'" + strings.Repeat("k", 64) + "'..."},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := Cut("https://api.example.com/resource", 9); got != `'https://a'...` {
		t.Errorf("Cut = %s", got)
	}
}

// BenchmarkQuote: a kid-sized value, the common case of every key-set
// and token message.
func BenchmarkQuote(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Quote("es256-0-rotated")
	}
}
