package middleware

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// printableASCIIByteByByte is the definition printableASCII implements 8
// bytes at a time.
func printableASCIIByteByByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestPrintableASCIIEveryByteEveryPosition puts each of the 256 byte
// values at each position of printable texts of 1 to 24 bytes (so in the
// word loop and in the tail), next to each edge value, and checks the
// word-at-a-time test against the byte-by-byte one.
func TestPrintableASCIIEveryByteEveryPosition(t *testing.T) {
	edges := []byte{0x20, 0x21, 0x7e, 0x1f, 0x7f, 0x80, 0xff, 0x00}
	for n := 1; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				for _, e := range edges {
					b := []byte(strings.Repeat("a", n))
					b[pos] = byte(c)
					if pos+1 < n {
						b[pos+1] = e
					}
					s := string(b)
					if got, want := printableASCII(s), printableASCIIByteByByte(s); got != want {
						t.Fatalf("printableASCII(%q) = %v, want %v", s, got, want)
					}
				}
			}
		}
	}
}

func FuzzPrintableASCII(f *testing.F) {
	f.Add("the token expired at 2026-12-03T16:34:38Z")
	f.Add("ad\x00min\x7f\x80")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := printableASCII(s), printableASCIIByteByByte(s); got != want {
			t.Fatalf("printableASCII(%q) = %v, want %v", s, got, want)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	s := `the signature does not verify with key kid 'es256-0' (ES256) of issuer 'https://issuer.bench.authgate.test/' (3 keys with kids 'es256-0', 'rs256-0', 'eddsa-0': static JWKS)`
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if clean(s, maxDetailLen) != s {
			b.Fatal("changed")
		}
	}
}
