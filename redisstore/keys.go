package redisstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// namer turns what a store keys on into a Redis key name: the prefix and
// the hex HMAC-SHA256 of the name under the fleet's secret. Nothing of
// the name is in clear, and without the secret a name cannot be tested
// against guesses (every IPv4 address, a list of user names).
type namer struct {
	prefix string
	pool   sync.Pool // of *mac: hmac.New allocates about 500 bytes
}

// mac is a pooled HMAC with a buffer for its input.
type mac struct {
	h   hash.Hash
	buf []byte
}

func newNamer(prefix string, secret []byte) *namer {
	key := append([]byte(nil), secret...)
	n := &namer{prefix: prefix}
	n.pool.New = func() any { return &mac{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)} }
	return n
}

// name is the key name of domain+s; domain keeps the names of different
// stores apart even under one prefix.
func (n *namer) name(domain, s string) string {
	m := n.pool.Get().(*mac)
	m.h.Reset()
	m.buf = append(append(m.buf[:0], domain...), s...)
	_, _ = m.h.Write(m.buf)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], m.h.Sum(sum[:0]))
	if cap(m.buf) <= 1024 {
		n.pool.Put(m) // a huge input's buffer is not kept
	}
	return n.prefix + string(out[:])
}
