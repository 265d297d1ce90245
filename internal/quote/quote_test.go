package quote

import (
	"strconv"
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

// FuzzQuote: whatever the value and the bound, the quoted text is
// printable ASCII, reads back (undoing the escapes) as exactly the value
// cut to the bound, says "..." exactly when it was cut, matches Append,
// and is at most 4×max+5 bytes.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "ec1", "it's", `a\b`, "ec1\r\n{\"level\"", "é\x7f\xff", strings.Repeat("k", 70)} {
		f.Add(s, 64)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 512 {
			return
		}
		q := Cut(s, max)
		if a := string(Append(nil, s, max)); a != q {
			t.Fatalf("Cut %q, Append %q", q, a)
		}
		if len(q) > 4*max+5 {
			t.Fatalf("%d bytes for max %d", len(q), max)
		}
		for i := 0; i < len(q); i++ {
			if c := q[i]; c < 0x20 || c >= 0x7f {
				t.Fatalf("byte %#x in %q", c, q)
			}
		}
		want, cut := s, false
		if len(s) > max {
			want, cut = s[:max], true
		}
		if strings.HasSuffix(q, "'...") != cut {
			t.Fatalf("%q: cut %v", q, cut)
		}
		body := strings.TrimSuffix(q, "...")
		if len(body) < 2 || body[0] != '\'' || body[len(body)-1] != '\'' {
			t.Fatalf("%q: not quoted", q)
		}
		got, ok := unquote(body[1 : len(body)-1])
		if !ok || got != want {
			t.Fatalf("%q reads back as %q (ok %v), want %q", q, got, ok, want)
		}
	})
}

// unquote undoes Append's escapes; ok is false for an unescaped quote or
// a malformed escape, which Append never writes.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			return "", false
		case '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch s[i+1] {
			case '\'', '\\':
				b.WriteByte(s[i+1])
				i++
			case 'x':
				if i+3 >= len(s) {
					return "", false
				}
				v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
				if err != nil {
					return "", false
				}
				b.WriteByte(byte(v))
				i += 3
			default:
				return "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
