package bearer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// DefaultNonceRotation is how often NewDPoPNonces issues a new nonce.
const DefaultNonceRotation = 5 * time.Minute

// nonceTagBytes is the length of a nonce's HMAC tag: 128 bits, beyond
// guessing.
const nonceTagBytes = 16

// DPoPNonces issues stateless DPoP nonces (RFC 9449 §8): each names its
// rotation period and carries an HMAC-SHA256 tag of it under a secret.
// A nonce is accepted during its period and the next one, so a client
// that got a nonce just before a rotation keeps it for at least one full
// period. Instances that share the secret accept each other's nonces
// without sharing any state. Make one with NewDPoPNonces.
type DPoPNonces struct {
	key    []byte
	period time.Duration
	now    func() time.Time
	cur    atomic.Pointer[issued]
}

type issued struct {
	epoch int64
	nonce string
}

// NewDPoPNonces returns a DPoPNonceSource whose nonces rotate every
// rotation (DefaultNonceRotation when 0; at least one second). secret
// must be at least 32 bytes, and the same on every instance behind one
// URL; nil makes a random one, for a single instance. now is the clock,
// time.Now when nil.
func NewDPoPNonces(secret []byte, rotation time.Duration, now func() time.Time) (*DPoPNonces, error) {
	switch {
	case rotation == 0:
		rotation = DefaultNonceRotation
	case rotation < time.Second:
		return nil, fmt.Errorf("bearer: NewDPoPNonces: rotation %v is under a second", rotation)
	}
	if secret == nil {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	if len(secret) < 32 {
		return nil, errors.New("bearer: NewDPoPNonces: the secret must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &DPoPNonces{key: append([]byte(nil), secret...), period: rotation, now: now}, nil
}

// epoch is the number of the rotation period t falls in.
func (n *DPoPNonces) epoch(t time.Time) int64 { return t.UnixNano() / int64(n.period) }

// Nonce returns the nonce of the current period.
func (n *DPoPNonces) Nonce() string {
	e := n.epoch(n.now())
	if c := n.cur.Load(); c != nil && c.epoch == e {
		return c.nonce
	}
	var buf [8 + nonceTagBytes]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(e))
	copy(buf[8:], n.tag(buf[:8]))
	s := base64.RawURLEncoding.EncodeToString(buf[:])
	n.cur.Store(&issued{epoch: e, nonce: s})
	return s
}

// Check reports whether nonce was issued by a DPoPNonces with the same
// secret in the current period or the one before.
func (n *DPoPNonces) Check(nonce string) bool {
	var buf [8 + nonceTagBytes]byte
	if base64.RawURLEncoding.EncodedLen(len(buf)) != len(nonce) {
		return false
	}
	if k, err := base64.RawURLEncoding.Strict().Decode(buf[:], []byte(nonce)); err != nil || k != len(buf) {
		return false
	}
	if !hmac.Equal(buf[8:], n.tag(buf[:8])) {
		return false
	}
	e, cur := int64(binary.BigEndian.Uint64(buf[:8])), n.epoch(n.now())
	return e == cur || e == cur-1
}

func (n *DPoPNonces) tag(epoch []byte) []byte {
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("authgate dpop nonce\x00"))
	m.Write(epoch)
	return m.Sum(nil)[:nonceTagBytes]
}
