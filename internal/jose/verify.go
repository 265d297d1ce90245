package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
)

// Key is one verification key, bound to exactly one algorithm (RFC 8725
// §3.1): a token whose alg differs must be refused before any signature
// check. Exactly one of RSA, EC, Ed and Secret is set. A Key is never
// changed once made.
type Key struct {
	Kid string
	Alg *Algorithm
	// Inferred is true when the JWK had no alg and the algorithm was
	// chosen from the key type.
	Inferred bool
	RSA      *rsa.PublicKey
	EC       *ecdsa.PublicKey
	Ed       ed25519.PublicKey
	Secret   []byte
}

// Verify reports whether sig is a valid signature of input under k, with
// k.Alg. The caller checks first that the token's alg is k.Alg.
//
// It uses the standard library directly, on keys jwx parsed and
// ParseKeySet checked, and is stricter than jwx where Project Wycheproof
// shows jwx is lax:
//
//   - RSASSA-PSS salts must be exactly as long as the hash (RFC 7518
//     §3.5), where jwx accepts any salt length;
//   - ECDSA signatures must be exactly R||S of the curve's size (RFC 7518
//     §3.4), never DER and never longer;
//   - HMAC tags are compared in constant time and must be the full hash
//     length.
func (k *Key) Verify(input string, sig []byte) bool {
	a := k.Alg
	switch a.fam {
	case famHMAC:
		m := hmac.New(a.hash.New, k.Secret)
		m.Write([]byte(input))
		var buf [sha512.Size]byte
		return len(sig) == a.hash.Size() && hmac.Equal(m.Sum(buf[:0]), sig)
	case famPKCS1:
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		return rsa.VerifyPKCS1v15(k.RSA, a.hash, d, sig) == nil
	case famPSS:
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		return rsa.VerifyPSS(k.RSA, a.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}) == nil
	case famECDSA:
		if len(sig) != 2*a.size {
			return false
		}
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		// ecdsa.Verify on the parsed integers rather than a hand-written
		// DER encoding for VerifyASN1: it refuses r or s of zero, and
		// those not below the group order (Wycheproof's r/s edge cases,
		// TestVerify_ECDSA_edges). It costs about ten small allocations
		// per check (big.Int, the DER it builds), next to a check of
		// about 100 µs.
		var r, s big.Int
		return ecdsa.Verify(k.EC, d, r.SetBytes(sig[:a.size]), s.SetBytes(sig[a.size:]))
	case famEdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.Ed, []byte(input), sig)
	}
	return false
}

// digest hashes s with h into dst's spare capacity.
func digest(h crypto.Hash, s string, dst []byte) []byte {
	switch h {
	case crypto.SHA256:
		sum := sha256.Sum256([]byte(s))
		return append(dst, sum[:]...)
	case crypto.SHA384:
		sum := sha512.Sum384([]byte(s))
		return append(dst, sum[:]...)
	default:
		sum := sha512.Sum512([]byte(s))
		return append(dst, sum[:]...)
	}
}

// Equal reports whether k and o are the same key: kid, algorithm and
// public key (or secret).
func (k *Key) Equal(o *Key) bool {
	if k == o {
		return true
	}
	if k.Kid != o.Kid || k.Alg != o.Alg {
		return false
	}
	switch {
	case k.RSA != nil:
		return o.RSA != nil && k.RSA.Equal(o.RSA)
	case k.EC != nil:
		return o.EC != nil && k.EC.Equal(o.EC)
	case k.Ed != nil:
		return o.Ed != nil && k.Ed.Equal(o.Ed)
	default:
		return o.Secret != nil && string(k.Secret) == string(o.Secret)
	}
}
