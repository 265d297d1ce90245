package bearer

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

func TestCheckAlg_E1(t *testing.T) {
	t.Parallel()
	explicit := staticVerifier(t, allKeys(), WithAlgorithms("ES256", "EdDSA"))
	hs, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	plain := staticVerifier(t, allKeys())
	for _, tc := range []struct {
		name string
		v    *Verifier
		tok  string
		want string
	}{
		{"outside_explicit_list", explicit, sign("RS256", fx.rsa, map[string]any{"kid": "rsa1"}, claims()), "RS256 is not in the allow-list; allowed: ES256, EdDSA"},
		{"unknown_alg", plain, sign("ES256K", fx.ec, map[string]any{"alg": "ES256K", "kid": "ec1"}, claims()), `alg 'ES256K' is not a JWS algorithm authgate verifies`},
		{"asymmetric_at_secret_verifier", hs, sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()), "needs a public key, and this verifier has shared secrets only; allowed: HS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.Verify(bearerReq(tc.tok))
			rej := wantReject(t, err, verifiers.TokenAlgNotAllowed)
			if !strings.Contains(rej.Detail, tc.want) {
				t.Fatalf("detail = %q\nwant %q", rej.Detail, tc.want)
			}
		})
	}
	// The explicit list still accepts its algorithms.
	if _, err := explicit.Verify(bearerReq(sign("EdDSA", fx.ed, map[string]any{"kid": "ed1"}, claims()))); err != nil {
		t.Fatal(err)
	}
	// E2: a secret verifier accepts its own HMAC tokens, not another secret's.
	if _, err := hs.Verify(bearerReq(sign("HS256", fx.secret, nil, claims()))); err != nil {
		t.Fatal(err)
	}
	_, err = hs.Verify(bearerReq(sign("HS256", []byte(strings.Repeat("x", 32)), nil, claims())))
	rej := wantReject(t, err, verifiers.TokenSignatureInvalid)
	if !strings.Contains(rej.Detail, "does not verify with the HS256 key (it has no kid)") {
		t.Fatalf("detail = %q", rej.Detail)
	}
}

func TestIssuerHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want, hint string }{
		{"https://issuer.example.com", "https://issuer.example.com/", "trailing slash"},
		{"https://Issuer.Example.com/", "https://issuer.example.com/", "letter case"},
		{"http://localhost:8080", "http://127.0.0.1:8080", "localhost vs 127.0.0.1"},
		{"http://issuer.example.com/", "https://issuer.example.com/", "http vs https"},
		{"https://a.example.com/", "https://b.example.com/", ""},
	} {
		h := issuerHint(tc.got, tc.want)
		if tc.hint == "" && h != "" || !strings.Contains(h, tc.hint) {
			t.Errorf("issuerHint(%q, %q) = %q, want %q", tc.got, tc.want, h, tc.hint)
		}
		if tc.hint != "" && (!strings.Contains(h, tc.got) || !strings.Contains(h, tc.want)) {
			t.Errorf("hint %q does not show both values", h)
		}
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	only := staticVerifier(t, allKeys(), WithScopeClaims("permissions"))
	for _, tc := range []struct {
		name   string
		v      *Verifier
		kv     []any
		want   []string
		reject string
	}{
		{"scope_string", v, []any{"scope", "a  b c"}, []string{"a", "b", "c"}, ""},
		{"scp_array", v, []any{"scope", nil, "scp", []string{"x", "y"}}, []string{"x", "y"}, ""},
		{"scp_string", v, []any{"scope", nil, "scp", "x y"}, []string{"x", "y"}, ""},
		{"scope_wins_over_scp", v, []any{"scp", []string{"x"}}, []string{"read", "write"}, ""},
		{"none", v, []any{"scope", nil}, nil, ""},
		{"configured_claim", only, []any{"permissions", []string{"p"}}, []string{"p"}, ""},
		{"bad_type", v, []any{"scope", 42}, nil, `claim_invalid: the 'scope' claim is a JSON number`},
		{"bad_member", v, []any{"scope", nil, "scp", []any{"x", 1}}, nil, `claim_invalid: the 'scp' claim is an array whose element 1 is a JSON number, not a string`},
		{"aud_bad_type", v, []any{"aud", 7}, nil, "aud claim is a JSON number"},
		{"aud_bad_member", v, []any{"aud", []any{testAud, false}}, nil, "aud claim is an array with a member that is not a string"},
		{"sub_bad_type", v, []any{"iss", true}, nil, "iss claim is a JSON boolean"},
		{"nbf_bad_type", v, []any{"nbf", "soon"}, nil, "nbf claim is a JSON string"},
		{"iat_bad_type", v, []any{"iat", []any{}}, nil, "iat claim is a JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims(tc.kv...))))
			if tc.reject != "" {
				reason, want := verifiers.TokenMalformed, tc.reject
				if r, ok := strings.CutPrefix(want, "claim_invalid: "); ok {
					reason, want = verifiers.TokenClaimInvalid, r
				}
				rej := wantReject(t, err, reason)
				if !strings.Contains(rej.Detail, want) {
					t.Fatalf("detail = %q", rej.Detail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(id.Scopes, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("scopes = %q, want %q", id.Scopes, tc.want)
			}
		})
	}
}

func TestMalformedDetails(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	hdr := func(s string) string { return b64u([]byte(s)) + "." + b64u([]byte("{}")) + ".AAAA" }
	for _, tc := range []struct{ tok, want string }{
		{hdr(`{"alg":"ES256",}`), "header is not valid JSON: syntax error at byte"},
		{hdr(`{"alg":5}`), "header member alg is not a string"},
		{hdr(`{"alg":null}`), "header member alg is not a string"},
		{hdr(`{"kid":"a"}`), "no alg"},
		{hdr(`{"ALG":"ES256"}`), "no alg"},
		{hdr(`{"alg":"ES256","crit":[]}`), "crit is not a non-empty array"},
		{hdr(`{"alg":"ES256","crit":["kid"]}`), `crit lists 'kid', a registered header name`},
		{hdr(`{"alg":"ES256","enc":"A256GCM"}`), "enc member"},
		{hdr("\xff"), "not UTF-8"},
		{hdr(`[1]`), "not a JSON object"},
		{"eyJhbGciOiJFUzI1NiJ9.e30.A", "a length no base64url encoding has"},
		{"eyJhbGciOiJFUzI1NiJ9.e30.", "signature segment is empty"},
		{"a\x01b.c.d", "0x01"},
		{"a\nb.c.d", "line break"},
	} {
		_, err := v.Verify(bearerReq(tc.tok))
		rej := wantReject(t, err, verifiers.TokenMalformed)
		if !strings.Contains(rej.Detail, tc.want) {
			t.Errorf("%q: detail = %q, want %q", tc.tok, rej.Detail, tc.want)
		}
	}
	// Payload problems.
	for _, tc := range []struct {
		payload []byte
		want    string
	}{
		{[]byte("\xff\xfe"), "payload is not UTF-8"},
		{[]byte(`{"a":}`), "payload is not valid JSON: syntax error"},
		{[]byte(`"str"`), "not a JSON object"},
	} {
		_, err := v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, tc.payload)))
		rej := wantReject(t, err, verifiers.TokenMalformed)
		if !strings.Contains(rej.Detail, tc.want) {
			t.Errorf("%q: detail = %q, want %q", tc.payload, rej.Detail, tc.want)
		}
	}
}

func TestTransportOptions(t *testing.T) {
	t.Parallel()
	fp := verifiers.NewFingerprinter()
	v1 := staticVerifier(t, allKeys(), WithMaxTokenBytes(100), WithFingerprinter(fp))
	v2 := staticVerifier(t, allKeys(), WithFingerprinter(fp))
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	_, err := v1.Verify(bearerReq(tok))
	rej := wantReject(t, err, verifiers.CredentialsTooLarge)
	if !strings.Contains(rej.Detail, "over the 100-byte limit") {
		t.Fatal(rej.Detail)
	}
	// A shared Fingerprinter correlates a token across verifiers.
	_, e1 := v1.Verify(bearerReq("not-a-jwt"))
	_, e2 := v2.Verify(bearerReq("not-a-jwt"))
	var r1, r2 *verifiers.Rejection
	errors.As(e1, &r1)
	errors.As(e2, &r2)
	f1, _ := (&verifiers.Identity{Attrs: r1.Attrs}).Attr(verifiers.AttrFingerprint)
	f2, _ := (&verifiers.Identity{Attrs: r2.Attrs}).Attr(verifiers.AttrFingerprint)
	if f1 == "" || f1 != f2 || f1 != fp.Fingerprint("not-a-jwt") {
		t.Fatalf("fingerprints %q %q", f1, f2)
	}
	for _, o := range []Option{WithMaxTokenBytes(0), WithFingerprinter(nil), WithClock(nil), WithTypes(), WithTypes(""), WithScopeClaims(),
		WithHTTPClient(nil), WithFetchTimeout(0), WithMaxResponseBytes(0), WithUnknownKeyRefresh(0), WithAlgorithms()} {
		if _, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}}, o, quiet()); err == nil {
			t.Errorf("a bad option was accepted")
		}
	}
}

func TestRemote_client_options(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	var calls atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	v, clk, _ := remoteVerifier(t, ks, Discovery(), WithHTTPClient(client), WithUnknownKeyRefresh(time.Minute), WithPlainHTTP())
	if calls.Load() != 2 { // metadata + JWKS
		t.Fatalf("client used %d times, want 2", calls.Load())
	}
	clk.Advance(59 * time.Second)
	_, _ = v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "other")))
	if ks.jwksHits.Load() != 1 {
		t.Fatal("refreshed before the 1-minute interval")
	}
	clk.Advance(time.Second)
	_, _ = v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "other")))
	if ks.jwksHits.Load() != 2 {
		t.Fatal("no refresh after the 1-minute interval")
	}
	// WithPlainHTTP lets non-loopback http through the constructor.
	if _, err := New(context.Background(), testAud, []Issuer{{URL: "http://idp.internal/", Keys: JWKSURL("http://idp.internal/jwks")}},
		WithPlainHTTP(), WithFetchTimeout(50*time.Millisecond), quiet()); err != nil {
		t.Fatalf("WithPlainHTTP: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDiscovery_bad_documents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not_json", `<html>`, "is not a JSON object"},
		{"no_jwks_uri", `{"issuer":"ISS"}`, "lacks issuer or jwks_uri"},
		{"plain_http_jwks_uri", `{"issuer":"ISS","jwks_uri":"http://keys.example.com/jwks"}`, "plain http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(strings.ReplaceAll(tc.body, "ISS", srv.URL)))
			}))
			defer srv.Close()
			logs := &authgatetest.Log{}
			v, err := New(context.Background(), testAud, []Issuer{{URL: srv.URL, Keys: Discovery()}}, logTo(logs))
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if !strings.Contains(logs.String(), tc.want) {
				t.Fatalf("log %s\nwant %q", logs.String(), tc.want)
			}
		})
	}
	// Neither location has metadata.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	logs := &authgatetest.Log{}
	v, err := New(context.Background(), testAud, []Issuer{{URL: srv.URL + "/realms/x", Keys: Discovery()}}, logTo(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, want := range []string{"no metadata found", "/realms/x/.well-known/openid-configuration: status 404", "/.well-known/oauth-authorization-server/realms/x: status 404"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %s\nwant %q", logs.String(), want)
		}
	}
}

func TestDefaultClient_refuses_downgrade(t *testing.T) {
	t.Parallel()
	c := defaultClient(false)
	mk := func(u string) *http.Request { return httptest.NewRequest(http.MethodGet, u, nil) }
	if err := c.CheckRedirect(mk("http://keys.example.com/jwks"), []*http.Request{mk("https://keys.example.com/jwks")}); err == nil {
		t.Error("https → http redirect allowed")
	}
	if err := c.CheckRedirect(mk("http://127.0.0.1/jwks"), []*http.Request{mk("http://127.0.0.1/a")}); err != nil {
		t.Errorf("loopback redirect refused: %v", err)
	}
	if err := c.CheckRedirect(mk("https://b.example.com/"), make([]*http.Request, 5)); err == nil {
		t.Error("sixth redirect allowed")
	}
	if !isLoopback("::1") || !isLoopback("LOCALHOST") || isLoopback("10.0.0.1") {
		t.Error("isLoopback")
	}
	if redact("https://user:pw@host/jwks") != "https://user:xxxxx@host/jwks" {
		t.Errorf("redact = %q", redact("https://user:pw@host/jwks"))
	}
}

func TestOpaque_cached_identity_keeps_each_source(t *testing.T) {
	t.Parallel()
	v, err := NewOpaque(func(context.Context, string) (*verifiers.Identity, error) {
		return &verifiers.Identity{Subject: "s", Claims: map[string]any{"exp": int64(t0.Add(time.Hour).Unix())}}, nil
	}, WithCache(10, time.Minute), WithQueryTokens(), clockAt(t0))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := v.Verify(bearerReq("tok"))
	b, _ := v.Verify(httptest.NewRequest(http.MethodGet, "/?access_token=tok", nil))
	if a.Source.In != verifiers.InAuthorization || b.Source.In != verifiers.InQuery {
		t.Fatalf("sources %v %v", a.Source, b.Source)
	}
	for _, c := range []any{float64(1), int64(1), 1, t0} {
		if _, ok := claimTime(map[string]any{"exp": c}, "exp"); !ok {
			t.Errorf("claimTime(%T) not read", c)
		}
	}
	if _, ok := claimTime(map[string]any{"exp": "x"}, "exp"); ok {
		t.Error("claimTime read a string")
	}
}

// TestDetails_name_the_issuer_once: a detail that describes a static key
// set or a shared secret names the issuer in its sentence, and the set's
// origin does not name it again.
func TestDetails_name_the_issuer_once(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, []map[string]any{jwkOf(fx.ec, "ec1", "ES256")})
	_, err := v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "rotated"}, claims())))
	rej := wantReject(t, err, verifiers.TokenKeyUnknown)
	want := `no key with kid 'rotated' in the key set of issuer '` + testIss + `' (1 key with kids 'ec1': static JWKS); static keys are never fetched again`
	if rej.Detail != want {
		t.Errorf("static set: detail\n %q\nwant\n %q", rej.Detail, want)
	}

	vHS, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vHS.Close() })
	other := bytes.Repeat([]byte("fedcba9876543210"), 2)
	_, err = vHS.Verify(bearerReq(sign("HS256", other, nil, claims())))
	rej = wantReject(t, err, verifiers.TokenSignatureInvalid)
	if n := strings.Count(rej.Detail, testIss); n != 1 || !strings.HasSuffix(rej.Detail, "(1 key: shared secret)") {
		t.Errorf("shared secret: detail %q names the issuer %d times, want once and to end with the set's description", rej.Detail, n)
	}
}

// TestDur_as_Duration_String: appendDur, which words the durations of
// time-claim rejections without an allocation, writes what
// time.Duration's String writes of the rounded duration, at every scale
// from milliseconds to thousands of hours, either side of zero.
func TestDur_as_Duration_String(t *testing.T) {
	ds := []time.Duration{0, 1, time.Millisecond / 2, time.Millisecond, 499 * time.Microsecond, 999*time.Millisecond + 600*time.Microsecond,
		time.Second, 1500 * time.Millisecond, 59 * time.Second, time.Minute, 61 * time.Second, time.Hour, time.Hour + 5*time.Second,
		2*time.Hour + 59*time.Minute + 59*time.Second, 1000 * time.Hour, 1<<63 - 1, -1 << 63}
	for i := range 2000 {
		ds = append(ds, time.Duration(i)*time.Duration(i)*time.Duration(i)*997*time.Microsecond)
	}
	for _, d := range ds {
		for _, x := range []time.Duration{d, -d} {
			if got, want := dur(x), roundDur(x).String(); got != want {
				t.Fatalf("dur(%d) = %q, want %q", x, got, want)
			}
		}
	}
}

// TestRegisteredHoldsIDTokenClaims: the claims verify reads before the
// map hold the ID-token claims from regIDToken on, in their order, which
// checkIDToken relies on.
func TestRegisteredHoldsIDTokenClaims(t *testing.T) {
	got := registered[regIDToken : regIDToken+len(idTokenClaims)]
	for i, c := range idTokenClaims {
		if got[i] != c {
			t.Fatalf("registered[%d] = %q, want the ID-token claim %q", regIDToken+i, got[i], c)
		}
	}
	for i, c := range [...]string{"iss", "sub", "jti", "exp", "nbf", "iat"} {
		if registered[i] != c || i != [...]int{regIss, regSub, regJTI, regExp, regNbf, regIat}[i] {
			t.Fatalf("registered[%d] = %q, want %q", i, registered[i], c)
		}
	}
}

// TestRejectionAttrs_nil_and_clipped: a rejection of a token without kid,
// iss, sub or jti has nil attributes, as before they were shared; a
// verified identity's attributes are clipped, so that a handler's append
// to those of a cached identity copies them.
func TestRejectionAttrs_nil_and_clipped(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	bare := sign("EdDSA", fx.ed, nil, map[string]any{"aud": testAud, "exp": t0.Add(time.Hour).Unix()})
	_, err := v.Verify(bearerReq(bare))
	if rej := wantReject(t, err, verifiers.TokenClaimMissing); rej.Attrs != nil {
		t.Errorf("attributes %#v, want nil", rej.Attrs)
	}
	for _, c := range []map[string]any{claims(), claims("client_id", "app-1")} {
		id, err := v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, c)))
		if err != nil {
			t.Fatal(err)
		}
		if len(id.Attrs) == 0 || cap(id.Attrs) != len(id.Attrs) {
			t.Errorf("identity attributes len %d cap %d, want clipped", len(id.Attrs), cap(id.Attrs))
		}
	}
}
