package verifiers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

// TestSumIsFramedHMAC: Sum is HMAC-SHA-256 under the key of the parts,
// each preceded by its length as a uvarint, as its documentation says;
// Fingerprint is the first 8 bytes of Sum of one part, in hex.
func TestSumIsFramedHMAC(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	f := newFingerprinter(key)
	for _, parts := range [][]string{{}, {""}, {"alice", "pw"}, {"ü", "a:b"}, {strings.Repeat("x", 300)}, {"u", string(make([]byte, 700))}} {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write(binary.AppendUvarint(nil, uint64(len(p))))
			m.Write([]byte(p))
		}
		want := m.Sum(nil)
		if got := f.Sum(parts...); !hmac.Equal(got[:], want) {
			t.Errorf("Sum(%q) differs from the framed HMAC", parts)
		}
		if len(parts) == 1 {
			if got := f.Fingerprint(parts[0]); got != hex.EncodeToString(want[:8]) {
				t.Errorf("Fingerprint(%q) = %s", parts[0], got)
			}
		}
	}
}
