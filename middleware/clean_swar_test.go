package middleware

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// printableASCII reports whether every byte of s is in 0x20..0x7e: the
// first result of scanText, which the tests hold to its byte-by-byte
// definition.
func printableASCII(s string) bool {
	printable, _ := scanText(s)
	return printable
}

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

// scanTextByteByByte is the definition scanText implements 8 bytes at a
// time.
func scanTextByteByByte(s string) (printable, plain bool) {
	if !printableASCIIByteByByte(s) {
		return false, false
	}
	return true, !strings.ContainsAny(s, `"\`)
}

// TestPrintableASCIIEveryByteEveryPosition puts each of the 256 byte
// values at each position of printable texts of 1 to 24 bytes (so in the
// short loop, in the word loop and in the overlapping last word), next
// to each edge value, and checks the
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
					p, pl := scanText(s)
					if wp, wpl := scanTextByteByByte(s); p != wp || pl != wpl {
						t.Fatalf("scanText(%q) = %v, %v, want %v, %v", s, p, pl, wp, wpl)
					}
				}
			}
		}
	}
}

func FuzzPrintableASCII(f *testing.F) {
	f.Add("the token expired at 2026-12-03T16:34:38Z")
	f.Add("ad\x00min\x7f\x80")
	f.Add(`a "quoted" \ text`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := printableASCII(s), printableASCIIByteByByte(s); got != want {
			t.Fatalf("printableASCII(%q) = %v, want %v", s, got, want)
		}
		p, pl := scanText(s)
		if wp, wpl := scanTextByteByByte(s); p != wp || pl != wpl {
			t.Fatalf("scanText(%q) = %v, %v, want %v, %v", s, p, pl, wp, wpl)
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

// TestFieldsAsStr: fields writes every run of fields exactly as
// zerolog's Str and Int write them one by one, whether a field joins the
// raw run (plain) or not: quotes, backslashes, control characters,
// non-ASCII, the bounds, attribute keys that need escaping or are empty,
// values that overflow the run's buffer, in every position of the run.
func TestFieldsAsStr(t *testing.T) {
	texts := []string{
		"", "a", "the token expired at 2026-12-03T16:34:38Z, 2h0m0s ago", `kid 'k' of "issuer"`, `back\slash`,
		"tab\there", "ad\x00min", "caf\xc3\xa9", "\xff", "bidi\u202etxt", strings.Repeat("x", maxAttrLen),
		strings.Repeat("y", maxAttrLen+1), strings.Repeat("z", maxDetailLen), strings.Repeat("w", maxDetailLen+5),
		strings.Repeat("v", fieldsBuf-7), strings.Repeat("u", fieldsBuf),
	}
	keys := []string{"k", "detail", `qu"ote`, "", "caf\xc3\xa9", strings.Repeat("k", 70)}
	type field struct {
		key, val string
		max, n   int // max > 0: a cleaned text; else n, an Int
	}
	var all []field
	for i, s := range texts {
		for _, max := range []int{maxAttrLen, maxDetailLen} {
			all = append(all, field{keys[i%len(keys)], s, max, 0})
		}
		// Int keys are the gate's own, plain.
		all = append(all, field{[]string{"status", "suppressed", "n"}[i%3], "", 0, -i * 1000003})
	}
	check := func(fs []field) {
		t.Helper()
		var got, want bytes.Buffer
		gl, wl := zerolog.New(&got), zerolog.New(&want)
		ev, wev := gl.Log(), wl.Log()
		var buf [fieldsBuf]byte
		f := fields{ev: ev}
		b := buf[:0]
		for _, x := range fs {
			if x.max == 0 {
				b = f.int(b, x.key, x.n)
				wev.Int(x.key, x.n)
				continue
			}
			c, plain := cleanText(x.val, x.max)
			if c != clean(x.val, x.max) {
				t.Fatalf("cleanText(%q) = %q, clean gives %q", x.val, c, clean(x.val, x.max))
			}
			_, kPlain := scanText(x.key)
			b = f.field(b, x.key, kPlain, c, plain)
			wev.Str(x.key, c)
		}
		f.flush(b)
		ev.Msg("")
		wev.Msg("")
		if got.String() != want.String() {
			t.Fatalf("fields %+v:\n%s\nStr and Int write\n%s", fs, got.String(), want.String())
		}
		if rawJSONText && !json.Valid(got.Bytes()) {
			t.Fatalf("not JSON: %s", got.String())
		}
	}
	for i := range all {
		check(all[i : i+1])
		for j := range all {
			check([]field{all[i], all[j], all[(i+j)%len(all)]})
		}
	}
	check(all)
}

// BenchmarkEventText: a refusal's detail and hint (330 bytes, from the
// unknown_key row of the benchmarks) added to a zerolog event as Str
// writes them, and as fields does: raw, once scanText found nothing to
// escape (354 vs 228 ns when raw texts were first written).
func BenchmarkEventText(b *testing.B) {
	d := "no key with kid 'eddsa-0-rotated' in the key set of issuer 'https://issuer.bench.authgate.test/' (3 keys with kids 'es256-0', 'rs256-0', 'eddsa-0': static JWKS); static keys are never fetched again"
	h := "the issuer may have rotated its keys: update the configured key set; or the token comes from another environment or tenant"
	l := zerolog.New(io.Discard)
	b.Run("Str", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.Warn().Str("detail", clean(d, maxDetailLen)).Str("hint", clean(h, maxDetailLen)).Msg("x")
		}
	})
	b.Run("fields", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev := l.Warn()
			var buf [fieldsBuf]byte
			f := fields{ev: ev}
			c, plain := cleanText(d, maxDetailLen)
			b := f.text(buf[:0], "detail", c, plain)
			c, plain = cleanText(h, maxDetailLen)
			f.flush(f.text(b, "hint", c, plain))
			ev.Msg("x")
		}
	})
}
