package bearer

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestIDToken_refused_as_access_token: an OpenID Connect ID token whose
// aud is this API's audience (typ JWT, nonce, at_hash, auth_time) is
// refused with token_is_id_token, even without WithTypes; so is any token
// with one of nonce, at_hash, c_hash or s_hash. auth_time alone, and the
// access tokens of real issuers (Hydra's typ JWT with scp and ext,
// oidc-provider's at+jwt, Okta's with auth_time and cid), pass.
func TestIDToken_refused_as_access_token(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	profile := staticVerifier(t, allKeys(), WithAccessTokenProfile())
	keycloak := staticVerifier(t, allKeys(), WithIDTokenClaimsAllowed("nonce"))
	es := func(typ string, kv ...any) string {
		hdr := map[string]any{"kid": "ec1"}
		if typ != "" {
			hdr["typ"] = typ
		}
		return sign("ES256", fx.ec, hdr, claims(kv...))
	}
	idToken := es("JWT", "scope", nil, "nonce", "n-0S6_WzA2Mj", "at_hash", "77QmUPtjPfzWtF2AnpK9RQ", "auth_time", t0.Add(-2*60e9).Unix(),
		"azp", "web-client", "email", "user@example.com")

	for _, tc := range []struct {
		name   string
		v      *Verifier
		tok    string
		detail string // "" = accepted
	}{
		{"oidc_id_token", v, idToken, "the token has nonce, at_hash, which only an OpenID Connect ID token carries (OIDC Core §2, §3.1.3.6): it is an ID token, not an access token"},
		{"nonce_alone", v, es("", "nonce", "x"), "the token has nonce, which only"},
		{"at_hash_alone", v, es("", "at_hash", "x"), "the token has at_hash, which only"},
		{"c_hash_alone", v, es("", "c_hash", "x"), "the token has c_hash, which only"},
		{"s_hash_alone", v, es("", "s_hash", "x"), "the token has s_hash, which only"},
		{"auth_time_alone_RFC9068_2_2_1", v, es("", "auth_time", t0.Add(-60e9).Unix()), ""},
		{"hydra_access_token", v, es("JWT", "scope", nil, "scp", []string{"offline", "orders:read"}, "client_id", "hydra-client",
			"ext", map[string]any{}, "nbf", t0.Add(-60e9).Unix(), "aud", []string{testAud}), ""},
		{"oidc_provider_access_token", profile, es("at+jwt", "client_id", "op-client", "scope", "openid orders:read"), ""},
		{"okta_access_token", v, es("", "scope", nil, "ver", 1, "cid", "0oa1", "uid", "00u1", "scp", []string{"openid", "orders:read"},
			"auth_time", t0.Add(-60e9).Unix()), ""},
		{"keycloak_pre24_nonce_allowed", keycloak, es("JWT", "nonce", "x", "typ", "Bearer", "azp", "kc-client", "auth_time", t0.Add(-60e9).Unix()), ""},
		{"allowed_nonce_not_at_hash", keycloak, idToken, "the token has at_hash, which only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.detail == "" {
				if _, err := tc.v.Verify(bearerReq(tc.tok)); err != nil {
					t.Fatal(err)
				}
				return
			}
			res := throughGate(t, tc.v, bearerReq(tc.tok))
			if res.status != 401 || res.header.Get("Www-Authenticate") != invalidToken(verifiers.TokenIsIDToken) {
				t.Fatalf("status %d, WWW-Authenticate %q", res.status, res.header.Get("Www-Authenticate"))
			}
			ev := res.refusal(t)
			if ev["reason"] != string(verifiers.TokenIsIDToken) || !strings.HasPrefix(ev["detail"].(string), tc.detail) {
				t.Fatalf("reason %v, detail %q\nwant prefix %q", ev["reason"], ev["detail"], tc.detail)
			}
			if h, _ := ev["hint"].(string); !strings.HasPrefix(h, "the client sends the id_token of its login response; it must send the access_token") ||
				!strings.Contains(h, "WithIDTokenClaimsAllowed") {
				t.Errorf("hint = %q", h)
			}
			if !strings.Contains(res.body, `"reason":"token_is_id_token"`) {
				t.Errorf("body = %s", res.body)
			}
			res.noSecret(t, tc.tok)
		})
	}

	for _, bad := range [][]string{nil, {"auth_time"}, {"NONCE"}} {
		if _, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}}, WithIDTokenClaimsAllowed(bad...), quiet()); err == nil {
			t.Errorf("WithIDTokenClaimsAllowed(%q) accepted", bad)
		}
	}
}
