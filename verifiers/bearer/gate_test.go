package bearer

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// invalidToken is the exact challenge of a 401 for reason r with the
// default realm.
func invalidToken(r verifiers.Reason) string {
	return `Bearer realm="api", error="invalid_token", error_description="` + r.Description() + `"`
}

const invalidRequest = `Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`

// TestGate runs every Bearer reason through the gate: exact status, exact
// WWW-Authenticate, logged reason, detail and hint, safe attributes, and
// the token (a unique canary for each case) nowhere in the log or the
// response.
func TestGate(t *testing.T) {
	t.Parallel()
	keys := allKeys()
	v := staticVerifier(t, keys)
	typed := staticVerifier(t, keys, WithTypes("at+jwt"))
	profile := staticVerifier(t, keys, WithAccessTokenProfile())
	ec := func(hdr map[string]any, c map[string]any) string {
		h := map[string]any{"kid": "ec1"}
		for k, x := range hdr {
			h[k] = x
		}
		return sign("ES256", fx.ec, h, c)
	}
	good := ec(nil, claims())
	segs := strings.Split(good, ".")
	// A payload whose last base64url character has non-zero unused bits:
	// same bytes, non-canonical encoding (Wycheproof tcId 374's attack).
	nonCanon := func() string {
		p := segs[1]
		for len(p)%4 == 0 { // need a length with unused bits
			p = b64u([]byte(`{"iss":"` + testIss + `","x":"` + strings.Repeat("y", len(p)%3+1) + `"}`))
		}
		last := p[len(p)-1]
		idx := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last)
		alt := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[idx+1]
		return segs[0] + "." + p[:len(p)-1] + string(alt) + "." + segs[2]
	}()

	type tc struct {
		name   string
		v      *Verifier
		req    *http.Request
		token  string // the canary (the token sent)
		status int
		reason verifiers.Reason
		www    string   // exact WWW-Authenticate; "" = none
		detail []string // substrings of the logged detail
		hint   string   // substring of the logged hint
		attrs  map[string]string
	}
	auth := func(value string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.Header.Set("Authorization", value)
		return r
	}
	cases := []tc{
		{name: "C2_E5_expired_recently_hints_clock_skew", token: ec(nil, claims("exp", t0.Add(-2*time.Minute).Unix())),
			reason: verifiers.TokenExpired, detail: []string{"expired at 2026-11-28T09:58:00Z, 2m0s ago (leeway 30s; server time 2026-11-28T10:00:00Z)"},
			hint: "clock skew", attrs: map[string]string{"kid": "ec1", "iss": testIss, "sub": "user-42", "jti": "jti-7"}},
		{name: "E5_expired_long_ago", token: ec(nil, claims("exp", t0.Add(-3*time.Hour).Unix())),
			reason: verifiers.TokenExpired, detail: []string{"3h0m0s ago"}, hint: "keeps using a token past its expiry"},
		{name: "E5_expired_exactly_at_exp_plus_leeway", token: ec(nil, claims("exp", t0.Add(-30*time.Second).Unix())),
			reason: verifiers.TokenExpired, detail: []string{"30s ago (leeway 30s"}},
		{name: "E5_nbf_in_future", token: ec(nil, claims("nbf", t0.Add(2*time.Minute).Unix())),
			reason: verifiers.TokenNotYetValid, detail: []string{"not valid before 2026-11-28T10:02:00Z, 2m0s from now (leeway 30s; server time 2026-11-28T10:00:00Z)"}, hint: "clock skew"},
		{name: "E5_nbf_far_future", token: ec(nil, claims("nbf", t0.Add(2*time.Hour).Unix())),
			reason: verifiers.TokenNotYetValid, detail: []string{"2h0m0s from now"}, hint: "sent it too early"},
		{name: "E5_iat_in_future", token: ec(nil, claims("iat", t0.Add(90*time.Second).Unix())),
			reason: verifiers.TokenIssuedInFuture, detail: []string{"issued at 2026-11-28T10:01:30Z, 1m30s in the future (leeway 30s; server time 2026-11-28T10:00:00Z)"}, hint: "clock skew"},
		{name: "E3_issuer_mismatch_other_environment", token: ec(nil, claims("iss", "https://staging.example.com/")),
			reason: verifiers.TokenIssuerMismatch, detail: []string{`the token's iss is 'https://staging.example.com/'; this verifier trusts 'https://issuer.example.com/'`}, hint: "another environment or tenant",
			attrs: map[string]string{"iss": "https://staging.example.com/"}},
		{name: "E3_issuer_trailing_slash", token: ec(nil, claims("iss", strings.TrimSuffix(testIss, "/"))),
			reason: verifiers.TokenIssuerMismatch, hint: `differ only by a trailing slash (token: 'https://issuer.example.com', configured: 'https://issuer.example.com/')`},
		{name: "E3_issuer_missing", token: ec(nil, claims("iss", nil)),
			reason: verifiers.TokenClaimMissing, detail: []string{"no iss claim"}},
		{name: "E4_audience_mismatch", token: ec(nil, claims("aud", []string{"https://billing.example.com", "account"})),
			reason: verifiers.TokenAudienceMismatch, detail: []string{`the token's aud is ['https://billing.example.com', 'account']; this resource is 'https://api.example.com'`}, hint: "another resource"},
		{name: "E4_audience_missing", token: ec(nil, claims("aud", nil)),
			reason: verifiers.TokenClaimMissing, detail: []string{"no aud claim"}, hint: "resource (RFC 8707)"},
		{name: "E6_type_mismatch", v: typed, token: ec(map[string]any{"typ": "JWT"}, claims()),
			reason: verifiers.TokenTypeMismatch, detail: []string{`the token's typ is 'JWT'; expected at+jwt`}, hint: "ID token"},
		{name: "E6_type_missing", v: typed, token: ec(nil, claims()),
			reason: verifiers.TokenTypeMismatch, detail: []string{"no typ header"}},
		{name: "E7_required_claim_missing", v: profile, token: ec(map[string]any{"typ": "at+jwt"}, claims()),
			reason: verifiers.TokenClaimMissing, detail: []string{`no 'client_id' claim`}},
		{name: "E5_exp_missing", token: ec(nil, claims("exp", nil)),
			reason: verifiers.TokenClaimMissing, detail: []string{"no exp claim"}},
		{name: "E5_exp_not_a_number", token: ec(nil, claims("exp", "tomorrow")),
			reason: verifiers.TokenMalformed, detail: []string{"exp claim is a JSON string"}},
		{name: "E10_key_unknown_static", token: sign("ES256", fx.ec2, map[string]any{"kid": "rotated"}, claims()),
			reason: verifiers.TokenKeyUnknown, detail: []string{`no key with kid 'rotated' in the key set of issuer 'https://issuer.example.com/' (5 keys with kids 'ec1', 'rsa1'`, "static keys are never fetched again"},
			hint: "rotated its keys", attrs: map[string]string{"kid": "rotated"}},
		{name: "C2_signature_invalid", token: sign("ES256", fx.ec2, map[string]any{"kid": "ec1"}, claims()),
			reason: verifiers.TokenSignatureInvalid, detail: []string{`does not verify with key kid 'ec1' (ES256) of issuer 'https://issuer.example.com/'`}, hint: "another environment or tenant"},
		{name: "C2_signature_tampered_payload", token: segs[0] + "." + b64u([]byte(`{"iss":"`+testIss+`","aud":"`+testAud+`","sub":"admin","exp":9999999999}`)) + "." + segs[2],
			reason: verifiers.TokenSignatureInvalid, attrs: map[string]string{"sub": "admin"}},
		{name: "E1_alg_none", token: b64u([]byte(`{"alg":"none","kid":"ec1"}`)) + "." + segs[1] + ".",
			reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'none': an unsigned token`, "allowed: ES256, RS256, PS256, EdDSA, ES384"}},
		{name: "E1_alg_NONE_uppercase", token: b64u([]byte(`{"alg":"NONE"}`)) + "." + segs[1] + ".",
			reason: verifiers.TokenAlgNotAllowed},
		{name: "E2_hmac_with_public_key_verifier", token: sign("HS256", []byte(jwkOf(fx.ec, "", "")["x"].(string)), map[string]any{"kid": "ec1"}, claims()),
			reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 needs a shared secret"}, hint: "algorithm-confusion"},
		{name: "E2_key_bound_to_other_alg", token: sign("PS256", fx.rsa, map[string]any{"kid": "rsa1"}, claims()),
			reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is PS256, but key kid 'rsa1' of issuer 'https://issuer.example.com/' is bound to RS256 (its alg member)`}},
		{name: "E11_two_segments", token: segs[0] + "." + segs[1],
			reason: verifiers.TokenMalformed, detail: []string{"2 segments"}},
		{name: "E9_jwe_five_segments", token: "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn",
			reason: verifiers.TokenMalformed, detail: []string{"5 segments"}, hint: "JWE"},
		{name: "C7_token_in_quotes", req: auth(`Bearer "` + good + `"`), token: good,
			reason: verifiers.TokenMalformed, detail: []string{"starts or ends with a quote"}, hint: "quotes"},
		{name: "C7_bearer_twice", req: auth("Bearer Bearer " + good), token: good,
			reason: verifiers.TokenMalformed, detail: []string{"starts with the word Bearer"}, hint: "twice"},
		{name: "C7_whitespace_inside", req: auth("Bearer " + good[:20] + " " + good[20:]), token: good,
			reason: verifiers.TokenMalformed, detail: []string{"holds whitespace (byte 20"}, hint: "line-wrapped"},
		{name: "C7_url_encoded", token: strings.Replace(good, ".", "%2E", 1),
			reason: verifiers.TokenMalformed, hint: "URL-encoded"},
		{name: "E11_standard_base64_padding", token: good + "==",
			reason: verifiers.TokenMalformed, hint: "standard base64"},
		{name: "E11_non_canonical_base64url", token: nonCanon,
			reason: verifiers.TokenMalformed, detail: []string{"not canonical base64url"}},
		{name: "E11_header_not_json", token: b64u([]byte("not json")) + "." + segs[1] + "." + segs[2],
			reason: verifiers.TokenMalformed, detail: []string{"header is not a JSON object"}},
		{name: "E11_duplicate_header_member", token: b64u([]byte(`{"alg":"ES256","kid":"ec1","alg":"none"}`)) + "." + segs[1] + "." + segs[2],
			reason: verifiers.TokenMalformed, detail: []string{`member 'alg' twice`}},
		{name: "E11_payload_not_json", token: sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, []byte("hello")),
			reason: verifiers.TokenMalformed, detail: []string{"payload is not a JSON object"}, attrs: map[string]string{"kid": "ec1"}},
		{name: "E11_duplicate_claim", token: sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, []byte(`{"iss":"`+testIss+`","iss":"x"}`)),
			reason: verifiers.TokenMalformed, detail: []string{`claim 'iss' twice`}},
		{name: "E9_crit_unknown_extension", token: ec(map[string]any{"crit": []string{"exp"}, "exp": 1}, claims()),
			reason: verifiers.TokenMalformed, detail: []string{`crit lists the extension 'exp'`}},
		{name: "E9_nested_jwt", token: ec(map[string]any{"cty": "JWT"}, claims()),
			reason: verifiers.TokenMalformed, detail: []string{"nested token"}},
		{name: "E11_not_a_jwt", token: "opaque-token-value",
			reason: verifiers.TokenMalformed, detail: []string{"no '.'"}, hint: "not a JWT"},
		{name: "C3_empty_bearer", req: auth("Bearer "), status: 400, reason: verifiers.RequestMalformed, www: invalidRequest,
			detail: []string{"says Bearer but carries no token"}},
		{name: "H1_token_too_large", token: strings.Repeat("A", DefaultMaxTokenBytes+1), status: 431, reason: verifiers.CredentialsTooLarge,
			detail: []string{"8193 bytes, over the 8192-byte limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			vv := c.v
			if vv == nil {
				vv = v
			}
			req := c.req
			if req == nil {
				req = bearerReq(c.token)
			}
			res := throughGate(t, vv, req)
			status := c.status
			if status == 0 {
				status = http.StatusUnauthorized
			}
			www := c.www
			if www == "" && status == http.StatusUnauthorized {
				www = invalidToken(c.reason)
			}
			if res.status != status {
				t.Fatalf("status = %d, want %d; log: %s", res.status, status, res.raw)
			}
			if got := strings.Join(res.header.Values("Www-Authenticate"), "\n"); got != www {
				t.Fatalf("WWW-Authenticate = %q\nwant %q", got, www)
			}
			ev := res.refusal(t)
			if ev["reason"] != string(c.reason) {
				t.Fatalf("logged reason = %v, want %s", ev["reason"], c.reason)
			}
			wantEvent(t, ev, c.detail, c.hint, c.attrs)
			if c.reason == verifiers.TokenMalformed && ev["fingerprint"] == nil {
				t.Errorf("malformed token logged without a fingerprint")
			}
			if c.token != "" {
				res.noSecret(t, c.token, req.Header.Get("Authorization"))
			}
		})
	}
}

func TestGate_success(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	for _, k := range []struct {
		alg, kid string
		key      any
	}{{"ES256", "ec1", fx.ec}, {"RS256", "rsa1", fx.rsa}, {"PS256", "ps1", fx.rsa2}, {"EdDSA", "ed1", fx.ed}, {"ES384", "ec384", fx.ec384}} {
		t.Run(k.alg, func(t *testing.T) {
			t.Parallel()
			tok := sign(k.alg, k.key, map[string]any{"kid": k.kid}, claims("client_id", "app-1"))
			res := throughGate(t, v, bearerReq(tok))
			if res.status != 200 || res.body != "hello user-42" {
				t.Fatalf("status %d body %q log %s", res.status, res.body, res.raw)
			}
			res.noSecret(t, tok)
			id, err := v.Verify(bearerReq(tok))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"kid": k.kid, "iss": testIss, "sub": "user-42", "jti": "jti-7", "client_id": "app-1"}
			for key, val := range want {
				if got, _ := id.Attr(key); got != val {
					t.Errorf("Attr(%s) = %q, want %q", key, got, val)
				}
			}
			if !id.HasScope("read") || !id.HasScope("write") || len(id.Scopes) != 2 {
				t.Errorf("scopes = %v", id.Scopes)
			}
			if id.Claims["jti"] != "jti-7" {
				t.Errorf("claims = %v", id.Claims)
			}
		})
	}
}

func TestGate_D1_resource_metadata_kept_on_rejection(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys(), WithRealm("orders"), WithResourceMetadata("https://api.example.com/.well-known/oauth-protected-resource"))
	res := throughGate(t, v, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := res.header.Get("Www-Authenticate"); got != `Bearer realm="orders", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"` {
		t.Fatalf("C1 no credentials: %q", got)
	}
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("exp", t0.Add(-time.Hour).Unix()))
	res = throughGate(t, v, bearerReq(tok))
	want := `Bearer realm="orders", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", error="invalid_token", error_description="The access token expired."`
	if got := res.header.Get("Www-Authenticate"); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestGate_C3_token_two_ways(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys(), WithQueryTokens())
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	r := bearerReq(tok)
	r.URL.RawQuery = "access_token=" + tok
	res := throughGate(t, v, r)
	if res.status != 400 || res.header.Get("Www-Authenticate") != invalidRequest {
		t.Fatalf("status %d, WWW-Authenticate %q", res.status, res.header.Get("Www-Authenticate"))
	}
	ev := res.refusal(t)
	if ev["reason"] != string(verifiers.RequestMalformed) || !strings.Contains(ev["detail"].(string), "in the Authorization header and in the access_token query parameter") {
		t.Fatalf("event %v", ev)
	}
	res.noSecret(t, tok)

	// C9: a query token alone is accepted, and the response is private.
	r = httptest.NewRequest(http.MethodGet, "/?access_token="+tok, nil)
	res = throughGate(t, v, r)
	if res.status != 200 || res.header.Get("Cache-Control") != "private" {
		t.Fatalf("status %d Cache-Control %q", res.status, res.header.Get("Cache-Control"))
	}
}

func TestGate_canary_never_in_base64_either(t *testing.T) {
	t.Parallel()
	// A token whose payload is the canary itself: the canary's base64url
	// is then part of the token, and must not appear either.
	v := staticVerifier(t, allKeys())
	canary := "CANARY-7f3e9b1c-not-for-logs"
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, []byte(canary))
	res := throughGate(t, v, bearerReq(tok))
	if res.status != 401 {
		t.Fatalf("status %d", res.status)
	}
	if strings.Contains(res.raw+res.body, canary) || strings.Contains(res.raw+res.body, base64.RawURLEncoding.EncodeToString([]byte(canary))) {
		t.Fatal("canary leaked")
	}
	res.noSecret(t, tok)
}
