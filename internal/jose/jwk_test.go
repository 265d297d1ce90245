package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// testRSA is one 2048-bit key for the tests of this package, made once:
// RSA key generation is slow.
var testRSA = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// randModulus is a random odd number of exactly bits bits: not a valid
// RSA modulus, but one of the right size for the checks and for costing
// a verification.
func randModulus(bits int) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	if err != nil {
		panic(err)
	}
	n.SetBit(n, bits-1, 1)
	return n.SetBit(n, 0, 1)
}

// rsaSet is a JWK set with one RSA public key given by its modulus and
// exponent.
func rsaSet(n *big.Int, e int, kid, alg string) []byte {
	m := map[string]any{"kty": "RSA", "kid": kid, "alg": alg, "n": b64u(n.Bytes()), "e": b64u(big.NewInt(int64(e)).Bytes())}
	b, err := json.Marshal(map[string]any{"keys": []any{m}})
	if err != nil {
		panic(err)
	}
	return b
}

// rfc8037Ed25519 is the public key of RFC 8037 Appendix A.2.
const rfc8037Ed25519 = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`

// testEC is the JWK of a P-256 public key, without kid or alg.
var testEC = sync.OnceValue(func() string {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	k, err := jwk.Import(&priv.PublicKey)
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		panic(err)
	}
	return string(b)
})

func TestCheckRSA(t *testing.T) {
	t.Parallel()
	// jwx v3.4 refuses small moduli and exponents itself; this package
	// checks again so that a laxer jwx cannot weaken it.
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	n := testRSA().N
	for _, tc := range []struct {
		name string
		pub  *rsa.PublicKey
		want string
	}{
		{"1024_bits", &small.PublicKey, "RSA modulus is 1024 bits; at least 2048 are required"},
		{"e_1", &rsa.PublicKey{N: n, E: 1}, "public exponent 1 is not an odd number"},
		{"e_even", &rsa.PublicKey{N: n, E: 65536}, "public exponent 65536"},
		{"e_huge", &rsa.PublicKey{N: n, E: 1<<31 + 1}, "public exponent"},
		{"too_big", &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 8192), E: 65537}, "RSA modulus is 8193 bits; at most 8192 are accepted"},
		{"16384_bits", &rsa.PublicKey{N: randModulus(16384), E: 65537}, "RSA modulus is 16384 bits; at most 8192"},
		{"8192_bits", &rsa.PublicKey{N: randModulus(8192), E: 65537}, ""},
		{"e_3", &rsa.PublicKey{N: n, E: 3}, ""},
		{"e_max", &rsa.PublicKey{N: n, E: MaxRSAExponent}, ""},
		{"ok", &testRSA().PublicKey, ""},
	} {
		err := checkRSA(tc.pub)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestROCA_no_false_positive(t *testing.T) {
	t.Parallel()
	if isROCAWeak(testRSA().N) {
		t.Fatal("a random RSA key was flagged as ROCA-weak")
	}
	// The Wycheproof ROCA key is checked in verifiers/bearer's
	// TestWycheproofKeySets.
}

// TestParseKeySet_error_names_key: a refused key is named by index and
// kid in a *KeySetError, so that callers word their own message.
func TestParseKeySet_error_names_key(t *testing.T) {
	t.Parallel()
	_, err := ParseKeySet([]byte(`{"keys":[`+testEC()+`,{"kty":"EC","kid":"a","crv":"P-256","alg":"RS256","x":"AA","y":"AA"}]}`), KeySetOptions{})
	ke, ok := err.(*KeySetError)
	if !ok {
		t.Fatalf("err = %T %v, want *KeySetError", err, err)
	}
	if ke.Key != `key 1 (kid 'a')` || ke.Problem != "alg RS256 needs kty RSA, this key's kty is EC" {
		t.Fatalf("KeySetError = %+v", ke)
	}
	s, err := ParseKeySet([]byte(rfc8037Ed25519), KeySetOptions{})
	if err != nil || len(s.Keys) != 1 || s.Keys[0].Alg.Name() != "EdDSA" || !s.Keys[0].Inferred {
		t.Fatalf("single JWK: %v, %+v", err, s)
	}
}

// FuzzParseKeySet loads arbitrary key sets: never a panic, and an accepted
// set has at least one key, each bound to one algorithm, with material
// inside the bounds.
func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[` + testEC() + `]}`))
	f.Add([]byte(`{"keys":[` + strings.Replace(testEC(), `"kty"`, `"kid":"e","alg":"ES256","kty"`, 1) + `,` + rfc8037Ed25519 + `]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"` + b64u([]byte(strings.Repeat("k", 32))) + `"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(rfc8037Ed25519))
	f.Add(rsaSet(testRSA().N, 65537, "r", "RS256"))
	f.Add(rsaSet(randModulus(MaxRSABits+1), 65537, "big", "RS256"))
	f.Add(rsaSet(testRSA().N, MaxRSAExponent+2, "e", "RS256"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseKeySet(b, KeySetOptions{Symmetric: true})
		if err != nil {
			if _, ok := err.(*KeySetError); !ok {
				t.Fatalf("error %T is not a *KeySetError", err)
			}
			return
		}
		if len(s.Keys) == 0 {
			t.Fatal("accepted an empty set")
		}
		for _, k := range s.Keys {
			n := 0
			for _, has := range []bool{k.RSA != nil, k.EC != nil, k.Ed != nil, k.Secret != nil} {
				if has {
					n++
				}
			}
			if k.Alg == nil || n != 1 {
				t.Fatalf("key without material or alg: %+v", k)
			}
			if k.RSA != nil && (k.RSA.N.BitLen() < MinRSABits || k.RSA.N.BitLen() > MaxRSABits || k.RSA.E%2 == 0 || k.RSA.E < 3 || k.RSA.E > MaxRSAExponent) {
				t.Fatalf("accepted an RSA key outside the bounds: %d bits, e %d", k.RSA.N.BitLen(), k.RSA.E)
			}
		}
	})
}
