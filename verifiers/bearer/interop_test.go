package bearer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/golang-jwt/jwt/v5"
)

// mintJWT makes a token with github.com/golang-jwt/jwt/v5, a library
// independent of jwx and of authgate's own test signer.
func mintJWT(t *testing.T, m jwt.SigningMethod, key any, kid, iss string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims{
		"iss":       iss,
		"aud":       []string{"https://other.example.com", testAud},
		"sub":       "svc-reports",
		"client_id": "reports",
		"jti":       "j-" + kid,
		"iat":       t0.Add(-time.Minute).Unix(),
		"exp":       exp.Unix(),
		"scp":       []string{"orders:read", "orders:write"},
	})
	tok.Header["kid"] = kid
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("golang-jwt: %v", err)
	}
	return s
}

// TestInterop verifies tokens minted by golang-jwt for ES256, RS256,
// PS256 and EdDSA, with keys found by OIDC discovery on a local server
// that publishes RSA, EC and Ed25519 keys without alg (as many providers
// do), then rotates them.
func TestInterop(t *testing.T) {
	t.Parallel()
	ec3, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	gen1 := []map[string]any{
		jwkOf(fx.ec, "es-1", "", "use", "sig"),
		jwkOf(fx.rsa, "rs-1", ""),
		jwkOf(fx.rsa2, "ps-1", "PS256"), // RSA keys without alg are bound to RS256: PSS needs alg
		jwkOf(fx.ed, "ed-1", ""),
		jwkOf(fx.rsa, "enc-1", "RSA-OAEP", "use", "enc"), // skipped
	}
	ks := newKeyServer(t, gen1...)
	ks.cacheControl = "public, max-age=300"
	v, clk, _ := remoteVerifier(t, ks, Discovery(), WithAccessTokenProfile(), WithScopeClaims("scp"))
	exp := t0.Add(10 * time.Minute)
	cases := []struct {
		alg string
		m   jwt.SigningMethod
		key any
		kid string
	}{
		{"ES256", jwt.SigningMethodES256, fx.ec, "es-1"},
		{"RS256", jwt.SigningMethodRS256, fx.rsa, "rs-1"},
		{"PS256", jwt.SigningMethodPS256, fx.rsa2, "ps-1"},
		{"EdDSA", jwt.SigningMethodEdDSA, fx.ed, "ed-1"},
	}
	for _, c := range cases {
		tok := mintJWT(t, c.m, c.key, c.kid, ks.URL, exp)
		id, err := v.Verify(bearerReq(tok))
		if err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		if id.Subject != "svc-reports" || !id.HasScope("orders:write") {
			t.Fatalf("%s: identity %+v", c.alg, id)
		}
		if cid, _ := id.Attr(verifiers.AttrClientID); cid != "reports" {
			t.Fatalf("%s: client_id %q", c.alg, cid)
		}
		// Through the gate too.
		if res := throughGate(t, v, bearerReq(tok)); res.status != 200 {
			t.Fatalf("%s: gate status %d: %s", c.alg, res.status, res.raw)
		}
	}
	// An ES256 key can only verify ES256: a token claiming ES384 with that
	// kid is refused before any signature check.
	_, err := v.Verify(bearerReq(mintJWT(t, jwt.SigningMethodES384, fx.ec384, "es-1", ks.URL, exp)))
	wantReject(t, err, verifiers.TokenAlgNotAllowed)

	// Rotation: the issuer replaces es-1 by es-2.
	ks.set(func(ks *keyServer) {
		ks.keys = []map[string]any{jwkOf(ec3, "es-2", ""), jwkOf(fx.rsa, "rs-1", ""), jwkOf(fx.ed, "ed-1", "")}
	})
	clk.Advance(DefaultUnknownKeyRefresh)
	if _, err := v.Verify(bearerReq(mintJWT(t, jwt.SigningMethodES256, ec3, "es-2", ks.URL, exp))); err != nil {
		t.Fatalf("after rotation, new key: %v", err)
	}
	_, err = v.Verify(bearerReq(mintJWT(t, jwt.SigningMethodES256, fx.ec, "es-1", ks.URL, exp)))
	rej := wantReject(t, err, verifiers.TokenKeyUnknown)
	if want := `3 keys with kids 'es-2', 'rs-1', 'ed-1'`; !strings.Contains(rej.Detail, want) {
		t.Fatalf("detail = %q, want %q", rej.Detail, want)
	}
	// Expired golang-jwt token: exact numbers.
	_, err = v.Verify(bearerReq(mintJWT(t, jwt.SigningMethodEdDSA, fx.ed, "ed-1", ks.URL, t0.Add(-time.Minute))))
	rej = wantReject(t, err, verifiers.TokenExpired)
	if want := "expired at 2026-11-28T09:59:00Z, 1m30s ago"; !strings.Contains(rej.Detail, want) {
		t.Fatalf("detail = %q, want %q", rej.Detail, want)
	}
}
