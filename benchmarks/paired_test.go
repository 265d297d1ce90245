package benchmarks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/internal/pairbench"
	"github.com/authgate/authgate/middleware"
)

// BenchmarkPaired: what authgate costs beyond the signature check, on the
// uncached JWT rows, resolved by pairing. Each iteration serves the
// request through authgate (the authgate-nocache row) and through its
// reference: chi answering with the very response authgate gives
// (sameResponse) after the signature check of the same token as authgate
// calls the standard library (newAPICheck: for ES256, ecdsa.Verify on
// the raw r and s, which costs about 1 µs more than floor-bare's
// VerifyASN1 on a DER signature built beforehand; SHA-256 included; none
// for unknown_key, where authgate tries no key). The two are timed one after
// the other, in alternating order, within the same iteration, so the
// machine's load and frequency weigh on both alike.
//
// The rows of BenchmarkJWT are 30–70 µs, and their medians move by more
// than the 3 µs target between runs, so their difference with a floor
// measured apart cannot resolve it; the paired difference can. The
// metrics: authgate-ns/op and ref-ns/op are the two means, over-ns/op
// their difference (authgate's parsing, claims checks, decision, log
// event and response building: everything but the signature check);
// ns/op is the sum, of no interest.
//
// The rows with /log=off are the rejections through a gate whose logger is
// disabled, so that no event is written (the gate must write one; these
// rows are not a configuration, but what the event costs beyond the
// signature check), beside the same reference.
func BenchmarkPaired(b *testing.B) {
	f := getFixture()
	h := authgateBearer(b, f.jwks, noTokenCache()...)
	off := authgateBearerGate(b, newGate(middleware.WithLogger(discardLogger().Level(zerolog.Disabled))), f.jwks, noTokenCache()...)
	for _, a := range f.algs {
		for _, p := range paths {
			tok := f.tokens[a.name][p]
			req := bearerRequest(tok)
			same := sameResponse(b, h, req)
			ref := same
			if p != "unknown_key" {
				c, valid := newAPICheck(tok, a.pub), p != "bad_signature"
				ref = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if c.verify() != valid {
						w.WriteHeader(http.StatusInternalServerError)
						return
					}
					same.ServeHTTP(w, r)
				})
			}
			b.Run(fmt.Sprintf("alg=%s/path=%s", a.name, p), func(b *testing.B) {
				pairbench.Serve(b, h, ref, req, wantStatus(p), "authgate", "ref")
			})
			if p != "success" {
				b.Run(fmt.Sprintf("alg=%s/path=%s/log=off", a.name, p), func(b *testing.B) {
					pairbench.Serve(b, off, ref, req, wantStatus(p), "authgate", "ref")
				})
			}
		}
	}
}

// apiCheck is the signature check of a token as authgate's JOSE layer
// makes it, with the signature decoded from base64url beforehand (that
// decoding is authgate's parsing, counted against it): the standard
// library call, its argument conversions and the digest. Only ECDSA
// differs from bareCheck: ecdsa.Verify on the raw r and s, not
// VerifyASN1 on a DER signature built beforehand.
type apiCheck struct{ bareCheck } // sig raw: r || s for ECDSA

func newAPICheck(tok string, pub crypto.PublicKey) *apiCheck {
	input, sig := signedParts(tok)
	return &apiCheck{bareCheck{input: input, sig: sig, pub: pub}}
}

func (c *apiCheck) verify() bool {
	k, ok := c.pub.(*ecdsa.PublicKey)
	if !ok {
		return c.bareCheck.verify()
	}
	d := sha256.Sum256(c.input)
	var r, s big.Int
	n := len(c.sig) / 2
	return ecdsa.Verify(k, d[:], r.SetBytes(c.sig[:n]), s.SetBytes(c.sig[n:]))
}
