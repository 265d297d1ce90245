package apikey

import (
	"fmt"
	"hash/crc32"
	"strings"
	"unsafe"

	"github.com/authgate/authgate/internal/quote"
)

// ParseKey splits key, in the format <prefix>_<environment>_<id>_<secret><checksum>,
// into its parts and verifies its checksum. prefix is the product prefix
// (DefaultPrefix if empty). It returns:
//
//   - ErrForeignKey when key does not start with "<prefix>_";
//   - an error wrapping ErrMalformed when the rest does not split into an
//     environment, an id and a secret with checksum, or holds a character
//     outside the format's alphabet, or when a key with a valid checksum
//     has parts of the wrong length;
//   - an error wrapping ErrChecksum when the checksum does not match (a
//     mistyped, truncated or lengthened key).
//
// The errors never contain the key or any part of it but the prefix.
func ParseKey(key, prefix string) (Key, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	p := parseKey(key, prefix)
	if p.fail == failNone {
		return Key{full: key, prefix: key[:len(prefix)], env: p.env, id: p.id, secret: p.secret}, nil
	}
	if p.fail == failForeign {
		return Key{}, ErrForeignKey
	}
	d := p.describe(prefix)
	if p.fail.checksum() {
		return Key{}, fmt.Errorf("%w: %s", ErrChecksum, d)
	}
	return Key{}, fmt.Errorf("%w: %s", ErrMalformed, d)
}

// failure is why parseKey did not accept a key.
type failure uint8

const (
	failNone      failure = iota
	failForeign           // not "<prefix>_..."
	failParts             // not three '_'-separated parts after the prefix
	failEmptyPart         // a part is empty
	failEnvChar           // a byte outside a-z0-9 in the environment
	failEnvLen            // environment longer than maxEnvLen
	failChar              // a byte outside base62 in the id or secret
	failShort             // last part shorter than the checksum
	failSum               // checksum does not match
	failLengths           // checksum matches, but id or secret length is off
)

func (f failure) checksum() bool { return f == failShort || f == failSum }

// parsed is the result of parseKey: the parts as substrings of the key (no
// copy), or the failure with numbers to explain it.
type parsed struct {
	env, id, secret string
	fail            failure
	// at is the byte offset of a bad character, or the number of parts.
	at int
	// idLen and lastLen are the lengths of the id and of secret+checksum.
	idLen, lastLen int
}

// parseKey is the allocation-free parser behind ParseKey and Verify.
func parseKey(key, prefix string) parsed {
	var p parsed
	if len(key) <= len(prefix) || key[len(prefix)] != '_' || key[:len(prefix)] != prefix {
		p.fail = failForeign
		return p
	}
	base := len(prefix) + 1
	// The separators of the three parts (environment, id, secret+checksum)
	// by IndexByte and Count, then the first byte after the environment
	// that is neither base62 nor a separator, by table.
	rest := key[base:]
	var seps [2]int
	nsep := 0
	if s0 := strings.IndexByte(rest, '_'); s0 >= 0 {
		nsep = 1 + strings.Count(rest[s0+1:], "_")
		seps[0] = base + s0
		if nsep >= 2 {
			seps[1] = seps[0] + 1 + strings.IndexByte(rest[s0+1:], '_')
		}
	}
	if nsep != 2 {
		p.fail, p.at = failParts, nsep+1
		return p
	}
	bad := -1
	for k := seps[0] + 1; k < len(key); k++ {
		if !keyByte[key[k]] {
			bad = k
			break
		}
	}
	env, id, last := key[base:seps[0]], key[seps[0]+1:seps[1]], key[seps[1]+1:]
	p.idLen, p.lastLen = len(id), len(last)
	switch {
	case env == "":
		p.fail, p.at = failEmptyPart, 0
		return p
	case id == "":
		p.fail, p.at = failEmptyPart, 1
		return p
	case last == "":
		p.fail, p.at = failEmptyPart, 2
		return p
	}
	for k := 0; k < len(env); k++ {
		if c := env[k]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			p.fail, p.at = failEnvChar, base+k
			return p
		}
	}
	if len(env) > maxEnvLen {
		p.fail = failEnvLen
		p.at = len(env)
		return p
	}
	if bad >= 0 {
		p.fail, p.at = failChar, bad
		return p
	}
	if len(last) < ChecksumLength {
		p.fail = failShort
		return p
	}
	body := key[:len(key)-ChecksumLength]
	if want := encodeChecksum(crc32String(body)); string(want[:]) != key[len(body):] {
		p.fail = failSum
		return p
	}
	if len(id) != IDLength || len(last) != SecretLength+ChecksumLength {
		p.fail = failLengths
		return p
	}
	p.env, p.id, p.secret = env, id, last[:SecretLength]
	return p
}

// base62Mask has bit c set for every byte c of base62, split in two words
// for c < 64 and 64 <= c < 128.
var base62Mask = [2]uint64{
	0x03ff000000000000, // '0'-'9' = 48-57
	0x07fffffe07fffffe, // 'A'-'Z' = 65-90, 'a'-'z' = 97-122
}

// keyByte marks the bytes of an id or a secret (base62) and the separator.
var keyByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '_' || isBase62(byte(c))
	}
	return t
}()

func isBase62(c byte) bool {
	return c < 128 && base62Mask[c>>6]&(1<<(c&63)) != 0
}

// describe explains a failure in words, with lengths and offsets but never
// a character of the key beyond the prefix.
func (p parsed) describe(prefix string) string {
	switch p.fail {
	case failParts:
		return fmt.Sprintf("the key starts with %s but has %d '_'-separated parts after it where the format has 3 (environment, id, secret with checksum)", quote.Quote(prefix+"_"), p.at)
	case failEmptyPart:
		return fmt.Sprintf("the key starts with %s but its %s part is empty", quote.Quote(prefix+"_"), [...]string{"environment", "id", "secret"}[p.at])
	case failEnvChar:
		return fmt.Sprintf("the key's environment tag has a character outside a-z0-9 at byte %d", p.at)
	case failEnvLen:
		return fmt.Sprintf("the key's environment tag is %d characters, over the %d allowed", p.at, maxEnvLen)
	case failChar:
		return fmt.Sprintf("the key has a character outside the base62 alphabet at byte %d", p.at)
	case failShort:
		return fmt.Sprintf("the key's last part is %d characters, shorter than the %d-character checksum alone (the format has %d: secret and checksum)", p.lastLen, ChecksumLength, SecretLength+ChecksumLength)
	case failSum:
		d := "the key's checksum does not match its content"
		if p.idLen != IDLength || p.lastLen != SecretLength+ChecksumLength {
			d += fmt.Sprintf("; its id is %d characters (format: %d) and its secret with checksum %d (format: %d)",
				p.idLen, IDLength, p.lastLen, SecretLength+ChecksumLength)
		}
		return d
	case failLengths:
		return fmt.Sprintf("the key's checksum matches but its id is %d characters (format: %d) and its secret with checksum %d (format: %d): it was made by another generator",
			p.idLen, IDLength, p.lastLen, SecretLength+ChecksumLength)
	}
	return "the key is not in the format"
}

// checksumHint is the likely cause of a failed checksum, in words.
func (p parsed) checksumHint() string {
	total := p.idLen + p.lastLen
	want := IDLength + SecretLength + ChecksumLength
	switch {
	case total < want:
		return fmt.Sprintf("the key is %d characters shorter than a generated key: it was probably truncated when copied", want-total)
	case total > want:
		return fmt.Sprintf("the key is %d characters longer than a generated key: extra characters were probably copied with it", total-want)
	}
	return "a character of the key was mistyped or changed when it was copied"
}

// encodeChecksum returns sum as ChecksumLength base62 digits, most
// significant first, padded with '0'. 62^6 > 2^32, so every CRC-32 fits.
func encodeChecksum(sum uint32) [ChecksumLength]byte {
	var d [ChecksumLength]byte
	for i := ChecksumLength - 1; i >= 0; i-- {
		d[i] = base62[sum%62]
		sum /= 62
	}
	return d
}

// crc32String is crc32.ChecksumIEEE(s) without copying s into a []byte,
// which would allocate: crc32 calls its implementation through a function
// value, so the compiler cannot prove the slice does not escape. The slice
// aliases the string's bytes; crc32 only reads them.
func crc32String(s string) uint32 {
	return crc32.ChecksumIEEE(unsafe.Slice(unsafe.StringData(s), len(s)))
}
