package verifiers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// Fingerprinter makes short keyed fingerprints of opaque credentials (an
// unknown API key, an opaque token) so that repeated attempts with the same
// credential can be correlated in logs without logging it. The key is random
// per Fingerprinter, so fingerprints cannot be reversed by brute force
// offline and do not match across processes.
//
// Never fingerprint a password: user-chosen passwords are guessable, and
// even a keyed fingerprint of one would let anyone who holds the key test
// guesses against the logs.
type Fingerprinter struct {
	pool sync.Pool
}

// NewFingerprinter returns a Fingerprinter with a fresh random key.
func NewFingerprinter() *Fingerprinter {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	f := &Fingerprinter{}
	f.pool.New = func() any { return hmac.New(sha256.New, key) }
	return f
}

// Fingerprint returns 16 hex characters (64 bits) of HMAC-SHA256(key,
// secret).
func (f *Fingerprinter) Fingerprint(secret string) string {
	m := f.pool.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(secret))
	var sum [sha256.Size]byte
	out := m.Sum(sum[:0])
	f.pool.Put(m)
	return hex.EncodeToString(out[:8])
}
