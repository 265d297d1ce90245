package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
	"unsafe"
)

// Lengths of the random parts of a generated key, in base62 characters.
const (
	// IDLength is the length of the public key id: 12 base62 characters,
	// 71 random bits, enough that ids drawn at random do not collide in
	// any realistic key store.
	IDLength = 12
	// SecretLength is the length of the secret: 22 base62 characters,
	// 130.9 random bits (at least 128, see the package documentation).
	SecretLength = 22
	// ChecksumLength is the length of the checksum: the CRC-32 of the rest
	// of the key as 6 base62 digits.
	ChecksumLength = 6
)

// DefaultPrefix is the product prefix of generated keys and of the keys a
// Verifier treats as its own, unless WithPrefix says otherwise.
const DefaultPrefix = "ak"

const (
	maxPrefixLen = 16
	maxEnvLen    = 16
	base62       = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

var (
	// ErrForeignKey is returned by ParseKey for a key that does not start
	// with "<prefix>_": it was not generated in this package's format, so
	// a Verifier looks it up by its hash (see ForeignKey).
	ErrForeignKey = errors.New("apikey: key is not in this package's format")
	// ErrMalformed is wrapped by the ParseKey error for a key that starts
	// with "<prefix>_" but does not split into the parts of the format.
	ErrMalformed = errors.New("apikey: malformed key")
	// ErrChecksum is wrapped by the ParseKey error for a key in the format
	// whose checksum does not match: a typo, a truncation, extra
	// characters.
	ErrChecksum = errors.New("apikey: key checksum does not match")
	// ErrInvalidName reports a prefix or environment outside the allowed
	// characters.
	ErrInvalidName = errors.New("apikey: invalid name")
)

// Key is an API key in this package's format,
//
//	<prefix>_<environment>_<id>_<secret><checksum>
//
// as returned by Generate and ParseKey. Its String and fmt formatting
// never show the secret: call Reveal for the whole key, once, when handing
// it to its owner.
type Key struct {
	full   string
	prefix string
	env    string
	id     string
	secret string
}

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

// Reveal returns the whole key, secret included. Call it only to hand the
// key to its owner; never log it.
func (k Key) Reveal() string { return k.full }

// Prefix returns the key's product prefix.
func (k Key) Prefix() string { return k.prefix }

// Environment returns the key's environment tag, such as "live".
func (k Key) Environment() string { return k.env }

// ID returns the key's public id, the lookup key in the Store. It is safe
// to log.
func (k Key) ID() string { return k.id }

// Hash returns the SHA-256 of the key's secret, the value a Record stores.
func (k Key) Hash() [sha256.Size]byte { return hashString(k.secret) }

// String returns the key with its secret and checksum replaced by
// "[redacted]", such as "ak_live_Zx81bQ0aLm3c_[redacted]". It is safe to
// log.
func (k Key) String() string {
	if k.full == "" {
		return "[no key]"
	}
	return k.prefix + "_" + k.env + "_" + k.id + "_[redacted]"
}

// GoString returns the same as String, so %#v does not show the secret.
func (k Key) GoString() string { return "apikey.Key(" + k.String() + ")" }

// Format makes every fmt verb print String, so no verb (%v, %+v, %d, %x
// ...) can print the secret.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(k.GoString()))
		return
	}
	_, _ = f.Write([]byte(k.String()))
}

// MarshalText returns String, so that encoders (encoding/json, loggers)
// write the redacted form.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Record returns the store record of the key: its id, the SHA-256 of its
// secret, its environment, the given subject, scopes and expiry (zero for
// none), and the current time, to the second, as creation time. Pass it
// to MemoryStore.Put or FormatFileLine.
func (k Key) Record(subject string, scopes []string, expires time.Time) *Record {
	return &Record{
		ID:          k.id,
		Hash:        k.Hash(),
		Subject:     subject,
		Scopes:      scopes,
		Environment: k.env,
		Created:     time.Now().UTC().Truncate(time.Second),
		Expires:     expires,
	}
}

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
	// One pass: find the separators of the three parts (environment, id,
	// secret+checksum) and the first byte after the environment that is
	// not base62.
	var seps [2]int
	nsep, bad := 0, -1
	for k := base; k < len(key); k++ {
		c := key[k]
		if c == '_' {
			if nsep < 2 {
				seps[nsep] = k
			}
			nsep++
		} else if bad < 0 && nsep > 0 && !isBase62(c) {
			bad = k
		}
	}
	if nsep != 2 {
		p.fail, p.at = failParts, nsep+1
		return p
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

func isBase62(c byte) bool {
	return c < 128 && base62Mask[c>>6]&(1<<(c&63)) != 0
}

// describe explains a failure in words, with lengths and offsets but never
// a character of the key beyond the prefix.
func (p parsed) describe(prefix string) string {
	switch p.fail {
	case failParts:
		return fmt.Sprintf("the key starts with %q but has %d '_'-separated parts after it where the format has 3 (environment, id, secret with checksum)", prefix+"_", p.at)
	case failEmptyPart:
		return fmt.Sprintf("the key starts with %q but its %s part is empty", prefix+"_", [...]string{"environment", "id", "secret"}[p.at])
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

// hashString returns SHA-256 of s.
func hashString(s string) [sha256.Size]byte {
	return sha256.Sum256([]byte(s))
}

func checkPrefix(p string) error {
	if p == "" || len(p) > maxPrefixLen || !(p[0] >= 'a' && p[0] <= 'z') {
		return fmt.Errorf("%w: prefix %q must be 1 to %d characters a-z0-9, starting with a letter", ErrInvalidName, clip(p), maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: prefix %q must be 1 to %d characters a-z0-9, starting with a letter", ErrInvalidName, clip(p), maxPrefixLen)
		}
	}
	return nil
}

func checkEnv(e string) error {
	if !validEnv(e) {
		return fmt.Errorf("%w: environment %q must be 1 to %d characters a-z0-9", ErrInvalidName, clip(e), maxEnvLen)
	}
	return nil
}

func validEnv(e string) bool {
	if e == "" || len(e) > maxEnvLen {
		return false
	}
	for i := 0; i < len(e); i++ {
		if c := e[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// clip bounds a configuration value quoted in an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
