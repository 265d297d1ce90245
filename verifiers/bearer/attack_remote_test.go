package bearer

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// TestAttackRemote sends tokens that name the attacker's keys (jku, x5u,
// jwk, x5c, a kid that is a URL) to a verifier whose keys are fetched
// (JWKSURL), through the gate. Such a verifier does make requests on a
// token's behalf (an unknown kid refetches its own set), so this is where
// a header URL slipping into a fetch would show: the attacker's server
// must see no request at all, and each token must fail as the configured
// key set says (RFC 8725 §3.10, STANDARDS E10).
func TestAttackRemote(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	// The attacker publishes a set with the victim's kid and its own key,
	// at every path.
	attacker := newCounter(t, jwks(jwkOf(fx.ec2, "ec1", "ES256"), jwkOf(fx.ec2, "attacker", "ES256")))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	clk.Advance(time.Hour) // the unknown-kid refresh is allowed
	t.Cleanup(func() {
		if n := attacker.hits.Load(); n != 0 {
			t.Errorf("E10: the attacker's server got %d requests; want 0", n)
		}
		// The first fetch, and at most one refresh for all unknown kids
		// (rate-limited, shared by concurrent requests).
		if n := ks.jwksHits.Load(); n < 1 || n > 2 {
			t.Errorf("the issuer's JWKS was fetched %d times; want 1 or 2", n)
		}
	})

	claims := claimsJSON("iss", `"`+ks.URL+`"`)
	byAttacker := func(hdr string) string { return mintSigned(hdr, claims, "ES256", fx.ec2) }
	attackerJWK := string(must(json.Marshal(jwkOf(fx.ec2, "ec1", "ES256"))))
	attackerCert := base64.StdEncoding.EncodeToString(selfSigned(t, fx.ec2))
	sigInvalid := `the signature does not verify with key kid 'ec1' (ES256) of issuer '` + ks.URL + `'`
	unknown := func(kid string) string {
		return "no key with kid " + quote(kid) + " in the key set of issuer " + quote(ks.URL)
	}

	cases := []attack{
		{name: "control_issuer_key_accepted", tok: mintSigned(`{"alg":"ES256","kid":"ec1","jku":"`+attacker.URL+`/jwks"}`, claims, "ES256", fx.ec), status: 200},
		{name: "jku_attacker_same_kid", tok: byAttacker(`{"alg":"ES256","kid":"ec1","jku":"` + attacker.URL + `/jwks"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jku_attacker_unknown_kid", tok: byAttacker(`{"alg":"ES256","kid":"attacker","jku":"` + attacker.URL + `/jwks"}`), reason: verifiers.TokenKeyUnknown, detail: []string{unknown("attacker")}},
		{name: "jku_attacker_no_kid", tok: byAttacker(`{"alg":"ES256","jku":"` + attacker.URL + `/jwks"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jku_relative_path", tok: byAttacker(`{"alg":"ES256","kid":"attacker","jku":"/jwks?attacker"}`), reason: verifiers.TokenKeyUnknown, detail: []string{unknown("attacker")}},
		{name: "x5u_attacker", tok: byAttacker(`{"alg":"ES256","kid":"ec1","x5u":"` + attacker.URL + `/cert.pem"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "x5u_attacker_unknown_kid", tok: byAttacker(`{"alg":"ES256","kid":"attacker","x5u":"` + attacker.URL + `/cert.pem"}`), reason: verifiers.TokenKeyUnknown, detail: []string{unknown("attacker")}},
		{name: "jwk_embedded_attacker_key", tok: byAttacker(`{"alg":"ES256","kid":"ec1","jwk":` + attackerJWK + `}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jwk_embedded_attacker_key_no_kid", tok: byAttacker(`{"alg":"ES256","jwk":` + attackerJWK + `}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "x5c_attacker_certificate", tok: byAttacker(`{"alg":"ES256","kid":"ec1","x5c":["` + attackerCert + `"]}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "x5c_attacker_certificate_unknown_kid", tok: byAttacker(`{"alg":"ES256","kid":"attacker","x5c":["` + attackerCert + `"]}`), reason: verifiers.TokenKeyUnknown, detail: []string{unknown("attacker")}},
		{name: "kid_is_attacker_url", tok: byAttacker(`{"alg":"ES256","kid":"` + attacker.URL + `/jwks"}`), reason: verifiers.TokenKeyUnknown, detail: []string{unknown(attacker.URL + "/jwks")}},
		{name: "iss_is_attacker_url", tok: mintSigned(`{"alg":"ES256","kid":"ec1"}`, claimsJSON("iss", `"`+attacker.URL+`"`), "ES256", fx.ec2), reason: verifiers.TokenIssuerMismatch,
			detail: []string{`the token's iss is '` + attacker.URL + `'; this verifier trusts '` + ks.URL + `'`}},
	}
	runAttacks(t, v, cases)
}
