package apikey_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers/apikey"
)

var keyRE = regexp.MustCompile(`^ak_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{28}$`)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func TestGenerateFormat(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	s := k.Reveal()
	if !keyRE.MatchString(s) {
		t.Fatalf("key %q does not match %s", s, keyRE)
	}
	if len(s) != 49 {
		t.Errorf("len = %d, want 49", len(s))
	}
	if k.Prefix() != apikey.DefaultPrefix || k.Environment() != "live" || k.ID() != s[8:20] {
		t.Errorf("parts: %q %q %q", k.Prefix(), k.Environment(), k.ID())
	}
	// The checksum is the CRC-32 of everything before it, in 6 base62 digits.
	body, sum := s[:len(s)-6], s[len(s)-6:]
	v := uint64(0)
	for i := 0; i < len(sum); i++ {
		v = v*62 + uint64(strings.IndexByte(base62, sum[i]))
	}
	if want := crc32.ChecksumIEEE([]byte(body)); v != uint64(want) {
		t.Errorf("checksum digits decode to %d, CRC-32 is %d", v, want)
	}
	if k.Hash() != sha256.Sum256([]byte(s[21:43])) {
		t.Error("Hash is not the SHA-256 of the 22-character secret")
	}
	p, err := apikey.ParseKey(s, "")
	if err != nil || p.Reveal() != s || p.ID() != k.ID() || p.Hash() != k.Hash() {
		t.Fatalf("ParseKey(generated) = %v, %v", p, err)
	}
}

func TestGenerateEntropy(t *testing.T) {
	t.Parallel()
	if bits := apikey.SecretLength * math.Log2(62); bits < 128 {
		t.Fatalf("secret has %.1f bits, want >= 128", bits)
	}
	// Distinct keys, and every base62 character about equally likely in
	// ids and secrets (no modulo bias: a biased character would be 25%
	// more frequent, ~18 standard deviations here).
	const n = 10000
	seen := make(map[string]bool, n)
	var counts [256]int
	for i := 0; i < n; i++ {
		k := mustKey(t, "test")
		s := k.Reveal()
		if seen[s] || seen[k.ID()] {
			t.Fatalf("key or id repeated after %d keys", i)
		}
		seen[s], seen[k.ID()] = true, true
		for _, c := range []byte(k.ID() + s[21:43]) {
			counts[c]++
		}
	}
	total := n * (apikey.IDLength + apikey.SecretLength)
	mean := float64(total) / 62
	sd := math.Sqrt(mean * (1 - 1.0/62))
	for i := 0; i < len(base62); i++ {
		c := counts[base62[i]]
		if math.Abs(float64(c)-mean) > 8*sd {
			t.Errorf("character %q drawn %d times, expected %.0f ± %.0f", base62[i], c, mean, 8*sd)
		}
	}
}

func TestGenerateNames(t *testing.T) {
	t.Parallel()
	ok := [][2]string{{"", "live"}, {"acme", "test"}, {"a1", "eu2"}, {strings.Repeat("p", 16), strings.Repeat("e", 16)}}
	for _, c := range ok {
		k, err := apikey.Generate(c[0], c[1])
		if err != nil {
			t.Errorf("Generate(%q, %q): %v", c[0], c[1], err)
			continue
		}
		if _, err := apikey.ParseKey(k.Reveal(), c[0]); err != nil {
			t.Errorf("ParseKey of Generate(%q, %q): %v", c[0], c[1], err)
		}
	}
	bad := [][2]string{{"Ak", "live"}, {"1ak", "live"}, {"a_k", "live"}, {strings.Repeat("p", 17), "live"}, {"ak", ""},
		{"ak", "Live"}, {"ak", "li_ve"}, {"ak", strings.Repeat("e", 17)}, {"ak", "li ve"}}
	for _, c := range bad {
		if _, err := apikey.Generate(c[0], c[1]); !errors.Is(err, apikey.ErrInvalidName) {
			t.Errorf("Generate(%q, %q) error = %v, want ErrInvalidName", c[0], c[1], err)
		}
	}
}

// TestChecksumDetectsTypos checks the documented claim: every
// single-character change and every swap of two adjacent, different
// characters is detected.
func TestChecksumDetectsTypos(t *testing.T) {
	t.Parallel()
	for n := 0; n < 3; n++ {
		s := mustKey(t, "live").Reveal()
		for i := 0; i < len(s); i++ {
			for j := 0; j < len(base62); j++ {
				if base62[j] == s[i] || s[i] == '_' {
					continue
				}
				mut := s[:i] + string(base62[j]) + s[i+1:]
				if _, err := apikey.ParseKey(mut, ""); err == nil {
					t.Fatalf("change at %d not detected", i)
				}
			}
			if i+1 < len(s) && s[i] != s[i+1] {
				mut := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]
				if _, err := apikey.ParseKey(mut, ""); err == nil {
					t.Fatalf("swap at %d not detected", i)
				}
			}
		}
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	good := mustKey(t, "live").Reveal()
	cases := []struct {
		name, key string
		want      error
		msg       string
	}{
		{"foreign", "sk_live_abc", apikey.ErrForeignKey, ""},
		{"foreign_prefix_only", "ak", apikey.ErrForeignKey, ""},
		{"foreign_prefix_no_underscore", "akx_live", apikey.ErrForeignKey, ""},
		{"one_part", "ak_live", apikey.ErrMalformed, "has 1 '_'-separated parts"},
		{"two_parts", good[:20], apikey.ErrMalformed, "has 2 '_'-separated parts"},
		{"five_parts", good + "_a_b", apikey.ErrMalformed, "has 5 '_'-separated parts"},
		{"empty_env", "ak__" + good[8:], apikey.ErrMalformed, "environment part is empty"},
		{"empty_id", "ak_live__" + good[21:], apikey.ErrMalformed, "id part is empty"},
		{"empty_secret", good[:21], apikey.ErrMalformed, "secret part is empty"},
		{"env_too_long", "ak_" + strings.Repeat("e", 17) + good[7:], apikey.ErrMalformed, "17 characters, over the 16 allowed"},
		{"bad_char_secret", good[:30] + "!" + good[31:], apikey.ErrMalformed, "at byte 30"},
		{"bad_char_id", good[:9] + "é" + good[10:], apikey.ErrMalformed, "at byte 9"},
		{"short_last", good[:24], apikey.ErrChecksum, "last part is 3 characters"},
		{"typo", typo(good), apikey.ErrChecksum, "checksum does not match"},
		{"truncated", good[:len(good)-1], apikey.ErrChecksum, "secret with checksum 27 (format: 28)"},
		{"valid_sum_wrong_lengths", withChecksum("ak_live_" + good[8:19] + "_" + good[21:43]), apikey.ErrMalformed, "id is 11 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			k, err := apikey.ParseKey(c.key, "ak")
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if k.Reveal() != "" {
				t.Error("a failed parse returned a key")
			}
			if !strings.Contains(fmt.Sprint(err), c.msg) {
				t.Errorf("err %q lacks %q", err, c.msg)
			}
			// I2: the error holds no part of the key but its prefix.
			for _, part := range strings.Split(c.key, "_")[1:] {
				if len(part) >= 4 && strings.Contains(err.Error(), part) {
					t.Errorf("I2 error %q contains key part %q", err, part)
				}
			}
		})
	}
}

// TestKeyRedacted checks that printing a Key in any way never shows the
// secret.
func TestKeyRedacted(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	secret := k.Reveal()[21:]
	want := "ak_live_" + k.ID() + "_[redacted]"
	if k.String() != want {
		t.Errorf("String = %q, want %q", k.String(), want)
	}
	js, err := json.Marshal(map[string]any{"k": k, "p": &k})
	if err != nil || string(js) != `{"k":"`+want+`","p":"`+want+`"}` {
		t.Errorf("json = %s, %v", js, err)
	}
	outs := []string{string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%10.3v"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, []apikey.Key{k}),
			fmt.Sprintf(verb, struct{ K apikey.Key }{k}))
	}
	for _, o := range outs {
		if strings.Contains(o, secret) || strings.Contains(o, secret[:10]) {
			t.Errorf("I2 formatted key shows the secret: %s", o)
		}
	}
	if (apikey.Key{}).String() != "[no key]" {
		t.Errorf("zero Key String = %q", apikey.Key{}.String())
	}
}

func TestForeignKey(t *testing.T) {
	t.Parallel()
	id, h := apikey.ForeignKey("legacy-key-0123456789")
	id2, _ := apikey.ForeignKey("legacy-key-0123456788")
	if !regexp.MustCompile(`^ext_[0-9a-f]{32}$`).MatchString(id) || id == id2 {
		t.Errorf("ids %q, %q", id, id2)
	}
	if h != sha256.Sum256([]byte("legacy-key-0123456789")) {
		t.Error("hash is not the SHA-256 of the key")
	}
	// The id is domain-separated: it is not a prefix of the stored hash.
	if strings.HasPrefix(fmt.Sprintf("%x", h), id[4:]) {
		t.Error("the id reveals the stored hash")
	}
}
