package bearer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
	"github.com/rs/zerolog"
)

// BenchmarkVerify measures Verify per algorithm on the success path and
// on the failure paths (expired, bad signature, unknown key, malformed),
// with a static key set. "bare" is the floor: the standard library's
// signature check alone on the same token.
func BenchmarkVerify(b *testing.B) {
	v := staticVerifier(b, allKeys())
	algs := []struct {
		alg, kid string
		key      any
	}{{"ES256", "ec1", fx.ec}, {"RS256", "rsa1", fx.rsa}, {"EdDSA", "ed1", fx.ed}}
	for _, a := range algs {
		good := sign(a.alg, a.key, map[string]any{"kid": a.kid}, claims())
		paths := map[string]string{
			"success":       good,
			"expired":       sign(a.alg, a.key, map[string]any{"kid": a.kid}, claims("exp", t0.Add(-time.Hour).Unix())),
			"bad_signature": flipSig(good),
			"unknown_key":   sign(a.alg, a.key, map[string]any{"kid": "nope"}, claims()),
			"malformed":     good[:strings.LastIndexByte(good, '.')],
		}
		for _, p := range []string{"success", "expired", "bad_signature", "unknown_key", "malformed"} {
			tok := paths[p]
			r := bearerReq(tok)
			b.Run(a.alg+"/"+p, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					id, err := v.Verify(r)
					if (p == "success") != (err == nil) || (err == nil && id == nil) {
						b.Fatalf("%s: %v", p, err)
					}
				}
			})
		}
		k := v.order[0].current().byKid[a.kid]
		t, _ := parseJWS(good)
		b.Run(a.alg+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bareVerify(k, t.signingInput, t.sig) {
					b.Fatal("bare verify failed")
				}
			}
		})
	}
}

// BenchmarkGate is Verify through the gate with a discarding logger, as a
// server runs it.
func BenchmarkGate(b *testing.B) {
	v := staticVerifier(b, allKeys())
	g := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)), middleware.WithLogSampling(0, 0))
	h := g.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, c := range []struct {
		name   string
		tok    string
		status int
	}{
		{"ES256/success", sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()), 204},
		{"ES256/expired", sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("exp", t0.Add(-time.Hour).Unix())), 401},
	} {
		r := bearerReq(c.tok)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != c.status {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// flipSig changes one character in the middle of the signature.
func flipSig(tok string) string {
	i := len(tok) - 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// bareVerify is the floor: hash and verify with the standard library.
func bareVerify(k *key, input string, sig []byte) bool {
	switch {
	case k.ec != nil:
		d := sha256.Sum256([]byte(input))
		return ecdsa.VerifyASN1(k.ec, d[:], rawToASN1(nil, sig[:32], sig[32:]))
	case k.rsa != nil:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, d[:], sig) == nil
	default:
		return ed25519.Verify(k.ed, []byte(input), sig)
	}
}
