package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
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
		var der [2*66 + 16]byte
		return ecdsa.VerifyASN1(k.EC, d, rawToASN1(der[:0], sig[:a.size], sig[a.size:]))
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

// rawToASN1 appends the DER SEQUENCE { INTEGER r, INTEGER s } of the
// big-endian r and s to dst. Both are at most 66 bytes, so every length
// fits in one or two bytes.
func rawToASN1(dst, r, s []byte) []byte {
	r = trimZeros(r)
	s = trimZeros(s)
	ilen := func(x []byte) int {
		n := len(x)
		if n == 0 || x[0]&0x80 != 0 {
			n++
		}
		return n
	}
	rl, sl := ilen(r), ilen(s)
	body := 2 + rl + 2 + sl
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	for _, x := range [2][]byte{r, s} {
		n := ilen(x)
		dst = append(dst, 0x02, byte(n))
		if n > len(x) {
			dst = append(dst, 0)
		}
		dst = append(dst, x...)
	}
	return dst
}

func trimZeros(x []byte) []byte {
	for len(x) > 0 && x[0] == 0 {
		x = x[1:]
	}
	return x
}
