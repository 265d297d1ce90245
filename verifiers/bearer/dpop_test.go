package bearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// The DPoP tests: a client key (fx.ec2) bound into tokens signed by the
// issuer key ec1, proofs made here, requests through a gate that lists
// the DPoP verifier and the Bearer verifier.

const (
	dpopURL      = "https://api.example.com/resource"
	dpopChal     = `DPoP realm="api", algs="ES256 EdDSA"`
	bearerChal   = `Bearer realm="api"`
	dpopAlgsTest = "ES256 EdDSA"
)

var jtiSeq atomic.Int64

// client is a DPoP client: its key and the JWK it puts in its proofs.
type client struct {
	key any
	alg string
}

func (c client) jwk() map[string]any { return jwkOf(c.key, "", "") }

func (c client) thumb() string { return must(jose.Thumbprint(c.jwk())) }

// proof makes a proof for method and url bound to tok, at t0; kv change
// its claims (nil deletes), and hdr its header.
func (c client) proof(method, url, tok string, hdr map[string]any, kv ...any) string {
	cl := map[string]any{
		"jti": fmt.Sprintf("jti-%d", jtiSeq.Add(1)),
		"htm": method,
		"htu": url,
		"iat": t0.Unix(),
		"ath": tokenHash(tok),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(cl, kv[i].(string))
		} else {
			cl[kv[i].(string)] = kv[i+1]
		}
	}
	h := map[string]any{"typ": "dpop+jwt", "jwk": c.jwk()}
	for k, v := range hdr {
		h[k] = v
	}
	return sign(c.alg, c.key, h, cl)
}

// dpopFixtures is the client of most tests; fx is made in TestMain.
func dpopFixtures() client { return client{key: fx.ec2, alg: "ES256"} }

// boundToken is a valid access token bound to the key with thumbprint jkt.
func boundToken(jkt string, kv ...any) string {
	c := claims(append([]any{"cnf", map[string]any{"jkt": jkt}}, kv...)...)
	return sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, c)
}

func dpopVerifier(t testing.TB, o DPoPOptions, opts ...Option) *Verifier {
	t.Helper()
	if o.Algs == nil {
		o.Algs = strings.Fields(dpopAlgsTest)
	}
	return staticVerifier(t, allKeys(), append([]Option{WithDPoP(o)}, opts...)...)
}

func dpopReq(method, url, tok, proof string) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	if tok != "" {
		r.Header.Set("Authorization", "DPoP "+tok)
	}
	if proof != "" {
		r.Header.Set("DPoP", proof)
	}
	return r
}

// dpopGate sends r through a gate requiring vs, behind the DPoP
// verifier's Nonces middleware.
func dpopGate(t *testing.T, v *Verifier, r *http.Request, vs ...verifiers.Verifier) gateResult {
	t.Helper()
	if vs == nil {
		vs = []verifiers.Verifier{v.DPoP(), v}
	}
	var lb authgatetest.Log
	g := middleware.New(middleware.WithLogger(lb.Logger().Level(zerolog.DebugLevel)), middleware.WithLogSampling(0, 0))
	h := v.DPoP().Nonces(g.Require(vs...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		jkt, _ := id.Attr(verifiers.AttrJKT)
		_, _ = fmt.Fprintf(w, "hello %s via %s jkt %s", id.Subject, id.Scheme, jkt)
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return gateResult{status: rec.Code, header: rec.Header(), body: rec.Body.String(), raw: lb.String(), logs: lb.Events(t)}
}

func dpopErr(code string, reason verifiers.Reason) string {
	return fmt.Sprintf(`%s, error="%s", error_description="%s"`, dpopChal, code, reason.Description())
}

func TestDPoP_gate(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	other := client{key: must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)), alg: "ES256"}
	good := func() string { return c.proof("GET", dpopURL, tok, nil) }
	private := c.jwk()
	private["d"] = b64u(must(fx.ec2.Bytes()))
	// Every dpop_* reason has a row here (with the canary), but those
	// with tests of their own below: replayed, nonce_required, required.
	seen := map[verifiers.Reason]bool{verifiers.DPoPProofReplayed: true, verifiers.DPoPNonceRequired: true, verifiers.DPoPRequired: true}
	defer func() {
		for _, r := range verifiers.Reasons() {
			if strings.HasPrefix(string(r), "dpop_") && !seen[r] {
				t.Errorf("no case for %s", r)
			}
		}
	}()
	forged := func() string { // the client's jwk, another key's signature
		p := other.proof("GET", dpopURL, tok, map[string]any{"jwk": c.jwk()})
		return p
	}
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		reason verifiers.Reason
		chal   []string // exact WWW-Authenticate lines
		detail []string
		hint   string
	}{
		{name: "F5_success", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, good()) }, status: 200},
		{name: "F5_htu_normalised_query_fragment_ignored", req: func() *http.Request {
			return dpopReq("GET", dpopURL+"?page=2", tok, c.proof("GET", "HTTPS://API.Example.COM:443/a/../%72esource?x=1#frag", tok, nil))
		}, status: 200},
		{name: "F1_F4_no_credentials_both_challenges_with_algs_no_error", req: func() *http.Request { return dpopReq("GET", dpopURL, "", "") },
			status: 401, reason: verifiers.CredentialsMissing, chal: []string{dpopChal, bearerChal}},
		{name: "F5_proof_missing", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, "") },
			status: 401, reason: verifiers.DPoPProofMissing, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofMissing), bearerChal},
			detail: []string{"no DPoP header"}, hint: "drops the DPoP header"},
		{name: "F5_two_proof_headers", req: func() *http.Request {
			r := dpopReq("GET", dpopURL, tok, good())
			r.Header.Add("DPoP", good())
			return r
		}, status: 400, reason: verifiers.RequestMalformed,
			chal:   []string{dpopChal + `, error="invalid_request", error_description="` + verifiers.RequestMalformed.Description() + `"`, bearerChal + `, error="invalid_request", error_description="` + verifiers.RequestMalformed.Description() + `"`},
			detail: []string{"2 DPoP header fields"}},
		{name: "F5_proof_too_large", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, strings.Repeat("a", DefaultMaxProofBytes+1)) },
			status: 431, reason: verifiers.CredentialsTooLarge, detail: []string{"8193 bytes, over the 8192-byte limit"}},
		{name: "F5_not_a_jws", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, "not-a-proof") },
			status: 401, reason: verifiers.DPoPProofMalformed, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofMalformed), bearerChal},
			detail: []string{"the DPoP proof is malformed"}},
		{name: "F5_typ_not_dpop_jwt", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, map[string]any{"typ": "JWT"}))
		},
			status: 401, reason: verifiers.DPoPProofMalformed, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofMalformed), bearerChal},
			detail: []string{`has typ 'JWT'; a proof has typ dpop+jwt`}, hint: "access token itself"},
		{name: "F5_alg_not_in_allow_list", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, client{key: fx.rsa, alg: "RS256"}.proof("GET", dpopURL, tok, nil))
		}, status: 401, reason: verifiers.DPoPProofAlgNotAllowed, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofAlgNotAllowed), bearerChal},
			detail: []string{`alg 'RS256' is not accepted; accepted: ES256, EdDSA`}},
		{name: "F5_alg_hmac", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, client{key: fx.secret, alg: "HS256"}.proof("GET", dpopURL, tok, nil))
		}, status: 401, reason: verifiers.DPoPProofAlgNotAllowed, detail: []string{`alg 'HS256' is not accepted`, "asymmetric"}},
		{name: "F5_jwk_private", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, map[string]any{"jwk": private}))
		},
			status: 401, reason: verifiers.DPoPProofKeyInvalid, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofKeyInvalid), bearerChal},
			detail: []string{`private member 'd'`}, hint: "must be replaced"},
		{name: "F5_jwk_missing", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, map[string]any{"jwk": nil}))
		},
			status: 401, reason: verifiers.DPoPProofKeyInvalid, detail: []string{"no jwk header"}},
		{name: "F5_jti_missing", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "jti", nil))
		},
			status: 401, reason: verifiers.DPoPProofMalformed, detail: []string{"no jti claim"}},
		{name: "F5_iat_not_a_number", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "iat", "now"))
		},
			status: 401, reason: verifiers.DPoPProofMalformed, detail: []string{"iat claim is a JSON string"}},
		{name: "F5_htm_other_method", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, c.proof("POST", dpopURL, tok, nil)) },
			status: 401, reason: verifiers.DPoPProofMismatch, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofMismatch), bearerChal},
			detail: []string{`htm is 'POST'; the request's method is 'GET'`}},
		{name: "F5_htu_other_url", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", "https://api.example.com/other", tok, nil))
		}, status: 401, reason: verifiers.DPoPProofMismatch,
			detail: []string{`htu is 'https://api.example.com/other'`, `the server sees 'https://api.example.com/resource'`}, hint: "ExternalOrigin"},
		{name: "F5_htu_http_vs_https", req: func() *http.Request {
			return dpopReq("GET", "http://api.example.com/resource", tok, c.proof("GET", dpopURL, tok, nil))
		}, status: 401, reason: verifiers.DPoPProofMismatch, detail: []string{`the server sees 'http://api.example.com/resource'`}},
		{name: "F5_iat_stale", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "iat", t0.Add(-2*time.Minute).Unix()))
		}, status: 401, reason: verifiers.DPoPProofStale, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofStale), bearerChal},
			detail: []string{"iat is 2026-11-28T09:58:00Z, 2m0s ago; proofs are accepted for 1m0s (leeway 5s; server time 2026-11-28T10:00:00Z)"}},
		{name: "F5_iat_future", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "iat", t0.Add(time.Minute).Unix()))
		}, status: 401, reason: verifiers.DPoPProofStale, detail: []string{"iat is 2026-11-28T10:01:00Z, 1m0s in the future (leeway 5s"}, hint: "clock"},
		{name: "F5_iat_within_leeway", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "iat", t0.Add(4*time.Second).Unix()))
		}, status: 200},
		{name: "F5_ath_missing", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "ath", nil))
		},
			status: 401, reason: verifiers.DPoPATHMismatch, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPATHMismatch), bearerChal},
			detail: []string{"no ath claim"}},
		{name: "F5_ath_of_another_token", req: func() *http.Request {
			return dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "ath", tokenHash("other")))
		}, status: 401, reason: verifiers.DPoPATHMismatch, detail: []string{"not the SHA-256 hash of the access token"}},
		{name: "F5_signature_by_another_key", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, forged()) },
			status: 401, reason: verifiers.DPoPProofSignatureInvalid, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPProofSignatureInvalid), bearerChal},
			detail: []string{"ES256 signature does not verify"}},
		{name: "F5_cnf_jkt_other_key", req: func() *http.Request { return dpopReq("GET", dpopURL, tok, other.proof("GET", dpopURL, tok, nil)) },
			status: 401, reason: verifiers.DPoPKeyMismatch, chal: []string{dpopErr("invalid_dpop_proof", verifiers.DPoPKeyMismatch), bearerChal},
			detail: []string{"bound to the key " + quote(c.thumb()) + "; the proof is signed by the key " + quote(other.thumb())}, hint: "stolen"},
		{name: "F5_unbound_token_as_dpop", req: func() *http.Request {
			t := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
			return dpopReq("GET", dpopURL, t, c.proof("GET", dpopURL, t, nil))
		}, status: 401, reason: verifiers.DPoPKeyMismatch, detail: []string{"has no cnf.jkt"}},
		{name: "F5_token_expired_via_dpop", req: func() *http.Request {
			t := boundToken(c.thumb(), "exp", t0.Add(-time.Hour).Unix())
			return dpopReq("GET", dpopURL, t, c.proof("GET", dpopURL, t, nil))
		}, status: 401, reason: verifiers.TokenExpired,
			chal: []string{dpopChal + `, error="invalid_token", error_description="The access token expired."`, bearerChal}},
		{name: "F3_bound_token_as_bearer", req: func() *http.Request { return bearerReq(tok) },
			status: 401, reason: verifiers.DPoPBoundTokenAsBearer,
			chal:   []string{dpopChal, bearerChal + `, error="invalid_token", error_description="` + verifiers.DPoPBoundTokenAsBearer.Description() + `"`},
			detail: []string{"bound to a DPoP key", "sent as Bearer"}, hint: "'Authorization: DPoP <token>'"},
		{name: "unbound_bearer_still_accepted", req: func() *http.Request {
			return bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))
		}, status: 200},
	} {
		seen[tc.reason] = true
		t.Run(tc.name, func(t *testing.T) {
			v := dpopVerifier(t, DPoPOptions{})
			r := tc.req()
			res := dpopGate(t, v, r)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d; log %s; body %s", res.status, tc.status, res.raw, res.body)
			}
			canary(t, res, tok, r.Header.Get("DPoP"), strings.TrimPrefix(r.Header.Get("Authorization"), "DPoP "))
			if tc.status == 200 {
				if want := "hello user-42 via DPoP jkt " + c.thumb(); res.body != want && !strings.HasPrefix(tc.name, "unbound") {
					t.Fatalf("body %q, want %q", res.body, want)
				}
				return
			}
			if tc.chal != nil {
				if got := res.header.Values("WWW-Authenticate"); strings.Join(got, "\n") != strings.Join(tc.chal, "\n") {
					t.Errorf("WWW-Authenticate\n got %q\nwant %q", got, tc.chal)
				}
			}
			ev := res.refusal(t)
			if ev["reason"] != string(tc.reason) {
				t.Fatalf("logged reason %v, want %s (detail %v)", ev["reason"], tc.reason, ev["detail"])
			}
			wantEvent(t, ev, tc.detail, tc.hint, nil)
			// The token is checked first: a proof's rejection names whose
			// token came with it.
			if strings.HasPrefix(string(tc.reason), "dpop_") && tc.reason != verifiers.DPoPProofMissing && ev["sub"] != "user-42" {
				t.Errorf("logged sub %v, want the token's", ev["sub"])
			}
		})
	}
}

// A proof is used once; the token cache does not spare the proof: a
// cached token still needs a fresh proof on every request.
func TestDPoP_F5_replay_and_cached_token(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{})
	p := c.proof("GET", dpopURL, tok, nil)
	if res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, p)); res.status != 200 {
		t.Fatalf("first use: %d %s", res.status, res.raw)
	}
	res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, p))
	if res.status != 401 {
		t.Fatalf("replay: %d", res.status)
	}
	ev := res.refusal(t)
	if ev["reason"] != string(verifiers.DPoPProofReplayed) || ev["jkt"] != c.thumb() {
		t.Fatalf("replay logged %v", ev)
	}
	wantEvent(t, ev, []string{"already used", "issued at 2026-11-28T10:00:00Z"}, "one per request", nil)
	if got := res.header.Values("WWW-Authenticate"); got[0] != dpopErr("invalid_dpop_proof", verifiers.DPoPProofReplayed) {
		t.Fatalf("challenge %q", got)
	}
	canary(t, res, tok, p)
	// The token is cached now; without a proof it is still refused, and a
	// fresh proof passes without verifying the token again.
	checks := v.caches.checks.Load()
	if res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, "")); res.status != 401 || res.refusal(t)["reason"] != string(verifiers.DPoPProofMissing) {
		t.Fatalf("cached token without proof: %d %s", res.status, res.raw)
	}
	if res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil))); res.status != 200 {
		t.Fatalf("fresh proof: %d %s", res.status, res.raw)
	}
	if n := v.caches.checks.Load(); n != checks {
		t.Fatalf("the token was verified again (%d checks, had %d): the cache should answer", n, checks)
	}
}

// A replay store that cannot decide is a 503, never a pass.
func TestDPoP_replay_store_down_is_503(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{Replay: failingStore{}})
	res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)))
	if res.status != 503 || res.refusal(t)["reason"] != string(verifiers.VerifierUnavailable) {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	full := NewMemoryReplayStore(1, ReplayStoreClock(func() time.Time { return t0 }))
	v = dpopVerifier(t, DPoPOptions{Replay: full})
	if res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil))); res.status != 200 {
		t.Fatalf("first: %d", res.status)
	}
	res = dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)))
	if res.status != 503 || !strings.Contains(res.raw, "replay store is full") {
		t.Fatalf("full store: %d %s", res.status, res.raw)
	}
}

type failingStore struct{}

func (failingStore) Use(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("connection refused")
}

func TestDPoP_required_mode(t *testing.T) {
	c := dpopFixtures()
	v := dpopVerifier(t, DPoPOptions{Mode: DPoPRequired})
	plain := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	res := dpopGate(t, v, bearerReq(plain))
	if res.status != 401 || res.refusal(t)["reason"] != string(verifiers.DPoPRequired) {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	canary(t, res, plain)
	// Mounted alone, the DPoP verifier offers its challenge only, and a
	// Bearer request is a scheme the route does not accept.
	res = dpopGate(t, v, bearerReq(plain), v.DPoP())
	if got := res.header.Values("WWW-Authenticate"); res.status != 401 || len(got) != 1 || got[0] != dpopChal {
		t.Fatalf("%d %q", res.status, got)
	}
	tok := boundToken(c.thumb())
	if res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)), v.DPoP()); res.status != 200 {
		t.Fatalf("DPoP in required mode: %d %s", res.status, res.raw)
	}
	// RFC 9728 metadata publishes the DPoP settings (RFC 9449 §5.1).
	v = dpopVerifier(t, DPoPOptions{Mode: DPoPRequired}, WithProtectedResource(ProtectedResource{}))
	var doc struct {
		Algs     []string `json:"dpop_signing_alg_values_supported"`
		Required bool     `json:"dpop_bound_access_tokens_required"`
	}
	if err := json.Unmarshal(v.Metadata().JSON(), &doc); err != nil || strings.Join(doc.Algs, " ") != dpopAlgsTest || !doc.Required {
		t.Fatalf("metadata %s: %v", v.Metadata().JSON(), err)
	}
	if s, _ := v.DPoP().Challenge().Format(); s != dpopChal+`, resource_metadata="`+v.Metadata().URL()+`"` {
		t.Fatalf("DPoP challenge %q lacks resource_metadata", s)
	}
}

func TestDPoP_external_origin(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{ExternalOrigin: "https://api.example.com"})
	// The proxy speaks plain HTTP to the server, on another host name.
	r := dpopReq("GET", "http://10.0.0.7:8080/resource", tok, c.proof("GET", dpopURL, tok, nil))
	if res := dpopGate(t, v, r); res.status != 200 {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	r = dpopReq("GET", "http://10.0.0.7:8080/resource", tok, c.proof("GET", "http://10.0.0.7:8080/resource", tok, nil))
	res := dpopGate(t, v, r)
	if res.status != 401 {
		t.Fatalf("%d", res.status)
	}
	wantEvent(t, res.refusal(t), []string{`the server sees 'https://api.example.com/resource'`}, "another URL", nil)

	// A proxy that strips a path prefix: ExternalURL puts it back.
	v = dpopVerifier(t, DPoPOptions{ExternalURL: func(r *http.Request) *url.URL {
		return &url.URL{Scheme: "https", Host: "gw.example.com", Path: "/api v1" + r.URL.Path}
	}})
	r = dpopReq("GET", "http://10.0.0.7:8080/resource", tok, c.proof("GET", "https://gw.example.com/api%20v1/resource", tok, nil))
	if res := dpopGate(t, v, r); res.status != 200 {
		t.Fatalf("ExternalURL: %d %s", res.status, res.raw)
	}
}

func TestDPoP_F2_use_dpop_nonce_and_DPoP_Nonce_header(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	now := t0
	clock := func() time.Time { return now }
	nonces := must(NewDPoPNonces(make32(), time.Minute, clock))
	v := dpopVerifier(t, DPoPOptions{Nonces: nonces})
	// F2: no nonce → 401 use_dpop_nonce with a DPoP-Nonce header.
	res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)))
	if res.status != 401 || res.refusal(t)["reason"] != string(verifiers.DPoPNonceRequired) {
		t.Fatalf("%d %s", res.status, res.raw)
	}
	canary(t, res, tok)
	if got := res.header.Values("WWW-Authenticate"); got[0] != dpopChal+`, error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."` {
		t.Fatalf("challenge %q", got)
	}
	if lvl := res.refusal(t)["level"]; lvl != "info" {
		t.Errorf("level %v: a client's first request is no warning", lvl)
	}
	n := res.header.Get("DPoP-Nonce")
	if n == "" || n != nonces.Nonce() {
		t.Fatalf("DPoP-Nonce %q", n)
	}
	// Supplied → 200, and the success response carries the nonce too.
	res = dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "nonce", n)))
	if res.status != 200 || res.header.Get("DPoP-Nonce") != n {
		t.Fatalf("with nonce: %d %q %s", res.status, res.header.Get("DPoP-Nonce"), res.raw)
	}
	// After one rotation the previous nonce is still accepted (grace)...
	now = now.Add(time.Minute)
	if nonces.Nonce() == n {
		t.Fatal("the nonce did not rotate")
	}
	if !nonces.Check(n) {
		t.Fatal("the previous nonce is refused within its grace period")
	}
	// ...after two it is not, and the answer says so.
	now = now.Add(time.Minute)
	res = dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil, "nonce", n)))
	if res.status != 401 {
		t.Fatalf("stale nonce: %d", res.status)
	}
	wantEvent(t, res.refusal(t), []string{"not one this server issued, or it is no longer accepted"}, "rotated", nil)
	// A nonce from another secret never passes; nor does garbage.
	foreign := must(NewDPoPNonces(nil, time.Minute, clock))
	if nonces.Check(foreign.Nonce()) || nonces.Check("") || nonces.Check(strings.Repeat("A", 32)) {
		t.Fatal("a foreign nonce passed")
	}
}

func make32() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// The example proof of RFC 9449 §7.1 (Figure 13) with its access token:
// it passes every check at its own time.
func TestDPoP_RFC9449_7_1_example(t *testing.T) {
	const (
		tok   = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
		proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19" +
			".eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9" +
			".2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA"
	)
	if got := tokenHash(tok); got != "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo" {
		t.Fatalf("ath = %s", got)
	}
	v := dpopVerifier(t, DPoPOptions{})
	r := httptest.NewRequest("GET", "https://resource.example.org/protectedresource", nil)
	at := time.Unix(1562262618, 0)
	p, err := v.dpop.checkProof(r, proof, tok, at)
	if err != nil {
		t.Fatalf("checkProof: %v", err)
	}
	if p.thumb != "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" || p.jti != "e1j3V_bKic8-LAEB" {
		t.Fatalf("proof %+v", p)
	}
	// Now, years later, it is stale; with another token its ath fails.
	wantReject(t, errOf(v.dpop.checkProof(r, proof, tok, t0)), verifiers.DPoPProofStale)
	wantReject(t, errOf(v.dpop.checkProof(r, proof, tok+"x", at)), verifiers.DPoPATHMismatch)
	r.Method = "POST"
	wantReject(t, errOf(v.dpop.checkProof(r, proof, tok, at)), verifiers.DPoPProofMismatch)
}

func errOf[T any](_ T, err error) error { return err }

func TestDPoP_options_refused(t *testing.T) {
	for name, o := range map[string]DPoPOptions{
		"hmac":             {Algs: []string{"HS256"}},
		"unknown":          {Algs: []string{"ES999"}},
		"twice":            {Algs: []string{"ES256", "ES256"}},
		"window_too_large": {IATWindow: time.Hour},
		"negative_leeway":  {Leeway: -time.Second},
		"origin_with_path": {ExternalOrigin: "https://api.example.com/v1"},
		"origin_and_func":  {ExternalOrigin: "https://a.example", ExternalURL: func(*http.Request) *url.URL { return nil }},
		"mode":             {Mode: 7},
	} {
		_, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}}, WithDPoP(o), quiet())
		if err == nil || !strings.HasPrefix(err.Error(), "bearer: WithDPoP: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
	v := staticVerifier(t, allKeys())
	defer func() {
		if recover() == nil {
			t.Error("DPoP() without WithDPoP did not panic")
		}
	}()
	v.DPoP()
}

func TestNormalizeHTU(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com/resource":            "https://api.example.com/resource",
		"HTTPS://API.EXAMPLE.COM:443/resource":        "https://api.example.com/resource",
		"http://api.example.com:80":                   "http://api.example.com/",
		"http://api.example.com:8080/a/./b/../c":      "http://api.example.com:8080/a/c",
		"https://api.example.com/%7euser/%2f%41":      "https://api.example.com/~user/%2FA",
		"https://api.example.com/a/..":                "https://api.example.com/",
		"https://api.example.com/r?q=1#f":             "https://api.example.com/r",
		"https://[::1]:443/x":                         "https://[::1]/x",
		"https://api.example.com:/x":                  "https://api.example.com/x",
		"https://api.example.com/path%20with%20space": "https://api.example.com/path%20with%20space",
	} {
		if got, ok := normalizeHTU(in); !ok || got != want {
			t.Errorf("normalizeHTU(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"/relative", "ftp://x/y", "https://user:pw@host/", "mailto:a@b", "", "https://"} {
		if got, ok := normalizeHTU(bad); ok {
			t.Errorf("normalizeHTU(%q) = %q, accepted", bad, got)
		}
	}
}

func FuzzDPoPProof(f *testing.F) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	f.Add(c.proof("GET", dpopURL, tok, nil), "GET", "/resource")
	f.Add(c.proof("POST", "https://api.example.com/a/../resource?x#y", tok, map[string]any{"typ": "application/DPOP+JWT"}), "POST", "/resource")
	f.Add("eyJhbGciOiJub25lIn0.e30.", "GET", "/")
	v := dpopVerifier(f, DPoPOptions{})
	f.Fuzz(func(t *testing.T, raw, method, path string) {
		r := httptest.NewRequest("GET", dpopURL, nil)
		r.Method = method
		r.URL.Path = path
		p, err := v.dpop.checkProof(r, raw, tok, t0)
		if err != nil {
			var rej *verifiers.Rejection
			if !errors.As(err, &rej) || p != nil {
				t.Fatalf("not a Rejection: %v", err)
			}
			if rej.Reason.Status() != 401 {
				t.Fatalf("status %d", rej.Reason.Status())
			}
			if len(raw) > 40 && strings.Contains(rej.Detail+rej.Hint, raw) {
				t.Fatal("the proof is in the detail")
			}
			return
		}
		if p.thumb == "" || p.jti == "" {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// One proof sent by many clients at once: exactly one passes.
func TestDPoP_F5_concurrent_replay_exactly_one(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{})
	p := c.proof("GET", dpopURL, tok, nil)
	var ok, replays atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			_, err := v.DPoP().Verify(dpopReq("GET", dpopURL, tok, p))
			var rej *verifiers.Rejection
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &rej) && rej.Reason == verifiers.DPoPProofReplayed:
				replays.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || replays.Load() != 31 {
		t.Fatalf("%d passed, %d replays", ok.Load(), replays.Load())
	}
}

// A DPoP identity missing a scope gets 403 with the DPoP challenge's
// insufficient_scope (RFC 6750 §3.1 via RFC 9449 §7.1).
func TestDPoP_insufficient_scope_in_DPoP_challenge(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{})
	g := middleware.New(middleware.WithLogger(zerolog.Nop()))
	h := g.Require(v.DPoP(), v)(g.RequireScopes("admin")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)))
	if got := rec.Header().Values("WWW-Authenticate"); rec.Code != 403 || len(got) != 1 || got[0] != `DPoP realm="api", error="insufficient_scope", scope="admin"` {
		t.Fatalf("%d %q", rec.Code, got)
	}
}

// Proofs of every key type pass with the default algorithms.
func TestDPoP_F5_every_key_type(t *testing.T) {
	v := staticVerifier(t, allKeys(), WithDPoP(DPoPOptions{}))
	for _, c := range []client{{fx.ec384, "ES384"}, {fx.ed, "EdDSA"}, {fx.rsa2, "PS256"}, {fx.rsa, "RS256"}, {fx.ec2, "ES256"}} {
		tok := boundToken(c.thumb())
		res := dpopGate(t, v, dpopReq("GET", dpopURL, tok, c.proof("GET", dpopURL, tok, nil)))
		if res.status != 200 {
			t.Errorf("%s: %d %s", c.alg, res.status, res.raw)
		}
	}
	if s, err := v.DPoP().Challenge().Format(); err != nil || s != `DPoP realm="api", algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"` {
		t.Errorf("default challenge %q, %v", s, err)
	}
}

// The gate treats the DPoP header as a credential header: redacted from
// any verifier text (defence in depth), and named in an Optional route's
// Vary and in the CORS preflight hint.
func TestDPoP_gate_treats_DPoP_header_as_credential(t *testing.T) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	v := dpopVerifier(t, DPoPOptions{})
	p := c.proof("GET", dpopURL, tok, nil)
	leaky := leakyVerifier{DPoPVerifier: v.DPoP()}
	var lb authgatetest.Log
	g := middleware.New(middleware.WithLogger(lb.Logger()), middleware.WithLogSampling(0, 0))
	rec := httptest.NewRecorder()
	g.Require(leaky)(http.NotFoundHandler()).ServeHTTP(rec, dpopReq("GET", dpopURL, tok, p))
	if rec.Code != 401 || strings.Contains(lb.String(), p) || !strings.Contains(lb.String(), "proof was") {
		t.Fatalf("%d %s", rec.Code, lb.String())
	}
	rec = httptest.NewRecorder()
	g.Optional(v.DPoP(), v)(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", dpopURL, nil))
	if got := rec.Header().Get("Vary"); got != "Authorization, DPoP" {
		t.Fatalf("Vary %q", got)
	}
}

// leakyVerifier is a buggy verifier that puts the proof in its detail.
type leakyVerifier struct{ *DPoPVerifier }

func (l leakyVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	return nil, verifiers.Reject(verifiers.DPoPProofMalformed, "the proof was "+r.Header.Get("DPoP"))
}
