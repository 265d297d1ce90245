package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/authgate/authgate/internal/quote"
)

// ErrNoEmbeddedKey is returned by EmbeddedKey for a JWS without a jwk
// header member.
var ErrNoEmbeddedKey = errors.New("jose: the header has no jwk member")

// EmbeddedKeyError says why the jwk header member of a JWS is refused.
// Problem never holds key material.
type EmbeddedKeyError struct {
	// Problem says what is wrong, with the RFC section.
	Problem string
	// Private is set when the JWK holds private key members (d, p, q,
	// ...): the client leaked its private key.
	Private bool
}

// Error returns "jose: jwk header: " and the Problem.
func (e *EmbeddedKeyError) Error() string { return "jose: jwk header: " + e.Problem }

// EmbeddedKey reads the public key in the jwk header member (RFC 7515
// §4.1.3) of a JWS whose alg is alg, and returns it bound to alg with its
// RFC 7638 thumbprint. It exists for DPoP proofs (RFC 9449 §4.2), whose
// key is the one they prove possession of; a token's keys are never taken
// from its header (RFC 8725 §3.10).
//
// The key must be a public key of the type and curve alg needs: an HMAC
// alg, an oct key, or any private member (RFC 9449 §4.3 point 7) is
// refused, and so are keys ParseKeySet would refuse (an RSA modulus
// outside MinRSABits to MaxRSABits, an odd exponent up to
// MaxRSAExponent, ROCA, a point off the curve), and coordinates or
// integers that are not in their canonical fixed-length or minimal form
// (RFC 7518 §6.2.1.2, §6.3.1.1). The material is decoded with the
// standard library, without jwx: a proof's key is new on every
// connection, so its parsing is on the hot path. Its error is
// ErrNoEmbeddedKey or an *EmbeddedKeyError.
func (t *JWS) EmbeddedKey(alg *Algorithm) (*Key, string, error) {
	raw, ok := t.members["jwk"]
	if !ok {
		return nil, "", ErrNoEmbeddedKey
	}
	fail := func(private bool, format string, args ...any) (*Key, string, error) {
		return nil, "", &EmbeddedKeyError{Problem: fmt.Sprintf(format, args...), Private: private}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return fail(false, "the jwk member is a JSON %s, not a JWK object", kindOf(raw))
	}
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return fail(true, "the JWK has the private member %s: a proof carries the public key only, and this private key must be considered leaked (RFC 9449 §4.3)", quote.Quote(name))
		}
	}
	kty, _ := m["kty"].(string)
	if kty == "oct" || (alg != nil && alg.fam == famHMAC) {
		return fail(kty == "oct" && m["k"] != nil, "a symmetric key (kty oct or an HMAC alg) cannot prove possession: RFC 9449 §4.3 requires an asymmetric algorithm")
	}
	if alg == nil {
		return fail(false, "no algorithm to bind the key to")
	}
	if kty != alg.kty() {
		return fail(false, "the JWK has kty %s but alg %s needs kty %s", quote.Quote(kty), alg.name, alg.kty())
	}
	thumb, err := Thumbprint(m)
	if err != nil {
		return fail(false, "%s", err.Error()[len("jose: thumbprint: "):])
	}
	k := &Key{Kid: "", Alg: alg}
	switch alg.fam {
	case famECDSA:
		if crv, _ := m["crv"].(string); crv != alg.curve {
			return fail(false, "the JWK is on curve %s but alg %s needs %s (RFC 7518 §3.4)", quote.Quote(crv), alg.name, alg.curve)
		}
		x, errx := fixedLength(m, "x", alg.size)
		y, erry := fixedLength(m, "y", alg.size)
		if err := errors.Join(errx, erry); err != nil {
			return fail(false, "%v", err)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curveOf(alg), append(append([]byte{4}, x...), y...))
		if err != nil {
			return fail(false, "the point (x, y) is not on %s", alg.curve)
		}
		k.EC = pub
	case famEdDSA:
		if crv, _ := m["crv"].(string); crv != "Ed25519" {
			return fail(false, "the OKP JWK is on curve %s; alg %s needs Ed25519", quote.Quote(crv), alg.name)
		}
		x, err := fixedLength(m, "x", 32)
		if err != nil {
			return fail(false, "%v", err)
		}
		k.Ed = x
	case famPKCS1, famPSS:
		n, errn := minimal(m, "n")
		e, erre := minimal(m, "e")
		if err := errors.Join(errn, erre); err != nil {
			return fail(false, "%v", err)
		}
		if len(e) > 4 {
			return fail(false, "RSA public exponent is %d bytes; at most %d is accepted", len(e), MaxRSAExponent)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if err := checkRSA(pub); err != nil {
			return fail(false, "%v", err)
		}
		k.RSA = pub
	}
	return k, thumb, nil
}

// fixedLength decodes a base64url member that must be exactly n bytes.
func fixedLength(m map[string]any, name string, n int) ([]byte, error) {
	s, _ := m[name].(string)
	b, err := b64.DecodeString(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("member %s is not canonical base64url", name)
	case len(b) != n:
		return nil, fmt.Errorf("member %s is %d bytes; it must be exactly %d (RFC 7518 §6.2.1.2)", name, len(b), n)
	}
	return b, nil
}

// minimal decodes a base64url unsigned integer member in its minimal form.
func minimal(m map[string]any, name string) ([]byte, error) {
	s, _ := m[name].(string)
	b, err := b64.DecodeString(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("member %s is not canonical base64url", name)
	case len(b) == 0 || b[0] == 0:
		return nil, fmt.Errorf("member %s is not a minimal-length integer (RFC 7518 §6.3.1.1)", name)
	}
	return b, nil
}

func curveOf(a *Algorithm) elliptic.Curve {
	switch a.curve {
	case "P-384":
		return elliptic.P384()
	case "P-521":
		return elliptic.P521()
	default:
		return elliptic.P256()
	}
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}
