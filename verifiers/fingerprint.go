package verifiers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"
)

// Fingerprinter is the project's one keyed hash: HMAC-SHA-256 under a
// random key of its own. Fingerprint makes short fingerprints of opaque
// credentials (an unknown API key, an opaque token) so that repeated
// attempts with the same credential can be correlated in logs without
// logging it; Sum makes the 32-byte keys of caches and in-flight tables
// that must not hold a credential, or an unkeyed hash of one. The key is
// random per Fingerprinter, so neither can be reversed by brute force
// offline, and neither matches across processes or Fingerprinters.
//
// Never fingerprint a password: user-chosen passwords are guessable, and
// even a keyed fingerprint of one would let anyone who holds the key test
// guesses against the logs. Sum of a password is for memory only (a cache
// key), never for a log.
//
// A Fingerprinter is safe for concurrent use, and neither method
// allocates (Fingerprint's string aside).
type Fingerprinter struct {
	pool sync.Pool // of *macState
}

// macState is one HMAC with a buffer to feed it from: Write through the
// hash.Hash interface makes its argument escape, so the parts are copied
// into the pooled buffer rather than converted to []byte.
type macState struct {
	mac hash.Hash
	buf [128]byte
}

// NewFingerprinter returns a Fingerprinter with a fresh random key.
func NewFingerprinter() *Fingerprinter {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return newFingerprinter(key)
}

// newFingerprinter is a Fingerprinter under key, for tests with vectors.
func newFingerprinter(key []byte) *Fingerprinter {
	f := &Fingerprinter{}
	f.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return f
}

// Sum returns HMAC-SHA-256 under f's key of parts, each preceded by its
// length (a uvarint), so that no two lists of parts give the same input:
// Sum("ab", "c") and Sum("a", "bc") differ whatever bytes the parts hold.
func (f *Fingerprinter) Sum(parts ...string) [sha256.Size]byte {
	s := f.pool.Get().(*macState)
	s.mac.Reset()
	for _, p := range parts {
		n := binary.PutUvarint(s.buf[:], uint64(len(p)))
		s.mac.Write(s.buf[:n])
		for len(p) > 0 {
			n := copy(s.buf[:], p)
			s.mac.Write(s.buf[:n])
			p = p[n:]
		}
	}
	var sum [sha256.Size]byte
	copy(sum[:], s.mac.Sum(s.buf[:0]))
	// The buffer held the parts, which may be a password.
	clear(s.buf[:])
	f.pool.Put(s)
	return sum
}

// Fingerprint returns 16 hex characters (64 bits) of Sum(secret).
func (f *Fingerprinter) Fingerprint(secret string) string {
	sum := f.Sum(secret)
	return hex.EncodeToString(sum[:8])
}
