package bearer

import (
	"errors"

	"github.com/authgate/authgate/internal/jose"
	quotes "github.com/authgate/authgate/internal/quote"
)

// ErrInvalidKeySet matches, with errors.Is, every error about a key set that
// authgate refuses: a constructor's error for a bad static set, and the
// error logged when a fetched set is refused.
var ErrInvalidKeySet = errors.New("bearer: invalid key set")

// Limits on key sets.
const (
	// MaxKeys is the most keys one key set may hold.
	MaxKeys = jose.MaxKeys
	// MaxKeysTried is the most keys one token's signature is checked
	// against. A token with a kid is checked against that key only; one
	// without kid (or with a kid the set lacks) against the keys without
	// kid bound to its alg, and when there are more than MaxKeysTried of
	// those it is refused with token_key_unknown without any check, so
	// that a forged token never costs a signature check per key of a
	// large set. Issuers that sign with several keys put kid in their
	// tokens (OpenID Connect Core §10.1 requires it).
	MaxKeysTried = 4
	// MinRSABits is the smallest RSA modulus a key set may hold, in bits
	// (RFC 7518 §3.3).
	MinRSABits = jose.MinRSABits
	// MaxRSABits is the largest RSA modulus a key set may hold, in bits:
	// twice what issuers publish (2048 almost everywhere, 3072 or 4096
	// where configured so). A check costs the square of the size, so the
	// 16384 bits crypto/rsa would take cost 4 times as much per check.
	MaxRSABits = jose.MaxRSABits
	// MaxRSAExponent is the largest RSA public exponent accepted (the
	// exponent must also be odd and at least 3): 65537 (F4), which is what
	// issuers use. A verification's cost grows with the exponent's length,
	// and crypto/rsa alone would take up to 2^31-1, 3.5 times the work
	// per check at 8192 bits.
	MaxRSAExponent = jose.MaxRSAExponent
)

// KeySetError says why a key set was refused. It matches ErrInvalidKeySet
// with errors.Is.
type KeySetError struct {
	// Origin names the set: "static JWKS", a file name or a URL.
	Origin string
	// Key names the offending key ("key 2 (kid 'a')"), empty when the
	// problem concerns the whole set.
	Key string
	// Problem says what is wrong, in plain words.
	Problem string
}

// Error says which set was refused and why: "bearer: key set ORIGIN
// refused: key 1 (kid "a"): PROBLEM".
func (e *KeySetError) Error() string {
	s := "bearer: key set " + e.Origin + " refused: "
	if e.Key != "" {
		s += e.Key + ": "
	}
	return s + e.Problem
}

// Is makes errors.Is(err, ErrInvalidKeySet) true.
func (e *KeySetError) Is(target error) bool { return target == ErrInvalidKeySet }

// key is one verification key, bound to exactly one algorithm.
type key = jose.Key

// algorithm is one JWS algorithm.
type algorithm = jose.Algorithm

// allowList is the set of algorithms a Verifier accepts. A nil allowList
// means the default: each algorithm some configured key is bound to.
type allowList = jose.AllowList

// quote quotes an untrusted value for a detail, cut to 64 bytes.
func quote(s string) string { return quotes.Quote(s) }

// quoteURL quotes a URL for a detail, cut to 256 bytes.
func quoteURL(s string) string { return quotes.Cut(s, 256) }

// loadOptions steer parseKeySet.
type loadOptions struct {
	origin string
	// allow is the explicit allow-list, nil for the default.
	allow allowList
	// symmetric permits HMAC keys (static sources only).
	symmetric bool
}

// parseKeySet parses and checks a JWK set with jose.ParseKeySet, whose
// checks STANDARDS.md lists ("Known gaps in jwx's own checks"), and names
// its origin in the error.
func parseKeySet(data []byte, o loadOptions) (*keySet, error) {
	js, err := jose.ParseKeySet(data, jose.KeySetOptions{Allow: o.allow, Symmetric: o.symmetric})
	if err != nil {
		var ke *jose.KeySetError
		if errors.As(err, &ke) {
			return nil, &KeySetError{Origin: o.origin, Key: ke.Key, Problem: ke.Problem}
		}
		return nil, &KeySetError{Origin: o.origin, Problem: err.Error()}
	}
	set := newKeySet(js.Keys, js.ByKid)
	set.skipped, set.symmetric, set.origin = js.Skipped, js.Symmetric, o.origin
	return set, nil
}
