package apikey

import (
	"crypto/sha256"
	"encoding/hex"
)

// ForeignKey returns the store id and hash of a key that is not in this
// package's format (a key issued by another system), so that it can be
// added to a store: id is "ext_" followed by 32 hex digits of a SHA-256 of
// the key (domain-separated from the hash), and hash is the SHA-256 of the
// whole key. A Verifier looks such keys up by this id.
//
// Foreign keys must be random with at least 128 bits of entropy, like the
// keys Generate makes: the store keeps a fast hash (see the package
// documentation), which only protects high-entropy secrets.
func ForeignKey(key string) (id string, hash [sha256.Size]byte) {
	return foreignID(key), hashString(key)
}

const foreignIDPrefix = "ext_"

// foreignIDDomain separates the id hash from the stored hash, so that the
// public id reveals nothing about the stored value.
const foreignIDDomain = "authgate/apikey foreign key id\x00"

func foreignID(key string) string {
	h := sha256.New()
	h.Write([]byte(foreignIDDomain))
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	var b [len(foreignIDPrefix) + 32]byte
	copy(b[:], foreignIDPrefix)
	hex.Encode(b[len(foreignIDPrefix):], sum[:16])
	return string(b[:])
}
