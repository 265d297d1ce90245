package bearer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
)

// verifySignature checks sig over input with k, which must be bound to
// k.alg (the caller has checked the token's alg against it). It uses the
// standard library directly, on keys jwx parsed and authgate checked at
// load time, and is stricter than jwx where Project Wycheproof shows jwx
// is lax:
//
//   - RSASSA-PSS salts must be exactly as long as the hash (RFC 7518
//     §3.5), where jwx accepts any salt length;
//   - ECDSA signatures must be exactly R||S of the curve's size (RFC 7518
//     §3.4), never DER and never longer;
//   - HMAC tags are compared in constant time and must be the full hash
//     length.
func verifySignature(k *key, input string, sig []byte) bool {
	a := k.alg
	switch a.fam {
	case famHMAC:
		m := hmac.New(a.hash.New, k.secret)
		m.Write([]byte(input))
		var buf [sha512.Size]byte
		return len(sig) == a.hash.Size() && hmac.Equal(m.Sum(buf[:0]), sig)
	case famPKCS1:
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		return rsa.VerifyPKCS1v15(k.rsa, a.hash, d, sig) == nil
	case famPSS:
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		return rsa.VerifyPSS(k.rsa, a.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}) == nil
	case famECDSA:
		if len(sig) != 2*a.size {
			return false
		}
		var buf [sha512.Size]byte
		d := digest(a.hash, input, buf[:0])
		var der [2*66 + 16]byte
		return ecdsa.VerifyASN1(k.ec, d, rawToASN1(der[:0], sig[:a.size], sig[a.size:]))
	case famEdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed, []byte(input), sig)
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
