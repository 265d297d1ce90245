package bearer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// BenchmarkVerify measures Verify per algorithm with the verified-token
// cache off, so that every request does the whole check: the success
// path and the failure paths (expired, bad signature, unknown key,
// malformed), with a static key set. "bare" is the floor: the standard
// library's signature check alone on the same token.
func BenchmarkVerify(b *testing.B) {
	v := staticVerifier(b, allKeys(), WithTokenCache(0, 0))
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
		k := v.order[0].current().keyOf(a.kid)
		t, _ := jose.Parse(good)
		sig := t.Signature()
		b.Run(a.alg+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !bareVerify(k, t.SigningInput, sig) {
					b.Fatal("bare verify failed")
				}
			}
		})
	}
}

// BenchmarkVerifyCached measures Verify with the verified-token cache on
// (the default), ES256: a hit, alone and from all cores at once; a miss
// (verification plus insertion and eviction); and a remembered
// rejection repeated.
func BenchmarkVerifyCached(b *testing.B) {
	v := staticVerifier(b, allKeys())
	es := func(kv ...any) string { return sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims(kv...)) }
	good := es()
	for _, c := range []struct {
		name   string
		tok    string
		reason verifiers.Reason
	}{
		{"hit", good, ""},
		{"expired_repeated", es("exp", t0.Add(-time.Hour).Unix()), verifiers.TokenExpired},
		{"bad_signature_repeated", flipSig(good), verifiers.TokenSignatureInvalid},
		{"audience_mismatch_repeated", es("aud", "https://other.example.com"), verifiers.TokenAudienceMismatch},
		{"malformed_repeated", good[:strings.LastIndexByte(good, '.')], verifiers.TokenMalformed},
	} {
		r := bearerReq(c.tok)
		b.Run("ES256/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				checkOutcome(b, v, r, c.reason)
			}
		})
	}
	b.Run("ES256/hit_parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := bearerReq(good)
			for pb.Next() {
				checkOutcome(b, v, r, "")
			}
		})
	})
	// 1024 distinct tokens in turn through a cache of 8: every request
	// misses.
	small := staticVerifier(b, allKeys(), WithTokenCache(8, 1<<20))
	var reqs []*http.Request
	for i := range 1024 {
		reqs = append(reqs, bearerReq(es("jti", fmt.Sprint(i))))
	}
	b.Run("ES256/miss", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			checkOutcome(b, small, reqs[i%len(reqs)], "")
			i++
		}
		if hits := int64(i) - checks(small); hits > int64(i)/100 {
			b.Fatalf("%d hits in %d requests", hits, i)
		}
	})
}

func checkOutcome(b *testing.B, v *Verifier, r *http.Request, reason verifiers.Reason) {
	id, err := v.Verify(r)
	if reason == "" {
		if err != nil || id == nil {
			b.Fatalf("want success: %v", err)
		}
		return
	}
	if rej, ok := err.(*verifiers.Rejection); !ok || rej.Reason != reason {
		b.Fatalf("want %s: %v", reason, err)
	}
}

// BenchmarkChi is a whole request through a chi router and the gate
// (logging to a discarding writer, every rejection logged), into an
// httptest recorder, the status checked every iteration: the cost a
// server pays. "floor" is the same router without authentication. The
// gate's logger is at zerolog's default level, so each success also
// writes the gate's debug event; "info_level" is the same hit with a
// logger at info level, as servers usually run.
func BenchmarkChi(b *testing.B) {
	cached := staticVerifier(b, allKeys())
	uncached := staticVerifier(b, allKeys(), WithTokenCache(0, 0))
	g := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)), middleware.WithLogSampling(0, 0))
	info := middleware.New(middleware.WithLogger(zerolog.New(io.Discard).Level(zerolog.InfoLevel)), middleware.WithLogSampling(0, 0))
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	rt := chi.NewRouter()
	rt.Get("/floor", ok)
	rt.With(g.Require(cached)).Get("/cached", ok)
	rt.With(info.Require(cached)).Get("/cached-info", ok)
	rt.With(g.Require(uncached)).Get("/uncached", ok)
	good := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	expired := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("exp", t0.Add(-time.Hour).Unix()))
	for _, c := range []struct {
		name, path, tok string
		status          int
	}{
		{"floor", "/floor", good, 204},
		{"ES256/cache_hit", "/cached", good, 204},
		{"ES256/cache_hit_info_level", "/cached-info", good, 204},
		{"ES256/expired_repeated", "/cached", expired, 401},
		{"ES256/bad_signature_repeated", "/cached", flipSig(good), 401},
		{"ES256/no_cache", "/uncached", good, 204},
		{"ES256/no_cache_expired", "/uncached", expired, 401},
	} {
		r := httptest.NewRequest(http.MethodGet, c.path, nil)
		r.Header.Set("Authorization", "Bearer "+c.tok)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				rt.ServeHTTP(rec, r)
				if rec.Code != c.status {
					b.Fatalf("status %d, want %d", rec.Code, c.status)
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
	case k.EC != nil:
		d := sha256.Sum256([]byte(input))
		var r, s big.Int
		return ecdsa.Verify(k.EC, d[:], r.SetBytes(sig[:32]), s.SetBytes(sig[32:]))
	case k.RSA != nil:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(k.RSA, crypto.SHA256, d[:], sig) == nil
	default:
		return ed25519.Verify(k.Ed, []byte(input), sig)
	}
}

// BenchmarkWorstCaseKeySet measures the most one forged token can cost,
// with the cache off and the key set at every bound (RSA keys of
// MaxRSABits bits with exponent MaxRSAExponent, the costliest to verify
// with, all without kid): a token without kid tried against
// MaxKeysTried of them; the same token against MaxKeys of them (refused
// before any check); a token with the kid of one of MaxKeys keys. The
// "one_check" cases are single signature checks, for the arithmetic:
// before the bounds, a token without kid was tried against all 256 keys
// of up to 16384 bits.
func BenchmarkWorstCaseKeySet(b *testing.B) {
	set := func(n int, kid bool) []map[string]any {
		keys := make([]map[string]any, n)
		for i := range keys {
			id := ""
			if kid {
				id = fmt.Sprint("k", i)
			}
			keys[i] = rsaJWK(randModulus(MaxRSABits), MaxRSAExponent, id, "RS256")
		}
		return keys
	}
	// A signature below every modulus, so that each check does the whole
	// exponentiation.
	sig := make([]byte, MaxRSABits/8)
	sig[1] = 1
	forged := func(hdr string) string {
		return b64u([]byte(hdr)) + "." + b64u(must(json.Marshal(claims()))) + "." + b64u(sig)
	}
	noKid, withKid := forged(`{"alg":"RS256"}`), forged(`{"alg":"RS256","kid":"k7"}`)
	for _, c := range []struct {
		name   string
		keys   []map[string]any
		tok    string
		reason verifiers.Reason
	}{
		{"no_kid_4_keys_all_tried", set(MaxKeysTried, false), noKid, verifiers.TokenSignatureInvalid},
		{"no_kid_256_keys_refused_untried", set(MaxKeys, false), noKid, verifiers.TokenKeyUnknown},
		{"kid_of_1_in_256_keys", set(MaxKeys, true), withKid, verifiers.TokenSignatureInvalid},
	} {
		v := staticVerifier(b, c.keys, WithTokenCache(0, 0))
		r := bearerReq(c.tok)
		b.Run("8192bit_e65537/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				checkOutcome(b, v, r, c.reason)
			}
		})
	}
	t, _ := jose.Parse(noKid)
	for _, c := range []struct {
		name string
		bits int
		e    int
	}{{"2048bit_e65537", 2048, 65537}, {"4096bit_e65537", 4096, 65537}, {"8192bit_e65537", 8192, 65537}, {"8192bit_e2^31-1_no_longer_accepted", 8192, 1<<31 - 1}, {"16384bit_e2^31-1_no_longer_accepted", 16384, 1<<31 - 1}} {
		k := &key{Alg: jose.LookupAlg("RS256"), RSA: &rsa.PublicKey{N: randModulus(c.bits), E: c.e}}
		s := make([]byte, c.bits/8)
		s[1] = 1
		b.Run("one_check/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if k.Verify(t.SigningInput, s) {
					b.Fatal("a forged signature verified")
				}
			}
		})
	}
}
