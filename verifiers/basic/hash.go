package basic

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Errors ParseHash wraps, for errors.Is. Their messages name the format
// (such as "MD5 ($apr1$)"), never any byte of the hash itself: a "hash"
// that is in fact a plain-text password must not reach a log.
var (
	// ErrInsecureHash reports a password stored in a format that is fast to
	// brute-force: plain text, DES crypt, MD5 ($apr1$, $1$) or SHA-1
	// ({SHA}, {SSHA}). authgate refuses these with no option to allow them;
	// re-hash the passwords with bcrypt (htpasswd -B) or argon2id.
	ErrInsecureHash = errors.New("insecure password hash format")
	// ErrUnsupportedHash reports a hash format that may be sound but that
	// this package does not verify, such as SHA-crypt ($5$, $6$), argon2i
	// or argon2d.
	ErrUnsupportedHash = errors.New("unsupported password hash format")
	// ErrMalformedHash reports a bcrypt or argon2id string that does not
	// follow its format, or whose parameters are out of their algorithm's
	// bounds.
	ErrMalformedHash = errors.New("malformed password hash")
	// ErrHashTooExpensive reports a well-formed hash whose parameters are
	// over this package's maxima (MaxBcryptCost, MaxArgon2Memory,
	// MaxArgon2Time, MaxArgon2Parallelism): checking it would cost seconds
	// to hours of CPU or gigabytes of memory per request, and as the
	// strongest hash of its store it would become the decoy that every
	// unknown user pays for too.
	ErrHashTooExpensive = errors.New("password hash too expensive to check")
)

// Algorithm names of Hash.Algorithm.
const (
	AlgBcrypt   = "bcrypt"
	AlgArgon2id = "argon2id"
)

// Maxima of the work one password check may cost. A stored hash asking
// for more is refused (ErrHashTooExpensive): a file, a MemoryStore or a lookup
// function cannot make each login run for minutes or allocate gigabytes,
// whether by mistake (htpasswd -C 31) or by an attacker who can write one
// entry. They leave headroom over current advice: OWASP's password
// storage cheat sheet asks for bcrypt cost 10 or more and for argon2id
// 19 MiB with 2 passes (or 46 MiB with 1); RFC 9106 §4 suggests 64 MiB,
// 3 passes, 4 lanes where 2 GiB is too much.
const (
	// MaxBcryptCost is the highest bcrypt cost accepted. Cost 14 is 16
	// times the work of cost 10 (about 70 ms on a server core), so about
	// 1 s per check; each step above doubles it.
	MaxBcryptCost = 14
	// MaxArgon2Memory is the most memory an argon2id hash may ask for, in
	// KiB: 128 MiB, twice RFC 9106's 64 MiB. Every check in flight holds
	// that much (see WithConcurrentChecks).
	MaxArgon2Memory = 128 << 10
	// MaxArgon2Time is the most passes over the memory (t) accepted.
	MaxArgon2Time = 10
	// MaxArgon2Parallelism is the most lanes (p) accepted; each runs in
	// its own goroutine.
	MaxArgon2Parallelism = 16
	// MaxArgon2KeySize is the longest derived key (digest) accepted, in
	// bytes.
	MaxArgon2KeySize = 256
)

// Hash is a parsed stored password hash: bcrypt or argon2id. Make one with
// ParseHash. A Hash is immutable and safe for concurrent use.
type Hash struct {
	alg     string
	encoded string

	// bcrypt
	cost int

	// argon2id
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte

	// gen identifies the version of the store that produced the Hash. The
	// cache only trusts an entry made against the same encoded hash and the
	// same gen, so a reload or a Put drops it.
	gen uint64

	// also is, on a decoy, the decoy of the store's other algorithm, when
	// its users mix bcrypt and argon2id: a check pays for the strongest
	// hash of each (see pad).
	also *Hash
}

// bcryptAlphabet is bcrypt's own base64 alphabet (not RFC 4648's).
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var bcryptEncoding = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// ParseHash parses a stored password hash:
//
//   - bcrypt: "$2y$", "$2a$" or "$2b$", a two-digit cost, "$", then 53
//     characters of salt and digest (what htpasswd -B and Go's
//     golang.org/x/crypto/bcrypt write);
//   - argon2id in PHC string form:
//     "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<digest>", salt and digest
//     in unpadded standard base64.
//
// Anything else is refused: insecure formats with an error wrapping
// ErrInsecureHash, other known formats with ErrUnsupportedHash, broken
// bcrypt or argon2id strings with ErrMalformedHash, and hashes whose cost
// is over MaxBcryptCost, MaxArgon2Memory, MaxArgon2Time or
// MaxArgon2Parallelism with ErrHashTooExpensive. Error messages never
// quote the input.
func ParseHash(encoded string) (*Hash, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return nil, fmt.Errorf("basic: %w", err)
	}
	return h, nil
}

// parseHash is ParseHash with errors that lack the package prefix, for
// callers that put them after a file, line and user.
func parseHash(encoded string) (*Hash, error) {
	switch {
	case encoded == "":
		return nil, fmt.Errorf("%w: the hash is empty", ErrMalformedHash)
	case strings.HasPrefix(encoded, "$2y$"), strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"):
		return parseBcrypt(encoded)
	case strings.HasPrefix(encoded, "$argon2id$"):
		return parseArgon2id(encoded)
	}
	return nil, classifyOther(encoded)
}

// classifyOther names the format of a hash ParseHash does not accept.
func classifyOther(s string) error {
	insecure := func(name string) error {
		return fmt.Errorf("%w: %s; re-hash the password with bcrypt (htpasswd -B) or argon2id", ErrInsecureHash, name)
	}
	unsupported := func(name string) error {
		return fmt.Errorf("%w: %s; use bcrypt ($2y$) or argon2id", ErrUnsupportedHash, name)
	}
	switch {
	case strings.HasPrefix(s, "$apr1$"):
		return insecure("MD5 ($apr1$)")
	case strings.HasPrefix(s, "$1$"):
		return insecure("MD5-crypt ($1$)")
	case strings.HasPrefix(s, "{SHA}"):
		return insecure("SHA-1 ({SHA})")
	case strings.HasPrefix(s, "{SSHA}"):
		return insecure("salted SHA-1 ({SSHA})")
	case strings.HasPrefix(s, "$2x$"):
		return unsupported("bcrypt $2x$ (hashes made by the buggy crypt_blowfish before 1.1)")
	case strings.HasPrefix(s, "$2$"):
		return unsupported("bcrypt $2$ (the original version, superseded by $2a$)")
	case strings.HasPrefix(s, "$5$"):
		return unsupported("SHA-256-crypt ($5$)")
	case strings.HasPrefix(s, "$6$"):
		return unsupported("SHA-512-crypt ($6$)")
	case strings.HasPrefix(s, "$argon2i$"):
		return unsupported("argon2i (only argon2id is verified)")
	case strings.HasPrefix(s, "$argon2d$"):
		return unsupported("argon2d (only argon2id is verified)")
	case strings.HasPrefix(s, "$y$"), strings.HasPrefix(s, "$7$"), strings.HasPrefix(s, "$scrypt$"):
		return unsupported("yescrypt or scrypt")
	case strings.HasPrefix(s, "$"):
		return unsupported("an unknown $id$ format")
	case len(s) == 13 && strings.Trim(s, bcryptAlphabet) == "":
		return insecure("DES crypt (or a 13-character plain-text password)")
	}
	return insecure("plain text (or an unknown format)")
}

func parseBcrypt(s string) (*Hash, error) {
	// "$2y$10$" + 22 characters of salt + 31 of digest.
	if len(s) != 60 || s[6] != '$' || !isDigit(s[4]) || !isDigit(s[5]) {
		return nil, fmt.Errorf("%w: a bcrypt hash is \"$2y$\", two cost digits, \"$\" and 53 characters, 60 in all (got %d)", ErrMalformedHash, len(s))
	}
	if strings.Trim(s[7:], bcryptAlphabet) != "" {
		return nil, fmt.Errorf("%w: bcrypt salt and digest hold a character outside bcrypt's base64 alphabet", ErrMalformedHash)
	}
	cost, err := bcrypt.Cost([]byte(s))
	if err != nil {
		// Only the cost can be wrong at this point; bcrypt's error
		// names the cost, not the hash.
		return nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	if cost > MaxBcryptCost {
		// Cost 10 takes about 70 ms on a server core; each step doubles it.
		est := (70 * time.Millisecond << (cost - 10)).Round(100 * time.Millisecond)
		if est > time.Minute {
			est = est.Round(time.Second)
		}
		return nil, fmt.Errorf("%w: bcrypt cost %d is over the maximum of %d (MaxBcryptCost): one check would cost 2^%d times the work of cost 10, about %v of CPU; re-hash the password at cost %d or lower",
			ErrHashTooExpensive, cost, MaxBcryptCost, cost-10, est, MaxBcryptCost)
	}
	return &Hash{alg: AlgBcrypt, encoded: s, cost: cost}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

var phcEncoding = base64.RawStdEncoding.Strict()

func parseArgon2id(s string) (*Hash, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: argon2id: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	// "", "argon2id", "v=19", "m=...,t=...,p=...", salt, digest
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return nil, bad("want $argon2id$v=19$m=M,t=T,p=P$salt$digest, got %d $-separated fields", len(parts)-1)
	}
	if parts[2] != "v=19" {
		return nil, bad("version must be v=19 (argon2 1.3)")
	}
	var m, t, p uint64
	ps := strings.Split(parts[3], ",")
	if len(ps) != 3 {
		return nil, bad("parameters must be m=M,t=T,p=P in that order")
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(ps[i], name)
		if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
			return nil, bad("parameters must be m=M,t=T,p=P in that order, decimal without leading zeros")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, bad("parameter %s is not a 32-bit number", name[:1])
		}
		switch i {
		case 0:
			m = n
		case 1:
			t = n
		case 2:
			p = n
		}
	}
	switch {
	case p < 1 || p > 255:
		return nil, bad("p=%d is outside 1..255", p)
	case t < 1:
		return nil, bad("t=%d is below 1", t)
	case m < 8*p:
		return nil, bad("m=%d KiB is below %d (at least 8 KiB per lane)", m, 8*p)
	}
	costly := func(format string, args ...any) error {
		return fmt.Errorf("%w: argon2id: "+format, append([]any{ErrHashTooExpensive}, args...)...)
	}
	switch {
	case m > MaxArgon2Memory:
		return nil, costly("m=%d KiB (%d MiB) is over the maximum of %d KiB (MaxArgon2Memory, %d MiB): every check in flight would hold that much memory; re-hash with m=%d or lower",
			m, m>>10, MaxArgon2Memory, MaxArgon2Memory>>10, MaxArgon2Memory)
	case t > MaxArgon2Time:
		return nil, costly("t=%d passes is over the maximum of %d (MaxArgon2Time); re-hash with t=%d or lower", t, MaxArgon2Time, MaxArgon2Time)
	case p > MaxArgon2Parallelism:
		return nil, costly("p=%d lanes is over the maximum of %d (MaxArgon2Parallelism); re-hash with p=%d or lower", p, MaxArgon2Parallelism, MaxArgon2Parallelism)
	}
	salt, err := phcEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return nil, bad("salt must be at least 8 bytes in unpadded standard base64")
	}
	key, err := phcEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > MaxArgon2KeySize {
		return nil, bad("digest must be 16..%d bytes in unpadded standard base64", MaxArgon2KeySize)
	}
	return &Hash{alg: AlgArgon2id, encoded: s, memory: uint32(m), time: uint32(t), threads: uint8(p), salt: salt, key: key}, nil
}

// Algorithm returns AlgBcrypt or AlgArgon2id.
func (h *Hash) Algorithm() string { return h.alg }

// Params describes the cost parameters, such as "cost 10" or
// "m=65536,t=3,p=4", for log details. It holds no salt and no digest.
func (h *Hash) Params() string {
	if h.alg == AlgBcrypt {
		return "cost " + strconv.Itoa(h.cost)
	}
	return fmt.Sprintf("m=%d,t=%d,p=%d", h.memory, h.time, h.threads)
}

// verify reports whether password matches h, in time that depends on h's
// parameters and not on where password and digest differ.
func (h *Hash) verify(password []byte) bool {
	switch h.alg {
	case AlgBcrypt:
		// bcrypt reads at most 72 bytes of password; longer ones are
		// truncated, as by every bcrypt implementation.
		return bcrypt.CompareHashAndPassword([]byte(h.encoded), password) == nil
	case AlgArgon2id:
		k := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
		return subtle.ConstantTimeCompare(k, h.key) == 1
	}
	return false
}
