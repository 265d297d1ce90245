package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"testing"
)

// TestVerify_ECDSA_edges: the R||S signature of RFC 7518 §3.4, checked
// with ecdsa.Verify on the parsed integers, refuses r or s of zero, of
// the group order n or above, and every length but twice the curve size
// (a DER signature included), as Wycheproof's ECDSA vectors ask.
func TestVerify_ECDSA_edges(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &Key{Alg: LookupAlg("ES256"), EC: &priv.PublicKey}
	const input = "eyJhbGciOiJFUzI1NiJ9.e30"
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	der, err := ecdsa.SignASN1(rand.Reader, priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	n := elliptic.P256().Params().N
	rs := func(r, s *big.Int) []byte {
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	// s' = n - s is the other valid s for r (ECDSA malleability); it
	// verifies too, as RFC 7518 does not require low s.
	for _, c := range []struct {
		name string
		sig  []byte
		want bool
	}{
		{"valid", rs(r, s), true},
		{"valid_high_s", rs(r, new(big.Int).Sub(n, s)), true},
		{"r_zero", rs(big.NewInt(0), s), false},
		{"s_zero", rs(r, big.NewInt(0)), false},
		{"r_s_zero", make([]byte, 64), false},
		{"r_n", rs(n, s), false},
		{"s_n", rs(r, n), false},
		{"r_above_n", rs(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)), s), false},
		{"der", der, false},
		{"short", rs(r, s)[:63], false},
		{"long", append(rs(r, s), 0), false},
		{"empty", nil, false},
	} {
		if got := k.Verify(input, c.sig); got != c.want {
			t.Errorf("%s: Verify = %v, want %v", c.name, got, c.want)
		}
	}
}
