package apikey

import (
	"crypto/rand"
	"fmt"
	"hash/crc32"
)

// Generate returns a new key with the given product prefix (1 to 16
// characters a-z0-9, starting with a letter; DefaultPrefix if empty) and
// environment tag (1 to 16 characters a-z0-9, such as "live" or "test").
// The id and the secret come from crypto/rand.
//
// Give Reveal's value to the key's owner once and store only the Record
// (see Key.Record and FormatFileLine): the secret cannot be recovered from
// the store.
func Generate(prefix, env string) (Key, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return Key{}, err
	}
	if err := checkEnv(env); err != nil {
		return Key{}, err
	}
	n := len(prefix) + 1 + len(env) + 1 + IDLength + 1 + SecretLength + ChecksumLength
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	b = append(b, '_')
	b = append(b, env...)
	b = append(b, '_')
	b = appendRandom62(b, IDLength)
	b = append(b, '_')
	b = appendRandom62(b, SecretLength)
	sum := encodeChecksum(crc32.ChecksumIEEE(b))
	b = append(b, sum[:]...)
	k, err := ParseKey(string(b), prefix)
	if err != nil {
		// Unreachable: Generate builds what ParseKey accepts.
		return Key{}, fmt.Errorf("apikey: generated key does not parse: %w", err)
	}
	return k, nil
}

// appendRandom62 appends n characters drawn uniformly from base62, using
// rejection sampling so that no character is more likely than another:
// bytes of 248 and above (248 = 4·62) are discarded.
func appendRandom62(b []byte, n int) []byte {
	var buf [64]byte
	for n > 0 {
		rand.Read(buf[:]) // never returns an error (Go 1.24+): it crashes instead
		for _, c := range buf {
			if c >= 248 {
				continue
			}
			b = append(b, base62[c%62])
			if n--; n == 0 {
				break
			}
		}
	}
	return b
}
