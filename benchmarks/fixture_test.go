// Package benchmarks compares authgate with the Go authentication
// middlewares people use today, through the same router, on the same keys
// and tokens, in one `go test -bench` run. See README.md for the results
// and the command that produces them.
package benchmarks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The claims every token carries, for every implementation.
const (
	testIss   = "https://issuer.bench.authgate.test/"
	testAud   = "https://api.bench.authgate.test"
	testSub   = "user-42"
	testScope = "orders:read orders:write"
	leeway    = 30 * time.Second
)

// alg is one signing algorithm under test with its keys: the one in the
// key set (kid "<name>-0"), and a foreign one of the same type whose kid
// is not in the set (the issuer rotated to a key the server does not know
// yet).
type alg struct {
	name    string // JWS alg: ES256, RS256, EdDSA
	kid     string
	priv    crypto.Signer
	pub     crypto.PublicKey
	foreign crypto.Signer // signs the unknown-key token
}

// paths are the request outcomes measured for every JWT implementation.
var paths = []string{"success", "expired", "bad_signature", "unknown_key"}

// wantStatus is the status every implementation must answer per path.
func wantStatus(path string) int {
	if path == "success" {
		return http.StatusNoContent
	}
	return http.StatusUnauthorized
}

// fixture holds the keys and tokens shared by all benchmarks, made once
// per process (RSA key generation is slow; -count reuses them).
type fixture struct {
	algs   []*alg
	tokens map[string]map[string]string // alg name → path → token
	// jwks is the JSON Web Key Set with the three public keys.
	jwks []byte
}

var getFixture = sync.OnceValue(func() *fixture {
	f := &fixture{tokens: map[string]map[string]string{}}
	ecKey := func() crypto.Signer { k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); return k }
	rsaKey := func() crypto.Signer { k, _ := rsa.GenerateKey(rand.Reader, 2048); return k }
	edKey := func() crypto.Signer { _, k, _ := ed25519.GenerateKey(rand.Reader); return k }
	for _, a := range []struct {
		name, kid string
		gen       func() crypto.Signer
	}{{"ES256", "es256-0", ecKey}, {"RS256", "rs256-0", rsaKey}, {"EdDSA", "eddsa-0", edKey}} {
		k := a.gen()
		f.algs = append(f.algs, &alg{name: a.name, kid: a.kid, priv: k, pub: k.Public(), foreign: a.gen()})
	}
	now := time.Now()
	for _, a := range f.algs {
		good := signToken(a.name, a.kid, a.priv, claimsAt(now))
		f.tokens[a.name] = map[string]string{
			"success":       good,
			"expired":       signToken(a.name, a.kid, a.priv, claimsAt(now.Add(-2*time.Hour))),
			"bad_signature": flipSignature(good),
			"unknown_key":   signToken(a.name, a.kid+"-rotated", a.foreign, claimsAt(now)),
		}
	}
	keys := make([]map[string]any, len(f.algs))
	for i, a := range f.algs {
		keys[i] = jwkOf(a.pub, a.kid, a.name)
	}
	f.jwks = jwksJSON(keys)
	return f
})

// claimsAt is the claim set of a token issued at iat and valid for an
// hour: iss, aud, sub, exp, iat and scope, the same for every
// implementation.
func claimsAt(iat time.Time) map[string]any {
	return map[string]any{
		"iss":   testIss,
		"aud":   testAud,
		"sub":   testSub,
		"iat":   iat.Unix(),
		"exp":   iat.Add(time.Hour).Unix(),
		"scope": testScope,
	}
}

var b64 = base64.RawURLEncoding

// signToken makes a compact JWS with the standard library, so that no
// implementation under test produced the tokens it reads.
func signToken(algName, kid string, k crypto.Signer, claims map[string]any) string {
	hb, _ := json.Marshal(map[string]any{"alg": algName, "kid": kid, "typ": "JWT"})
	pb, _ := json.Marshal(claims)
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(pb)
	return input + "." + b64.EncodeToString(rawSign(k, []byte(input)))
}

// rawSign returns the JWS signature of input: R||S for ECDSA (RFC 7518
// §3.4), PKCS #1 v1.5 for RSA, the Ed25519 signature for EdDSA.
func rawSign(k crypto.Signer, input []byte) []byte {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			panic(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	case *rsa.PrivateKey:
		d := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input)
	}
	panic(fmt.Sprintf("rawSign: %T", k))
}

// flipSignature changes one character in the middle of the signature:
// still canonical base64url, no longer a valid signature.
func flipSignature(tok string) string {
	dot := strings.LastIndexByte(tok, '.')
	i := dot + (len(tok)-dot)/2
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// jwkOf is the public JWK of k with kid and alg.
func jwkOf(pub crypto.PublicKey, kid, algName string) map[string]any {
	m := map[string]any{"kid": kid, "alg": algName, "use": "sig"}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ecdh, err := k.ECDH()
		if err != nil {
			panic(err)
		}
		raw := ecdh.Bytes() // 0x04 || X || Y
		m["kty"], m["crv"] = "EC", "P-256"
		m["x"], m["y"] = b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64.EncodeToString(k.N.Bytes())
		m["e"] = b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64.EncodeToString(k)
	default:
		panic(fmt.Sprintf("jwkOf: %T", pub))
	}
	return m
}

func jwksJSON(keys []map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// bareCheck is the floor: what verifying the token's signature costs with
// the standard library alone, on the signing input and the signature
// decoded beforehand (hash and verify, nothing else).
type bareCheck struct {
	input []byte
	sig   []byte // ASN.1 DER for ECDSA
	pub   crypto.PublicKey
}

func newBareCheck(tok string, pub crypto.PublicKey) *bareCheck {
	input, sig := signedParts(tok)
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		sig = rawToASN1(sig)
	}
	return &bareCheck{input: input, sig: sig, pub: pub}
}

// signedParts returns tok's signing input and its signature decoded from
// base64url (for ECDSA, raw r || s).
func signedParts(tok string) (input, sig []byte) {
	dot := strings.LastIndexByte(tok, '.')
	sig, err := b64.DecodeString(tok[dot+1:])
	if err != nil {
		panic(err)
	}
	return []byte(tok[:dot]), sig
}

func (c *bareCheck) verify() bool {
	switch k := c.pub.(type) {
	case *ecdsa.PublicKey:
		d := sha256.Sum256(c.input)
		return ecdsa.VerifyASN1(k, d[:], c.sig)
	case *rsa.PublicKey:
		d := sha256.Sum256(c.input)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], c.sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, c.input, c.sig)
	}
	return false
}

func rawToASN1(sig []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[:32]))
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[32:]))
	})
	return b.BytesOrPanic()
}

// serve is the measured loop of every HTTP benchmark: a fresh recorder
// per request, the status checked every iteration.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) {
	b.Helper()
	// One request outside the timer: it warms any cache on the path (the
	// cache-hit rows measure hits, not the first miss) and fails fast.
	if rec := do(h, req); rec.Code != want {
		b.Fatalf("status %d, want %d; body %q", rec.Code, want, rec.Body.String())
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("status %d, want %d", rec.Code, want)
		}
	}
}

func do(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// newRequest is GET /x with one header (none when name is empty).
func newRequest(name, value string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	if name != "" {
		r.Header.Set(name, value)
	}
	return r
}

func bearerRequest(tok string) *http.Request { return newRequest("Authorization", "Bearer "+tok) }
