package bearer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/jose"
)

func TestKeySetChecks(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	e1 := jwkOf(fx.rsa, "e1", "RS256", "e", b64u(big.NewInt(1).Bytes()))
	ec := jwkOf(fx.ec, "ec1", "ES256")
	offCurve := jwkOf(fx.ec, "bad", "ES256", "y", b64u(pad([]byte{1}, 32)))
	tests := []struct {
		name string
		keys []map[string]any
		want string // substring of the error; "" = accepted
	}{
		{"ok_ec_rsa_ed", []map[string]any{ec, jwkOf(fx.rsa, "r", "RS256"), jwkOf(fx.ed, "e", "EdDSA")}, ""},
		{"rsa_1024_refused", []map[string]any{jwkOf(small, "s", "RS256")}, "1024 bits"},
		{"rsa_e1_refused", []map[string]any{e1}, "exponent"},
		{"rsa_even_e_refused", []map[string]any{jwkOf(fx.rsa, "e2", "RS256", "e", b64u(big.NewInt(65536).Bytes()))}, "exponent"},
		{"duplicate_kid", []map[string]any{ec, jwkOf(fx.ec2, "ec1", "ES256")}, `kid 'ec1' appears on two keys`},
		{"hmac_beside_ec", []map[string]any{ec, jwkOf(fx.secret, "h", "HS256")}, "mixes HMAC (oct) and asymmetric"},
		{"hmac_short", []map[string]any{jwkOf(fx.secret[:31], "h", "HS256")}, "HS256 key is 31 bytes; RFC 7518 §3.2 requires at least 32"},
		{"hmac_384_short", []map[string]any{jwkOf(fx.secret, "h", "HS384")}, "HS384 key is 32 bytes"},
		{"hmac_without_alg", []map[string]any{jwkOf(fx.secret, "h", "")}, "shared secret must name its algorithm"},
		{"hmac_ok_static", []map[string]any{jwkOf(fx.secret, "h", "HS256")}, ""},
		{"curve_alg_mismatch", []map[string]any{jwkOf(fx.ec384, "x", "ES256")}, "alg ES256 needs curve P-256, this key is on P-384"},
		{"alg_kty_mismatch", []map[string]any{jwkOf(fx.ec, "x", "RS256")}, "alg RS256 needs kty RSA, this key's kty is EC"},
		{"unknown_alg", []map[string]any{jwkOf(fx.ec, "x", "ES521")}, `alg 'ES521' is not a JWS algorithm`},
		{"alg_none_key", []map[string]any{jwkOf(fx.ec, "x", "none")}, `alg 'none' is never`},
		{"point_off_curve", []map[string]any{offCurve}, "bad"},
		{"private_key_refused", []map[string]any{jwkOf(fx.ec, "p", "ES256", "d", b64u(must(fx.ec.Bytes())))}, `private key material (member 'd')`},
		{"use_enc_only_skipped_then_empty", []map[string]any{jwkOf(fx.rsa, "enc", "RSA-OAEP", "use", "enc")}, "no key can verify signatures: every key was skipped"},
		{"use_enc_skipped_beside_sig", []map[string]any{ec, jwkOf(fx.rsa, "enc", "RSA-OAEP", "use", "enc")}, ""},
		{"key_ops_encrypt_skipped", []map[string]any{jwkOf(fx.rsa, "enc", "", "key_ops", []string{"encrypt"})}, `key_ops ['encrypt'] does not include verify`},
		{"key_ops_verify_ok", []map[string]any{jwkOf(fx.ec, "ec1", "ES256", "key_ops", []string{"verify"})}, ""},
		{"key_ops_duplicate", []map[string]any{jwkOf(fx.ec, "ec1", "ES256", "key_ops", []string{"verify", "verify"})}, `key_ops lists 'verify' twice`},
		{"use_sig_with_encrypt_ops", []map[string]any{jwkOf(fx.ec, "ec1", "ES256", "use", "sig", "key_ops", []string{"encrypt"})}, "use is sig but key_ops"},
		{"use_sig_with_jwe_alg", []map[string]any{jwkOf(fx.secret, "a", "A256GCM", "use", "sig")}, `alg 'A256GCM' is an encryption algorithm, but use`},
		{"unknown_kty_skipped", []map[string]any{ec, {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-44", "pub": "AAAA"}}, ""},
		{"secp256k1_skipped", []map[string]any{ec, {"kty": "EC", "crv": "secp256k1", "kid": "k1", "x": "AA", "y": "AA"}}, ""},
		{"empty_set", nil, "the set is empty"},
		{"kid_not_string", []map[string]any{jwkOf(fx.ec, "", "ES256", "kid", 7)}, `member 'kid' is a JSON number`},
		{"no_kty", []map[string]any{{"kid": "x"}}, `no 'kty' member`},
		{"rsa_without_alg_inferred", []map[string]any{jwkOf(fx.rsa, "r", "")}, ""},
		{"ed_without_alg_inferred", []map[string]any{jwkOf(fx.ed, "e", "")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(tc.keys...))}}, quiet())
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want error with %q", tc.want)
			}
			if !errors.Is(err, ErrInvalidKeySet) {
				t.Fatalf("error %v does not match ErrInvalidKeySet", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestKeySet_inference(t *testing.T) {
	t.Parallel()
	load := func(k map[string]any, allow ...string) (*keySet, error) {
		var l allowList
		for _, a := range allow {
			l = append(l, jose.LookupAlg(a))
		}
		return parseKeySet(jwks(k), loadOptions{origin: "test", allow: l})
	}
	tests := []struct {
		name  string
		key   map[string]any
		allow []string
		want  string // bound alg, or "" = skipped/refused
	}{
		{"EC_P256_is_ES256", jwkOf(fx.ec, "a", ""), nil, "ES256"},
		{"EC_P384_is_ES384", jwkOf(fx.ec384, "a", ""), nil, "ES384"},
		{"Ed25519_is_EdDSA", jwkOf(fx.ed, "a", ""), nil, "EdDSA"},
		{"Ed25519_is_Ed25519_when_only_that_allowed", jwkOf(fx.ed, "a", ""), []string{"Ed25519"}, "Ed25519"},
		{"RSA_default_RS256", jwkOf(fx.rsa, "a", ""), nil, "RS256"},
		{"RSA_RS256_when_allowed_with_PS256", jwkOf(fx.rsa, "a", ""), []string{"PS256", "RS256"}, "RS256"},
		{"RSA_only_PS256_allowed", jwkOf(fx.rsa, "a", ""), []string{"PS256", "ES256"}, "PS256"},
		{"RSA_ambiguous_PS256_PS384", jwkOf(fx.rsa, "a", ""), []string{"PS256", "PS384"}, ""},
		{"EC_outside_allow_list", jwkOf(fx.ec, "a", ""), []string{"RS256"}, ""},
		{"EC_with_alg_outside_allow_list_kept", jwkOf(fx.ec, "a", "ES256"), []string{"RS256"}, "ES256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := load(tc.key, tc.allow...)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted with %s", s.keys[0].Alg.Name())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.keys[0].Alg.Name(); got != tc.want {
				t.Fatalf("bound to %s, want %s", got, tc.want)
			}
			if s.keys[0].Inferred != (tc.key["alg"] == nil) {
				t.Fatal("inferred flag wrong")
			}
		})
	}
}

func TestKeySources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(path, jwks(jwkOf(fx.ec, "ec1", "ES256")), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	v, err := New(ctx, testAud, []Issuer{{URL: testIss, Keys: JWKSFile(path)}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(bearerReq(tok)); err != nil {
		t.Fatalf("JWKSFile: %v", err)
	}
	if _, err := New(ctx, testAud, []Issuer{{URL: testIss, Keys: JWKSFile(filepath.Join(dir, "missing"))}}, quiet()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing file: %v", err)
	}
	// Secret
	hv, err := New(ctx, testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hv.Verify(bearerReq(sign("HS256", fx.secret, map[string]any{"kid": "any"}, claims()))); err != nil {
		t.Fatalf("Secret: %v", err)
	}
	for _, bad := range []struct {
		name string
		src  KeySource
		opts []Option
		want string
	}{
		{"secret_short", Secret(fx.secret[:20], "HS256"), nil, "at least 32"},
		{"secret_not_hmac", Secret(fx.secret, "ES256"), nil, "not HS256"},
		{"secret_outside_allow", Secret(fx.secret, "HS256"), []Option{WithAlgorithms("HS512")}, "not in the allow-list"},
		{"no_source", KeySource{}, nil, "no key source"},
		{"allow_list_fits_no_key", JWKS(jwks(jwkOf(fx.ec, "ec1", "ES256"))), []Option{WithAlgorithms("RS256")}, "no key"},
		{"hmac_allow_list_with_public_keys", JWKS(jwks(jwkOf(fx.ec, "ec1", "ES256"))), []Option{WithAlgorithms("HS256")}, "no key"},
		{"jwks_url_plain_http", JWKSURL("http://keys.example.com/jwks"), nil, "plain http"},
		{"jwks_url_relative", JWKSURL("/jwks"), nil, "not an absolute"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := New(ctx, testAud, []Issuer{{URL: testIss, Keys: bad.src}}, append(bad.opts, quiet())...)
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Fatalf("err = %v, want %q", err, bad.want)
			}
		})
	}
}

func TestNew_configuration_errors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ec := JWKS(jwks(jwkOf(fx.ec, "ec1", "ES256")))
	iss := []Issuer{{URL: testIss, Keys: ec}}
	tests := []struct {
		name     string
		aud      string
		issuers  []Issuer
		opts     []Option
		want     string
		isOpaque bool
	}{
		{"no_audience", "", iss, nil, "audience", false},
		{"no_issuer", testAud, nil, nil, "at least one Issuer", false},
		{"empty_issuer_url", testAud, []Issuer{{Keys: ec}}, nil, "empty URL", false},
		{"duplicate_issuer", testAud, []Issuer{iss[0], iss[0]}, nil, "listed twice", false},
		{"E1_none_in_allow_list", testAud, iss, []Option{WithAlgorithms("ES256", "none")}, `"none" is never allowed`, false},
		{"E2_hmac_mixed_in_allow_list", testAud, iss, []Option{WithAlgorithms("ES256", "HS256")}, "algorithm confusion", false},
		{"unknown_alg_in_allow_list", testAud, iss, []Option{WithAlgorithms("ES257")}, "unknown algorithm", false},
		{"E2_secret_beside_public_keys", testAud, []Issuer{iss[0], {URL: "https://other/", Keys: Secret(fx.secret, "HS256")}}, nil, "algorithm confusion", false},
		{"leeway_too_large", testAud, iss, []Option{WithLeeway(MaxLeeway + 1)}, "WithLeeway", false},
		{"empty_realm", testAud, iss, []Option{WithRealm("")}, "empty realm", false},
		{"bad_refresh", testAud, iss, []Option{WithRefreshInterval(10, 5)}, "min <= max", false},
		{"nil_option", testAud, iss, []Option{nil}, "nil Option", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(ctx, tc.aud, tc.issuers, append(tc.opts, quiet())...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// randModulus returns a random odd number of exactly bits bits: as costly
// to verify with as a real RSA modulus of that size, and far quicker to
// make.
func randModulus(bits int) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	if err != nil {
		panic(err)
	}
	n.SetBit(n, bits-1, 1)
	return n.SetBit(n, 0, 1)
}

// rsaJWK is the JWK of an RSA public key given by its modulus and
// exponent, with kid and alg when not empty.
func rsaJWK(n *big.Int, e int, kid, alg string) map[string]any {
	m := map[string]any{"kty": "RSA", "n": b64u(n.Bytes()), "e": b64u(big.NewInt(int64(e)).Bytes())}
	if kid != "" {
		m["kid"] = kid
	}
	if alg != "" {
		m["alg"] = alg
	}
	return m
}

// TestKeySet_RSA_bounds_name_the_key: a key over the RSA bounds makes the
// whole set be refused, with a *KeySetError naming the key by index and
// kid, whether the set is static (New fails) or fetched (refused, logged,
// the previous set kept).
func TestKeySet_RSA_bounds_name_the_key(t *testing.T) {
	t.Parallel()
	ok := jwkOf(fx.rsa, "ok", "RS256")
	for _, tc := range []struct {
		name, problem string
		bad           map[string]any
	}{
		{"modulus_16384_bits", "RSA modulus is 16384 bits; at most 8192 are accepted", rsaJWK(randModulus(16384), 65537, "big", "RS256")},
		{"modulus_8193_bits", "RSA modulus is 8193 bits; at most 8192 are accepted", rsaJWK(randModulus(8193), 65537, "big", "RS256")},
		{"exponent_65539", "RSA public exponent 65539 is not an odd number from 3 to 65537", rsaJWK(fx.rsa.N, 65539, "big", "RS256")},
		{"exponent_2^31+1", "RSA public exponent 2147483649 is not an odd number from 3 to 65537", rsaJWK(fx.rsa.N, 1<<31+1, "big", "RS256")},
		{"exponent_2^32+1", "RSA public exponent 4294967297 is not an odd number from 3 to 65537", rsaJWK(fx.rsa.N, 1<<32+1, "big", "RS256")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(ok, tc.bad))}}, quiet())
			var ke *KeySetError
			if !errors.As(err, &ke) || !errors.Is(err, ErrInvalidKeySet) {
				t.Fatalf("New: err = %v, want a *KeySetError", err)
			}
			if ke.Key != `key 1 (kid 'big')` || !strings.HasPrefix(ke.Problem, tc.problem) {
				t.Fatalf("Key %q, Problem %q; want key 1 (kid 'big') and %q", ke.Key, ke.Problem, tc.problem)
			}
			want := `bearer: key set static JWKS of issuer '` + testIss + `' refused: key 1 (kid 'big'): ` + tc.problem
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error %q\nwant %q...", err, want)
			}

			// Fetched: refused and logged; the previous set stays.
			ks := newKeyServer(t, ok)
			v, clk, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
			ks.set(func(ks *keyServer) { ks.keys = []map[string]any{ok, tc.bad} })
			clk.Advance(time.Hour)
			_, _ = v.Verify(bearerReq(tokenFor(ks.URL, fx.rsa, "RS256", "big")))
			if !strings.Contains(logs.String(), `refused: key 1 (kid 'big'): `+tc.problem) {
				t.Fatalf("log: %s", logs.String())
			}
			if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.rsa, "RS256", "ok"))); err != nil {
				t.Fatalf("previous set: %v", err)
			}
		})
	}
	// At the bounds: accepted.
	if _, err := parseKeySet(jwks(rsaJWK(randModulus(MaxRSABits), MaxRSAExponent, "edge", "RS256")), loadOptions{origin: "test"}); err != nil {
		t.Fatalf("8192 bits, e 65537: %v", err)
	}
}
