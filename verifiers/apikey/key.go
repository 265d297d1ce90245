package apikey

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/internal/quote"
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

// hashString returns SHA-256 of s.
func hashString(s string) [sha256.Size]byte {
	return sha256.Sum256([]byte(s))
}

func checkPrefix(p string) error {
	if p == "" || len(p) > maxPrefixLen || !(p[0] >= 'a' && p[0] <= 'z') {
		return fmt.Errorf("%w: prefix %s must be 1 to %d characters a-z0-9, starting with a letter", ErrInvalidName, quote.Cut(p, 32), maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: prefix %s must be 1 to %d characters a-z0-9, starting with a letter", ErrInvalidName, quote.Cut(p, 32), maxPrefixLen)
		}
	}
	return nil
}

func checkEnv(e string) error {
	if !validEnv(e) {
		return fmt.Errorf("%w: environment %s must be 1 to %d characters a-z0-9", ErrInvalidName, quote.Cut(e, 32), maxEnvLen)
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
