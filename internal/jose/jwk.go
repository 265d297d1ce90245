package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/authgate/authgate/internal/quote"
)

// Limits on key sets.
const (
	// MaxKeys is the most keys one key set may hold.
	MaxKeys = 256
	// MinRSABits is the smallest RSA modulus accepted, in bits (RFC 7518
	// §3.3).
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus accepted, in bits: a check
	// costs the square of the size.
	MaxRSABits = 8192
	// MaxRSAExponent is the largest RSA public exponent accepted (it must
	// also be odd and at least 3): a check's cost grows with the
	// exponent's length.
	MaxRSAExponent = 1<<16 + 1
)

// KeySet is a parsed and checked JWK set: the keys that verify
// signatures, each bound to one algorithm, and those left out.
type KeySet struct {
	Keys []*Key
	// ByKid maps each kid to its key; keys without kid are not in it.
	ByKid map[string]*Key
	// Skipped lists the keys left out, and why ("key 2 (kid 'e'): use
	// is 'enc', not sig"): encryption keys, key types or curves this
	// package does not verify with.
	Skipped []string
	// Symmetric is true for a set of HMAC secrets, false for public keys.
	Symmetric bool
}

// KeySetOptions steer ParseKeySet.
type KeySetOptions struct {
	// Allow is the explicit allow-list, nil for none. A key without alg
	// is bound within it, and an inferred algorithm outside it makes the
	// key skipped.
	Allow AllowList
	// Symmetric permits HMAC (oct) keys: only for sets from static
	// configuration, never for fetched ones.
	Symmetric bool
}

// KeySetError says why a key set was refused.
type KeySetError struct {
	// Key names the offending key ("key 1 (kid 'a')"), empty when the
	// problem concerns the whole set.
	Key string
	// Problem says what is wrong, in plain words.
	Problem string
}

// Error returns "jose: key set refused: KEY: PROBLEM".
func (e *KeySetError) Error() string {
	s := "jose: key set refused: "
	if e.Key != "" {
		s += e.Key + ": "
	}
	return s + e.Problem
}

// rawKey holds the JWK members that decide whether and how a key is used.
type rawKey struct {
	Kty    string          `json:"kty"`
	Kid    string          `json:"kid"`
	Use    string          `json:"use"`
	KeyOps json.RawMessage `json:"key_ops"`
	Alg    string          `json:"alg"`
	Crv    string          `json:"crv"`
}

// privateMembers are JWK members that only a private key has (RFC 7518
// §6.2.2, §6.3.2; RFC 8037 §2).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth"}

// ParseKeySet parses a JWK set (RFC 7517 §5), or a single JWK, and
// applies checks stricter than jwx's own (STANDARDS.md, "Known gaps in
// jwx's own checks"). jwx only parses each key's members and exports its
// material; every rule below is this package's. Its error is a
// *KeySetError.
//
//   - keys meant for encryption (use "enc", key_ops without "verify", or a
//     JWE alg) and key types it does not verify with are skipped; a key
//     that claims to sign but is unusable fails the set;
//   - RSA moduli of MinRSABits to MaxRSABits bits, odd public exponent
//     from 3 to MaxRSAExponent, no ROCA-weak modulus;
//   - EC keys on the curve their alg names, points on the curve;
//   - HMAC keys at least as long as their hash, with an explicit alg, only
//     with o.Symmetric and never beside asymmetric keys;
//   - no private key material, unique kids, at most MaxKeys keys, and at
//     least one usable key.
//
// A key without alg is bound to one algorithm inferred from its type: EC
// by curve, Ed25519 to EdDSA (or Ed25519 when only that name is allowed),
// RSA to RS256 unless the allow-list excludes RS256 and names exactly one
// other RSA algorithm. An inferred algorithm outside an explicit allow-list
// makes the key unusable (skipped).
func ParseKeySet(data []byte, o KeySetOptions) (*KeySet, error) {
	fail := func(key, format string, args ...any) error {
		return &KeySetError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	raws, err := splitSet(data)
	if err != nil {
		return nil, fail("", "%s", err)
	}
	s := &KeySet{ByKid: make(map[string]*Key, len(raws))}
	asymmetric := false
	for i, raw := range raws {
		k, skip, err := parseKey(raw, o)
		name := describeKey(i, k, raw)
		if err != nil {
			return nil, fail(name, "%s", err.Error())
		}
		if skip != "" {
			s.Skipped = append(s.Skipped, name+": "+skip)
			continue
		}
		if k.Kid != "" {
			if _, dup := s.ByKid[k.Kid]; dup {
				return nil, fail(name, "kid %s appears on two keys; a kid must name one key", quote.Quote(k.Kid))
			}
			s.ByKid[k.Kid] = k
		}
		if k.Alg.fam == famHMAC {
			s.Symmetric = true
		} else {
			asymmetric = true
		}
		if s.Symmetric && asymmetric {
			return nil, fail("", "the set mixes HMAC (oct) and asymmetric keys; one verifier takes either shared secrets or public keys, so that no token can have its algorithm confused (RFC 8725 §2.1)")
		}
		s.Keys = append(s.Keys, k)
	}
	if len(s.Keys) == 0 {
		why := "the set is empty"
		if len(s.Skipped) > 0 {
			why = "every key was skipped: " + strings.Join(s.Skipped, "; ")
		}
		return nil, fail("", "no key can verify signatures: %s", why)
	}
	return s, nil
}

// splitSet returns the JWKs of a set, or the one JWK that data is.
func splitSet(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var raws []json.RawMessage
	if ks, ok := top["keys"]; ok {
		if err := json.Unmarshal(ks, &raws); err != nil || raws == nil {
			return nil, errors.New("'keys' is not an array of JWKs")
		}
	} else if _, ok := top["kty"]; ok {
		raws = []json.RawMessage{data}
	} else {
		return nil, errors.New("no 'keys' member: not a JWK set (RFC 7517 §5)")
	}
	if len(raws) > MaxKeys {
		return nil, fmt.Errorf("%d keys, more than the %d allowed", len(raws), MaxKeys)
	}
	return raws, nil
}

// describeKey names key i for error messages.
func describeKey(i int, k *Key, raw json.RawMessage) string {
	kid := ""
	if k != nil {
		kid = k.Kid
	} else {
		var m struct {
			Kid any `json:"kid"`
		}
		if json.Unmarshal(raw, &m) == nil {
			if s, ok := m.Kid.(string); ok {
				kid = s
			}
		}
	}
	if kid == "" {
		return fmt.Sprintf("key %d", i)
	}
	return fmt.Sprintf("key %d (kid %s)", i, quote.Quote(kid))
}

// parseKey checks one JWK. It returns the key, or a non-empty skip reason
// for a key that is not for signatures, or an error for a key that claims
// to be for signatures but is unusable. Each step may end it with a skip
// reason or an error: what the members say, what the key is for, its
// type, its algorithm, then its material.
func parseKey(raw json.RawMessage, o KeySetOptions) (*Key, string, error) {
	m, members, err := decodeJWK(raw)
	if err != nil {
		return nil, "", err
	}
	forSig, skip, err := purpose(m)
	if skip != "" || err != nil {
		return nil, skip, err
	}
	if skip, err := checkType(m); skip != "" || err != nil {
		return nil, skip, err
	}
	alg, inferred, skip, err := bindAlg(m, forSig, o.Allow)
	if skip != "" || err != nil {
		return nil, skip, err
	}
	if alg.fam == famHMAC && !o.Symmetric {
		return nil, "", errors.New("an HMAC (oct) key in a fetched key set: shared secrets are only taken from static configuration, never from a URL")
	}
	if alg.fam != famHMAC {
		for _, name := range privateMembers {
			if _, ok := members[name]; ok {
				return nil, "", fmt.Errorf("private key material (member %s): a key set for verification must hold public keys only", quote.Quote(name))
			}
		}
	}
	if inferred && o.Allow != nil && !o.Allow.Has(alg) {
		return nil, "it has no alg, and the algorithm its type implies (" + alg.name + ") is not in the allow-list", nil
	}
	k := &Key{Kid: m.Kid, Alg: alg, Inferred: inferred}
	if err := setMaterial(k, raw); err != nil {
		return nil, "", err
	}
	return k, "", nil
}

// decodeJWK reads the members of a JWK that decide its use.
func decodeJWK(raw json.RawMessage) (rawKey, map[string]json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return rawKey{}, nil, errors.New("not a JSON object")
	}
	var m rawKey
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return rawKey{}, nil, fmt.Errorf("member %s is a JSON %s, not a string", quote.Quote(te.Field), te.Value)
		}
		return rawKey{}, nil, fmt.Errorf("not a valid JWK: %v", err)
	}
	return m, members, nil
}

// purpose reads what the key is for: RFC 7517 §4.2 (use) and §4.3
// (key_ops). forSig says use or key_ops name signatures explicitly.
func purpose(m rawKey) (forSig bool, skip string, err error) {
	switch m.Use {
	case "":
	case "sig":
		forSig = true
	default:
		return false, "use is " + quote.Quote(m.Use) + ", not sig", nil
	}
	if m.KeyOps == nil {
		return forSig, "", nil
	}
	var ops []string
	if err := json.Unmarshal(m.KeyOps, &ops); err != nil || ops == nil {
		return false, "", errors.New("key_ops is not an array of strings (RFC 7517 §4.3)")
	}
	for i, op := range ops {
		if slices.Contains(ops[:i], op) {
			return false, "", fmt.Errorf("key_ops lists %s twice (RFC 7517 §4.3)", quote.Quote(op))
		}
	}
	if !slices.Contains(ops, "verify") {
		if forSig {
			return false, "", fmt.Errorf("use is sig but key_ops %s does not include verify", quoteList(ops))
		}
		return false, "key_ops " + quoteList(ops) + " does not include verify", nil
	}
	return true, "", nil
}

// checkType skips the key types and curves this package does not verify
// with.
func checkType(m rawKey) (skip string, err error) {
	switch m.Kty {
	case "RSA", "EC", "OKP", "oct":
	case "":
		return "", errors.New("no 'kty' member (RFC 7517 §4.1)")
	default:
		return "kty " + quote.Quote(m.Kty) + " is not a signature key type authgate verifies with", nil
	}
	switch {
	case m.Kty == "EC" && m.Crv != "P-256" && m.Crv != "P-384" && m.Crv != "P-521":
		if m.Crv == "" {
			return "", errors.New("EC key without 'crv'")
		}
		return "curve " + quote.Quote(m.Crv) + " is not one authgate verifies with", nil
	case m.Kty == "OKP" && m.Crv != "Ed25519":
		if m.Crv == "" {
			return "", errors.New("OKP key without 'crv'")
		}
		return "curve " + quote.Quote(m.Crv) + " is not one authgate verifies with", nil
	}
	return "", nil
}
