package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// The JWK of RFC 7638 §3.1 and its thumbprint.
const (
	rfc7638JWK   = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`
	rfc7638Thumb = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	// RFC 9449 §4.1 (Figure 2) proof, whose key's thumbprint is the
	// cnf.jkt of §6.1 (Figure 8).
	rfc9449Proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
	rfc9449JKT   = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func decodeMap(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestThumbprint_RFC7638_3_1(t *testing.T) {
	got, err := Thumbprint(decodeMap(t, rfc7638JWK))
	if err != nil || got != rfc7638Thumb {
		t.Fatalf("Thumbprint = %q, %v; want %q", got, err, rfc7638Thumb)
	}
}

func TestThumbprint_RFC9449_6_1(t *testing.T) {
	m := decodeMap(t, `{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256","use":"sig"}`)
	if got, err := Thumbprint(m); err != nil || got != rfc9449JKT {
		t.Fatalf("Thumbprint = %q, %v; want %q", got, err, rfc9449JKT)
	}
}

// jwx computes the same thumbprint for random keys of every type.
func TestThumbprint_matches_jwx(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, raw := range []any{&testRSA().PublicKey, &ec.PublicKey, ed, []byte("0123456789abcdef0123456789abcdef")} {
		k, err := jwk.Import(raw)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := k.Thumbprint(crypto.SHA256)
		b, _ := json.Marshal(k)
		got, err := Thumbprint(decodeMap(t, string(b)))
		if err != nil || got != b64u(want) {
			t.Errorf("%T: %q, %v; jwx says %q", raw, got, err, b64u(want))
		}
	}
}

func TestThumbprint_refuses(t *testing.T) {
	for name, js := range map[string]string{
		"no kty":          `{"x":"a"}`,
		"unknown kty":     `{"kty":"XYZ"}`,
		"member missing":  `{"kty":"EC","crv":"P-256","x":"AA"}`,
		"member a number": `{"kty":"RSA","n":5,"e":"AQAB"}`,
	} {
		if _, err := Thumbprint(decodeMap(t, js)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEmbeddedKey_RFC9449_proof(t *testing.T) {
	jws, err := Parse(rfc9449Proof)
	if err != nil {
		t.Fatal(err)
	}
	if jws.Header.Typ != "dpop+jwt" || jws.Header.Alg != "ES256" {
		t.Fatalf("header %+v", jws.Header)
	}
	k, thumb, err := jws.EmbeddedKey(LookupAlg("ES256"))
	if err != nil {
		t.Fatal(err)
	}
	if thumb != rfc9449JKT {
		t.Fatalf("thumbprint %q, want %q", thumb, rfc9449JKT)
	}
	if !k.Verify(jws.SigningInput, jws.Signature()) {
		t.Fatal("the RFC 9449 §4.1 proof does not verify with its own key")
	}
	c, err := jws.Claims()
	if err != nil || c["jti"] != "-BwC3ESc6acc2lTc" || c["htm"] != "POST" || c["htu"] != "https://server.example.com/token" || c["iat"] != float64(1562262616) {
		t.Fatalf("claims %v, %v", c, err)
	}
}

// jwsWithJWK is an unsigned JWS whose header is {"alg":alg,"jwk":jwk}.
func jwsWithJWK(t *testing.T, alg, jwkJSON string) *JWS {
	t.Helper()
	h := `{"typ":"dpop+jwt","alg":"` + alg + `","jwk":` + jwkJSON + `}`
	jws, err := Parse(b64u([]byte(h)) + "." + b64u([]byte(`{}`)) + ".AAAA")
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

func TestEmbeddedKey_refuses(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	x, y := pad32(ec.X), pad32(ec.Y)
	good := `{"kty":"EC","crv":"P-256","x":"` + b64u(x) + `","y":"` + b64u(y) + `"}`
	if _, _, err := jwsWithJWK(t, "ES256", good).EmbeddedKey(LookupAlg("ES256")); err != nil {
		t.Fatalf("good key refused: %v", err)
	}
	offCurve := append([]byte(nil), y...)
	offCurve[31] ^= 1
	n := testRSA().N.Bytes()
	for _, c := range []struct {
		name, alg, jwk, want string
		private              bool
	}{
		{"F5_private_d", "ES256", `{"kty":"EC","crv":"P-256","x":"` + b64u(x) + `","y":"` + b64u(y) + `","d":"AAAA"}`, `private member 'd'`, true},
		{"F5_private_rsa_p", "RS256", `{"kty":"RSA","n":"` + b64u(n) + `","e":"AQAB","p":"AQAB"}`, `private member 'p'`, true},
		{"F5_oct", "HS256", `{"kty":"oct","k":"AAAA"}`, "symmetric key", true},
		{"F5_hmac_alg_with_ec_key", "HS256", good, "symmetric key", false},
		{"kty_for_other_alg", "RS256", good, `kty 'EC' but alg RS256 needs kty RSA`, false},
		{"other_curve", "ES384", good, `curve 'P-256' but alg ES384 needs P-384`, false},
		{"off_curve", "ES256", `{"kty":"EC","crv":"P-256","x":"` + b64u(x) + `","y":"` + b64u(offCurve) + `"}`, "not on P-256", false},
		{"short_x", "ES256", `{"kty":"EC","crv":"P-256","x":"` + b64u(x[1:]) + `","y":"` + b64u(y) + `"}`, "member x is 31 bytes", false},
		{"not_object", "ES256", `"abc"`, "JSON string, not a JWK object", false},
		{"rsa_small", "RS256", `{"kty":"RSA","n":"` + b64u(n[:128]) + `","e":"AQAB"}`, "1024 bits", false},
		{"rsa_leading_zero", "RS256", `{"kty":"RSA","n":"` + b64u(append([]byte{0}, n...)) + `","e":"AQAB"}`, "minimal-length", false},
		{"rsa_even_exponent", "RS256", `{"kty":"RSA","n":"` + b64u(n) + `","e":"AQA"}`, "exponent", false},
		{"okp_other_curve", "EdDSA", `{"kty":"OKP","crv":"X25519","x":"` + b64u(x) + `"}`, "Ed25519", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := jwsWithJWK(t, c.alg, c.jwk).EmbeddedKey(LookupAlg(c.alg))
			ek, ok := err.(*EmbeddedKeyError)
			if !ok || !strings.Contains(ek.Problem, c.want) || ek.Private != c.private {
				t.Fatalf("err = %v; want an EmbeddedKeyError with %q, private %v", err, c.want, c.private)
			}
			if strings.Contains(err.Error(), b64u(x)) || strings.Contains(err.Error(), b64u(n)) {
				t.Fatal("the error holds key material")
			}
		})
	}
	jws, _ := Parse(b64u([]byte(`{"alg":"ES256"}`)) + "." + b64u([]byte(`{}`)) + ".AAAA")
	if _, _, err := jws.EmbeddedKey(LookupAlg("ES256")); err != ErrNoEmbeddedKey {
		t.Fatalf("no jwk: %v", err)
	}
}

func pad32(i *big.Int) []byte { b := make([]byte, 32); return i.FillBytes(b) }

func FuzzEmbeddedKey(f *testing.F) {
	f.Add(rfc9449Proof)
	f.Add(b64u([]byte(`{"alg":"RS256","jwk":`+rfc7638JWK+`}`)) + ".e30.AAAA")
	f.Add(b64u([]byte(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}`)) + ".e30.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		jws, err := Parse(tok)
		if err != nil {
			return
		}
		k, thumb, err := jws.EmbeddedKey(LookupAlg(jws.Header.Alg))
		if err != nil {
			if k != nil || thumb != "" {
				t.Fatal("a key with an error")
			}
			return
		}
		if len(thumb) != 43 || k.Alg == nil || (k.EC == nil && k.RSA == nil && k.Ed == nil) {
			t.Fatalf("accepted key %+v thumb %q", k, thumb)
		}
		_ = k.Verify(jws.SigningInput, jws.Signature())
	})
}
