package bearer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// ErrInvalidKeySet matches, with errors.Is, every error about a key set that
// authgate refuses: a constructor's error for a bad static set, and the
// error logged when a fetched set is refused.
var ErrInvalidKeySet = errors.New("bearer: invalid key set")

// Limits on key sets.
const (
	// MaxKeys is the most keys one key set may hold.
	MaxKeys = 256
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
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus a key set may hold, in bits:
	// twice what issuers publish (2048 almost everywhere, 3072 or 4096
	// where configured so). A check costs the square of the size, so the
	// 16384 bits crypto/rsa would take cost 4 times as much per check.
	MaxRSABits = 8192
	// MaxRSAExponent is the largest RSA public exponent accepted (the
	// exponent must also be odd and at least 3): 65537 (F4), which is what
	// issuers use. A verification's cost grows with the exponent's length,
	// and crypto/rsa alone would take up to 2^31-1, 3.5 times the work
	// per check at 8192 bits.
	MaxRSAExponent = 1<<16 + 1
)

// KeySetError says why a key set was refused. It matches ErrInvalidKeySet
// with errors.Is.
type KeySetError struct {
	// Origin names the set: "static JWKS", a file name or a URL.
	Origin string
	// Key names the offending key ("key 2 (kid \"a\")"), empty when the
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

// key is one verification key, bound to exactly one algorithm (RFC 8725
// §3.1): a token whose alg differs is refused before any signature check.
type key struct {
	kid string
	alg *algorithm
	// inferred is true when the JWK had no alg and authgate chose one from
	// the key type.
	inferred bool
	rsa      *rsa.PublicKey
	ec       *ecdsa.PublicKey
	ed       ed25519.PublicKey
	secret   []byte
}

// keySet is an immutable, validated set of verification keys.
type keySet struct {
	keys  []*key
	byKid map[string]*key
	// skipped lists the keys left out, and why: encryption keys, key
	// types authgate does not verify with.
	skipped   []string
	symmetric bool
	// origin names where the set came from, for details and logs.
	origin    string
	fetchedAt time.Time
	// gen increases with each set an issuer installs (0 for static
	// sets); the verified-token cache compares it to tell whether an
	// entry's key needs checking again.
	gen uint64
	// desc caches describeSet's text: an installed set never changes,
	// and rejection details name it on every unknown key.
	desc atomic.Pointer[string]
}

// algs returns the distinct algorithms the set's keys are bound to.
func (s *keySet) algs() allowList {
	var out allowList
	for _, k := range s.keys {
		if !out.has(k.alg) {
			out = append(out, k.alg)
		}
	}
	return out
}

// loadOptions steer parseKeySet.
type loadOptions struct {
	origin string
	// allow is the explicit allow-list, nil for the default.
	allow allowList
	// symmetric permits HMAC keys (static sources only).
	symmetric bool
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

// parseKeySet parses a JWK set (or a single JWK) and applies authgate's
// checks, which are stricter than jwx's own (see STANDARDS.md, "Known gaps
// in jwx's own checks"):
//
//   - keys meant for encryption (use "enc", key_ops without "verify", or a
//     JWE alg) and key types authgate does not verify with are skipped; a
//     key that claims to sign but is unusable fails the set;
//   - RSA moduli of MinRSABits to MaxRSABits bits, odd public exponent
//     from 3 to MaxRSAExponent, no ROCA-weak modulus;
//   - EC keys on the curve their alg names, points on the curve;
//   - HMAC keys at least as long as their hash, with an explicit alg, only
//     from static sources and never beside asymmetric keys;
//   - no private key material, unique kids, at most MaxKeys keys, and at
//     least one usable key.
//
// A key without alg is bound to one algorithm inferred from its type: EC
// by curve, Ed25519 to EdDSA (or Ed25519 when only that name is allowed),
// RSA to RS256 unless the allow-list excludes RS256 and names exactly one
// other RSA algorithm. An inferred algorithm outside an explicit allow-list
// makes the key unusable (skipped).
func parseKeySet(data []byte, o loadOptions) (*keySet, error) {
	fail := func(key, format string, args ...any) error {
		return &KeySetError{Origin: o.origin, Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	data = bytes.TrimSpace(data)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fail("", "not a JSON object: %v", err)
	}
	var raws []json.RawMessage
	if ks, ok := top["keys"]; ok {
		if err := json.Unmarshal(ks, &raws); err != nil || raws == nil {
			return nil, fail("", `"keys" is not an array of JWKs`)
		}
	} else if _, ok := top["kty"]; ok {
		raws = []json.RawMessage{data}
	} else {
		return nil, fail("", `no "keys" member: not a JWK set (RFC 7517 §5)`)
	}
	if len(raws) > MaxKeys {
		return nil, fail("", "%d keys, more than the %d allowed", len(raws), MaxKeys)
	}
	s := &keySet{origin: o.origin, byKid: make(map[string]*key, len(raws))}
	asymmetric := false
	for i, raw := range raws {
		k, skip, err := parseKey(raw, o)
		name := describeKey(i, k, raw)
		if err != nil {
			return nil, fail(name, "%s", err.Error())
		}
		if skip != "" {
			s.skipped = append(s.skipped, name+": "+skip)
			continue
		}
		if k.kid != "" {
			if _, dup := s.byKid[k.kid]; dup {
				return nil, fail(name, "kid %q appears on two keys; a kid must name one key", k.kid)
			}
			s.byKid[k.kid] = k
		}
		if k.alg.fam == famHMAC {
			s.symmetric = true
		} else {
			asymmetric = true
		}
		if s.symmetric && asymmetric {
			return nil, fail("", "the set mixes HMAC (oct) and asymmetric keys; one verifier takes either shared secrets or public keys, so that no token can have its algorithm confused (RFC 8725 §2.1)")
		}
		s.keys = append(s.keys, k)
	}
	if len(s.keys) == 0 {
		why := "the set is empty"
		if len(s.skipped) > 0 {
			why = "every key was skipped: " + strings.Join(s.skipped, "; ")
		}
		return nil, fail("", "no key can verify signatures: %s", why)
	}
	return s, nil
}

// describeKey names key i for error messages.
func describeKey(i int, k *key, raw json.RawMessage) string {
	kid := ""
	if k != nil {
		kid = k.kid
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
	return fmt.Sprintf("key %d (kid %s)", i, quote(kid))
}

// parseKey checks one JWK. It returns the key, or a non-empty skip reason
// for a key that is not for signatures, or an error for a key that claims
// to be for signatures but is unusable.
func parseKey(raw json.RawMessage, o loadOptions) (*key, string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, "", errors.New("not a JSON object")
	}
	var m rawKey
	if err := json.Unmarshal(raw, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, "", fmt.Errorf("member %q is a JSON %s, not a string", te.Field, te.Value)
		}
		return nil, "", fmt.Errorf("not a valid JWK: %v", err)
	}
	// What the key is for: RFC 7517 §4.2 (use) and §4.3 (key_ops).
	forSig := false
	switch m.Use {
	case "":
	case "sig":
		forSig = true
	default:
		return nil, "use is " + quote(m.Use) + ", not sig", nil
	}
	if m.KeyOps != nil {
		var ops []string
		if err := json.Unmarshal(m.KeyOps, &ops); err != nil || ops == nil {
			return nil, "", errors.New("key_ops is not an array of strings (RFC 7517 §4.3)")
		}
		for i, op := range ops {
			if slices.Contains(ops[:i], op) {
				return nil, "", fmt.Errorf("key_ops lists %q twice (RFC 7517 §4.3)", op)
			}
		}
		if !slices.Contains(ops, "verify") {
			if forSig {
				return nil, "", fmt.Errorf("use is sig but key_ops %s does not include verify", quoteList(ops))
			}
			return nil, "key_ops " + quoteList(ops) + " does not include verify", nil
		}
		forSig = true
	}
	switch m.Kty {
	case "RSA", "EC", "OKP", "oct":
	case "":
		return nil, "", errors.New(`no "kty" member (RFC 7517 §4.1)`)
	default:
		return nil, "kty " + quote(m.Kty) + " is not a signature key type authgate verifies with", nil
	}
	switch {
	case m.Kty == "EC" && m.Crv != "P-256" && m.Crv != "P-384" && m.Crv != "P-521":
		if m.Crv == "" {
			return nil, "", errors.New(`EC key without "crv"`)
		}
		return nil, "curve " + quote(m.Crv) + " is not one authgate verifies with", nil
	case m.Kty == "OKP" && m.Crv != "Ed25519":
		if m.Crv == "" {
			return nil, "", errors.New(`OKP key without "crv"`)
		}
		return nil, "curve " + quote(m.Crv) + " is not one authgate verifies with", nil
	}

	// The algorithm the key is bound to.
	var alg *algorithm
	inferred := false
	switch {
	case m.Alg == "none":
		return nil, "", errors.New(`alg "none" is never a key's algorithm`)
	case m.Alg != "" && isEncryptionAlg(m.Alg):
		if forSig {
			return nil, "", fmt.Errorf("alg %q is an encryption algorithm, but use or key_ops say the key verifies signatures", m.Alg)
		}
		return nil, "alg " + quote(m.Alg) + " is an encryption algorithm", nil
	case m.Alg != "":
		alg = lookupAlg(m.Alg)
		if alg == nil {
			return nil, "", fmt.Errorf("alg %q is not a JWS algorithm authgate knows", m.Alg)
		}
		if alg.kty() != m.Kty {
			return nil, "", fmt.Errorf("alg %s needs kty %s, this key's kty is %s", alg.name, alg.kty(), m.Kty)
		}
		if alg.curve != "" && alg.curve != m.Crv {
			return nil, "", fmt.Errorf("alg %s needs curve %s, this key is on %s", alg.name, alg.curve, m.Crv)
		}
	default:
		inferred = true
		var why string
		alg, why = inferAlg(m, o.allow)
		if alg == nil {
			if m.Kty == "oct" {
				return nil, "", errors.New(why)
			}
			return nil, why, nil
		}
	}
	if alg.fam == famHMAC && !o.symmetric {
		return nil, "", errors.New("an HMAC (oct) key in a fetched key set: shared secrets are only taken from static configuration, never from a URL")
	}
	if alg.fam != famHMAC {
		for _, name := range privateMembers {
			if _, ok := members[name]; ok {
				return nil, "", fmt.Errorf("private key material (member %q): a key set for verification must hold public keys only", name)
			}
		}
	}
	if inferred && o.allow != nil && !o.allow.has(alg) {
		return nil, "it has no alg, and the algorithm its type implies (" + alg.name + ") is not in the allow-list", nil
	}

	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, "", fmt.Errorf("jwx cannot parse it: %v", err)
	}
	k := &key{kid: m.Kid, alg: alg, inferred: inferred}
	var material any
	if err := jwk.Export(jk, &material); err != nil {
		return nil, "", fmt.Errorf("jwx cannot export it: %v", err)
	}
	switch pub := material.(type) {
	case *rsa.PublicKey:
		if err := checkRSA(pub); err != nil {
			return nil, "", err
		}
		k.rsa = pub
	case *ecdsa.PublicKey:
		if pub.Curve == nil || pub.Curve.Params().Name != alg.curve {
			return nil, "", fmt.Errorf("the key is not on %s", alg.curve)
		}
		if _, err := pub.ECDH(); err != nil {
			return nil, "", fmt.Errorf("the public point is invalid: %v", err)
		}
		k.ec = pub
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return nil, "", fmt.Errorf("Ed25519 public key is %d bytes, not %d", len(pub), ed25519.PublicKeySize)
		}
		k.ed = pub
	case []byte:
		if len(pub) < alg.size {
			return nil, "", fmt.Errorf("%s key is %d bytes; RFC 7518 §3.2 requires at least %d (the hash length)", alg.name, len(pub), alg.size)
		}
		k.secret = pub
	default:
		return nil, "", fmt.Errorf("unexpected key material %T (a private key?)", material)
	}
	return k, "", nil
}

// inferAlg chooses the algorithm of a key without alg, within allow
// (nil: the default allow-list). It returns nil and a reason when there is
// no single answer.
func inferAlg(m rawKey, allow allowList) (*algorithm, string) {
	switch m.Kty {
	case "EC":
		switch m.Crv {
		case "P-256":
			return &algES256, ""
		case "P-384":
			return &algES384, ""
		default:
			return &algES512, ""
		}
	case "OKP":
		if allow != nil && allow.has(&algEd25519) && !allow.has(&algEdDSA) {
			return &algEd25519, ""
		}
		return &algEdDSA, ""
	case "RSA":
		// RS256 is what OpenID Connect requires every provider to support
		// (OIDC Core §15.1), and what providers that publish RSA keys
		// without alg sign with. RSA keys cannot say whether they sign
		// PKCS#1 v1.5 or PSS, so a key is bound to one of them only.
		if allow == nil || allow.has(&algRS256) {
			return &algRS256, ""
		}
		var only *algorithm
		for _, a := range allow {
			if a.isRSA() {
				if only != nil {
					return nil, "RSA key without alg, and the allow-list names several RSA algorithms but not RS256, so which one it signs with is unknown"
				}
				only = a
			}
		}
		if only == nil {
			return nil, "RSA key without alg, and the allow-list has no RSA algorithm"
		}
		return only, ""
	default: // oct
		return nil, "HMAC (oct) key without alg: a shared secret must name its algorithm (HS256, HS384 or HS512)"
	}
}

// checkRSA applies the RSA rules jwx does not.
func checkRSA(pub *rsa.PublicKey) error {
	bits := pub.N.BitLen()
	switch {
	case bits < MinRSABits:
		return fmt.Errorf("RSA modulus is %d bits; at least %d are required (RFC 7518 §3.3)", bits, MinRSABits)
	case bits > MaxRSABits:
		return fmt.Errorf("RSA modulus is %d bits; at most %d are accepted, as each signature check costs the square of the size", bits, MaxRSABits)
	case pub.E < 3 || pub.E%2 == 0 || pub.E > MaxRSAExponent:
		return fmt.Errorf("RSA public exponent %d is not an odd number from 3 to 65537", pub.E)
	case isROCAWeak(pub.N):
		return errors.New("RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be computed from the public key")
	}
	return nil
}

// quote quotes a value from a key set or a token for a message, cut to 64
// bytes, with every non-printable or non-ASCII byte escaped.
func quote(s string) string {
	const max = 64
	cut := false
	if len(s) > max {
		s, cut = s[:max], true
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	if cut {
		b.WriteString("...")
	}
	return b.String()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
