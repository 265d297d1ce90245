package redisstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"

	"github.com/authgate/authgate/middleware"
)

// namer turns what a store keys on into a Redis key name: the prefix and
// the hex HMAC-SHA256 of the name under the fleet's secret. Nothing of
// the name is in clear, and without the secret a name cannot be tested
// against guesses (every IPv4 address, a list of user names).
type namer struct {
	prefix string
	pool   sync.Pool // of *mac: hmac.New allocates about 500 bytes
}

// mac is a pooled HMAC with buffers for its input and output, so that a
// name costs one allocation: the string.
type mac struct {
	h   hash.Hash
	buf []byte
	sum []byte
	hex [2 * sha256.Size]byte
}

func newNamer(prefix string, secret []byte) *namer {
	key := append([]byte(nil), secret...)
	n := &namer{prefix: prefix}
	n.pool.New = func() any {
		return &mac{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 128), sum: make([]byte, 0, sha256.Size)}
	}
	return n
}

// name is the key name of domain+s; domain keeps the names of different
// stores apart even under one prefix.
func (n *namer) name(domain, s string) string {
	m := n.pool.Get().(*mac)
	m.buf = append(append(m.buf[:0], domain...), s...)
	return n.finish(m)
}

// failureName is the name of k: name("", k.String()), without making
// the string.
func (n *namer) failureName(k middleware.FailureKey) string {
	m := n.pool.Get().(*mac)
	m.buf = appendKey(m.buf[:0], k)
	return n.finish(m)
}

// appendKey appends k.String() to b. TestFailureKeyNames holds the two
// to the same bytes.
func appendKey(b []byte, k middleware.FailureKey) []byte {
	if k.Scheme == "" && k.Principal == "" {
		b = append(b, "ip:"...)
	} else {
		b = append(b, "pair:"...)
		b = append(b, k.Scheme...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(len(k.Principal)), 10)
		b = append(b, ':')
		b = append(b, k.Principal...)
		b = append(b, ':')
	}
	return hex.AppendEncode(b, k.Client[:])
}

// finish hashes m.buf and returns the name, putting m back.
func (n *namer) finish(m *mac) string {
	m.h.Reset()
	_, _ = m.h.Write(m.buf)
	m.sum = m.h.Sum(m.sum[:0])
	hex.Encode(m.hex[:], m.sum)
	name := n.prefix + string(m.hex[:])
	if cap(m.buf) <= 1024 {
		n.pool.Put(m) // a huge input's buffer is not kept
	}
	return name
}
