package bearer

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// kidlessRSA returns n RS256 keys without kid: fx.rsa's at index at (or
// nowhere when at < 0), random moduli elsewhere.
func kidlessRSA(n, at int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		if i == at {
			out[i] = jwkOf(fx.rsa, "", "RS256")
		} else {
			out[i] = rsaJWK(randModulus(2048), 65537, "", "RS256")
		}
	}
	return out
}

// TestKeyLimit_token_without_kid_tried_against_at_most_MaxKeysTried: a
// token without kid is tried against the keys without kid bound to its
// alg only while there are at most MaxKeysTried of them; with more, it is
// refused with token_key_unknown before any signature check (even when
// its key is among them), with a detail giving the numbers and a hint
// saying the issuer must put kid in the token header.
func TestKeyLimit_token_without_kid_tried_against_at_most_MaxKeysTried(t *testing.T) {
	t.Parallel()
	noKid := sign("RS256", fx.rsa, nil, claims())

	t.Run("at_the_limit_every_key_is_tried", func(t *testing.T) {
		t.Parallel()
		v := staticVerifier(t, kidlessRSA(MaxKeysTried, MaxKeysTried-1), WithTokenCache(0, 0))
		if _, err := v.Verify(bearerReq(noKid)); err != nil {
			t.Fatalf("the signing key is the %dth of %d: %v", MaxKeysTried, MaxKeysTried, err)
		}
	})

	t.Run("over_the_limit_none_is_tried", func(t *testing.T) {
		t.Parallel()
		// The signing key comes first: had any key been tried, the token
		// would pass.
		keys := append(kidlessRSA(MaxKeysTried+1, 0), jwkOf(fx.ec, "ec1", "ES256"))
		v := staticVerifier(t, keys, WithTokenCache(0, 0))
		res := throughGate(t, v, bearerReq(noKid))
		if res.status != 401 || res.header.Get("Www-Authenticate") != invalidToken(verifiers.TokenKeyUnknown) {
			t.Fatalf("status %d, WWW-Authenticate %q", res.status, res.header.Get("Www-Authenticate"))
		}
		ev := res.refusal(t)
		wantDetail := `the token has no kid, and 5 keys of issuer '` + testIss + `' are bound to its alg RS256 (6 keys with kids 'ec1': static JWKS); a token without kid is tried against at most 4 keys, so none was tried`
		if ev["reason"] != string(verifiers.TokenKeyUnknown) || ev["detail"] != wantDetail {
			t.Fatalf("reason %v\ndetail %q\nwant   %q", ev["reason"], ev["detail"], wantDetail)
		}
		if h, _ := ev["hint"].(string); !strings.HasPrefix(h, "the issuer must put kid in the token header") {
			t.Fatalf("hint = %q", h)
		}
		res.noSecret(t, noKid)
		// Another alg's keys are not counted: an ES256 token without kid
		// has one candidate.
		if _, err := v.Verify(bearerReq(sign("ES256", fx.ec, nil, claims()))); err != nil {
			t.Fatalf("ES256 without kid beside 5 RSA keys: %v", err)
		}
		// A token with a kid is checked against that key alone, whatever
		// the set's size.
		if _, err := v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unknown_kid_falls_back_to_at_most_MaxKeysTried", func(t *testing.T) {
		t.Parallel()
		v := staticVerifier(t, kidlessRSA(MaxKeysTried+1, 0), WithTokenCache(0, 0))
		_, err := v.Verify(bearerReq(sign("RS256", fx.rsa, map[string]any{"kid": "k9"}, claims())))
		rej := wantReject(t, err, verifiers.TokenKeyUnknown)
		if !strings.Contains(rej.Detail, `no key with kid 'k9'`) || !strings.HasSuffix(rej.Detail, "; the 5 RS256 keys without kid were not tried, as a token is tried against at most 4") {
			t.Fatalf("detail = %q", rej.Detail)
		}
	})

	t.Run("cached_token_dropped_when_the_set_grows_over_the_limit", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.rsa, "", "RS256"))
		v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
		tok := sign("RS256", fx.rsa, nil, claims("iss", ks.URL))
		if _, err := v.Verify(bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
		ks.set(func(ks *keyServer) { ks.keys = kidlessRSA(MaxKeysTried+1, 0) })
		clk.Advance(time.Minute)
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "unknown"))) // makes the set be fetched
		wantReject(t, err, verifiers.TokenKeyUnknown)
		_, err = v.Verify(bearerReq(tok))
		wantReject(t, err, verifiers.TokenKeyUnknown)
	})
}
