package bearer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// The JWT attack corpus (issue 8 item 1). Every token is minted here from
// hand-written JSON, so that each byte is the one the attack needs, and
// sent through the gate; each row states the status, the exact
// WWW-Authenticate line, the logged reason and a part of the logged detail
// that shows the reason is the right one, not a coincidence. Every row also
// checks the canary rule: the token, and its base64, appear neither in the
// log nor in the response. attack_remote_test.go has the attacks that need
// a key server, and attack_corpus_test.go a checked-in subset as data.

// seg is the base64url of s, a header or payload written by hand.
func seg(s string) string { return b64u([]byte(s)) }

// mint assembles a compact JWS from header and payload JSON text, exactly
// as written, and a signature given as bytes.
func mint(hdr, payload string, sig []byte) string {
	return seg(hdr) + "." + seg(payload) + "." + b64u(sig)
}

// mintSigned signs header and payload JSON text with k, as alg.
func mintSigned(hdr, payload, alg string, k any) string {
	input := seg(hdr) + "." + seg(payload)
	return input + "." + b64u(rawSign(alg, k, []byte(input)))
}

// atk are the attack tests' times, as NumericDates.
var (
	atkNow = t0.Unix()
	atkExp = atkNow + 3600
	atkIat = atkNow - 60
)

// claimsJSON returns the claims set of a valid token at t0 as JSON text,
// members in a fixed order, with members replaced by raw JSON text
// (name, value) or removed (name, ""); names not in the base set are
// appended.
func claimsJSON(kv ...string) string {
	type member struct{ name, raw string }
	ms := []member{
		{"iss", strconv.Quote(testIss)},
		{"aud", strconv.Quote(testAud)},
		{"sub", `"user-42"`},
		{"exp", strconv.FormatInt(atkExp, 10)},
		{"iat", strconv.FormatInt(atkIat, 10)},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for j := range ms {
			if ms[j].name == kv[i] {
				ms[j].raw, found = kv[i+1], true
			}
		}
		if !found {
			ms = append(ms, member{kv[i], kv[i+1]})
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, m := range ms {
		if m.raw == "" {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(strconv.Quote(m.name) + ":" + m.raw)
	}
	b.WriteByte('}')
	return b.String()
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

// attack is one row of an attack table.
type attack struct {
	name string
	tok  string // sent as "Authorization: Bearer <tok>" unless auth is set
	auth string // the whole Authorization value, when not "Bearer "+tok
	v    *Verifier
	gate []middleware.Option
	// status is the HTTP status (0: 401); reason the logged reason ("" for
	// a 2xx); detail substrings of the logged detail.
	status int
	reason verifiers.Reason
	detail []string
	hint   string
	// attrs are logged attributes that must have exactly these values.
	attrs map[string]string
	// canaries are further secrets that must not appear (besides the
	// token and the Authorization value).
	canaries []string
	check    func(t *testing.T, res gateResult, ev map[string]any)
}

// attackGate sends r through a gate that requires v, with sampling off,
// every event captured, and extra gate options.
func attackGate(t *testing.T, v verifiers.Verifier, r *http.Request, opts ...middleware.Option) gateResult {
	t.Helper()
	var lb authgatetest.Log
	opts = append([]middleware.Option{
		middleware.WithLogger(lb.Logger().Level(zerolog.DebugLevel)),
		middleware.WithLogSampling(0, 0),
	}, opts...)
	g := middleware.New(opts...)
	h := g.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := middleware.IdentityFrom(r.Context())
		if !ok {
			http.Error(w, "no identity", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("hello " + id.Subject))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return gateResult{status: rec.Code, header: rec.Header(), body: rec.Body.String(), raw: lb.String(), logs: lb.Events(t)}
}

// canary fails when any secret, its standard or base64url encoding, or
// (for a JWS) its signature segment appears in the log, the response
// headers or the body.
func canary(t *testing.T, res gateResult, secrets ...string) {
	t.Helper()
	for _, l := range leaks(res, secrets...) {
		t.Errorf("canary: %s", l)
	}
}

// leaks lists where secrets show in res. Secrets shorter than 12 bytes are
// not looked for: they would match ordinary text.
func leaks(res gateResult, secrets ...string) []string {
	hay := res.seen()
	var out []string
	for _, s := range secrets {
		if len(s) < 12 {
			continue
		}
		for i, f := range authgatetest.CredentialForms(s) {
			if strings.Contains(hay, f) {
				out = append(out, fmt.Sprintf("form %d (0 raw, 1 base64, 2 raw base64, 3 base64url, 4 raw base64url) of a %d-byte secret appears in the log or response", i, len(s)))
			}
		}
		if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i > 20 && strings.Contains(hay, s[i+1:]) {
			out = append(out, "the token's signature segment appears in the log or response")
		}
	}
	return out
}

// TestAttack_canary_detects_leaks shows that the canary check can fail.
func TestAttack_canary_detects_leaks(t *testing.T) {
	t.Parallel()
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	sig := tok[strings.LastIndexByte(tok, '.')+1:]
	for name, res := range map[string]gateResult{
		"raw_in_log":        {raw: `{"detail":"` + tok + `"}`},
		"base64_in_body":    {body: base64.StdEncoding.EncodeToString([]byte(tok))},
		"base64url_in_log":  {raw: base64.RawURLEncoding.EncodeToString([]byte(tok))},
		"signature_in_body": {body: "sig " + sig},
		"in_header":         {header: http.Header{"X-Debug": {tok}}},
	} {
		if len(leaks(res, tok)) == 0 {
			t.Errorf("%s: leak not detected", name)
		}
	}
	if l := leaks(gateResult{raw: "nothing to see", header: http.Header{}}, tok); len(l) != 0 {
		t.Errorf("false positive: %v", l)
	}
}

// eventInvariants checks what must hold of every refusal event, whatever
// the token: no control characters or invalid UTF-8 in any value (a
// header member must not forge log lines), and attributes and texts
// bounded.
func eventInvariants(t *testing.T, ev map[string]any) {
	t.Helper()
	for k, v := range ev {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if !utf8.ValidString(s) {
			t.Errorf("logged %s is not valid UTF-8", k)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Errorf("logged %s holds the control character %U", k, r)
				break
			}
		}
		limit := 128 + len("…")
		if k == "detail" || k == "hint" || k == "error" {
			limit = 1024 + len("…")
		}
		if len(s) > limit {
			t.Errorf("logged %s is %d bytes; want at most %d", k, len(s), limit)
		}
	}
}

// notLogged checks that the logged attribute key is not spoofed, the
// value the token's own value becomes when bytes are silently dropped.
func notLogged(key, spoofed string) func(t *testing.T, res gateResult, ev map[string]any) {
	return func(t *testing.T, res gateResult, ev map[string]any) {
		t.Helper()
		if ev[key] == spoofed {
			t.Errorf("logged %s = %q, which is not the token's value (a byte was dropped silently): the log names someone else", key, spoofed)
		}
	}
}

func runAttacks(t *testing.T, def *Verifier, cases []attack) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two rows named %s", c.name)
		}
		seen[c.name] = true
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := c.v
			if v == nil {
				v = def
			}
			auth := c.auth
			if auth == "" {
				auth = "Bearer " + c.tok
			}
			r := httptest.NewRequest(http.MethodGet, "/orders", nil)
			r.Header.Set("Authorization", auth)
			res := attackGate(t, v, r, c.gate...)
			outcome := "accepted"
			for _, ev := range res.logs {
				if ev["message"] == authgatetest.RefusalMessage {
					outcome = fmt.Sprint(ev["reason"])
				}
			}
			t.Logf("outcome: %d %s", res.status, outcome)
			status := c.status
			if status == 0 {
				status = http.StatusUnauthorized
			}
			var www string
			switch status {
			case http.StatusUnauthorized:
				www = invalidToken(c.reason)
			case http.StatusBadRequest:
				www = invalidRequest
			}
			defer func() {
				canary(t, res, append([]string{c.tok, auth}, c.canaries...)...)
			}()
			if res.status != status {
				t.Fatalf("status = %d, want %d (reason %s); log: %s", res.status, status, c.reason, res.raw)
			}
			if got := strings.Join(res.header.Values("Www-Authenticate"), "\n"); got != www {
				t.Errorf("WWW-Authenticate = %q\nwant %q", got, www)
			}
			if status < 300 {
				for _, ev := range res.logs {
					if ev["message"] == authgatetest.RefusalMessage {
						t.Errorf("accepted, yet a refusal was logged: %s", res.raw)
					}
				}
				if !strings.HasPrefix(res.body, "hello ") {
					t.Errorf("body = %q", res.body)
				}
				if c.check != nil {
					c.check(t, res, nil)
				}
				return
			}
			ev := res.refusal(t)
			if ev["reason"] != string(c.reason) {
				t.Fatalf("logged reason = %v (detail %q), want %s", ev["reason"], ev["detail"], c.reason)
			}
			if ev["status"] != float64(status) {
				t.Errorf("logged status = %v", ev["status"])
			}
			var body struct {
				Status int    `json:"status"`
				Reason string `json:"reason"`
			}
			if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Status != status || body.Reason != string(c.reason.Public()) {
				t.Errorf("body = %s (%v)", res.body, err)
			}
			wantEvent(t, ev, c.detail, c.hint, c.attrs)
			eventInvariants(t, ev)
			if c.check != nil {
				c.check(t, res, ev)
			}
		})
	}
}

// counter is an HTTP server that counts every request it gets: it stands
// for the attacker's server that jku, x5u and friends point at.
type counter struct {
	*httptest.Server
	hits atomic.Int32
}

func newCounter(t *testing.T, body []byte) *counter {
	c := &counter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		_, _ = w.Write(body)
	}))
	t.Cleanup(c.Close)
	return c
}

// selfSigned is a DER certificate for k's public key, signed by k.
func selfSigned(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer.example.com"},
		NotBefore:    t0.Add(-time.Hour),
		NotAfter:     t0.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// ecSig returns r||s, each left-padded to size bytes.
func ecSig(r, s *big.Int, size int) []byte {
	return append(pad(r.Bytes(), size), pad(s.Bytes(), size)...)
}

func TestAttack(t *testing.T) {
	t.Parallel()
	ec521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := append(allKeys(), jwkOf(ec521, "ec521", "ES512"))
	v := staticVerifier(t, keys)
	const allowedAll = "allowed: ES256, RS256, PS256, EdDSA, ES384, ES512 (the algorithms of the configured keys)"
	big64 := []Option{WithMaxTokenBytes(64 << 10)}
	vBig := staticVerifier(t, keys, big64...)
	bigGate := []middleware.Option{middleware.WithMaxAuthorizationBytes(64 << 10)}
	vList := staticVerifier(t, keys, WithAlgorithms("RS256", "ES256"))
	vNoLeeway := staticVerifier(t, keys, WithLeeway(0))
	// An RSA key published without alg: bound to RS256 by inference.
	vInferred := staticVerifier(t, []map[string]any{jwkOf(fx.rsa, "rsa1", "")})
	vHS, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vHS.Close() })

	// The attacker's server: jku, x5u and a kid that is a URL point at it.
	attacker := newCounter(t, jwks(jwkOf(fx.ec2, "ec1", "ES256"), jwkOf(fx.ec2, "attacker", "ES256")))
	t.Cleanup(func() {
		if n := attacker.hits.Load(); n != 0 {
			t.Errorf("E10: the attacker's server got %d requests; a token must never make the verifier fetch anything", n)
		}
	})

	h256 := `{"alg":"ES256","kid":"ec1"}`
	es := func(hdr, payload string) string { return mintSigned(hdr, payload, "ES256", fx.ec) }
	good := es(h256, claimsJSON())
	gs := strings.Split(good, ".")
	input := gs[0] + "." + gs[1]
	goodSig := must(base64.RawURLEncoding.DecodeString(gs[2]))

	// Key material an attacker can get: the public keys, in every form.
	rsaDER := must(x509.MarshalPKIXPublicKey(&fx.rsa.PublicKey))
	rsaPKCS1 := x509.MarshalPKCS1PublicKey(&fx.rsa.PublicKey)
	ecDER := must(x509.MarshalPKIXPublicKey(&fx.ec.PublicKey))
	ecPoint := must(fx.ec.PublicKey.Bytes())
	rsaJWK := must(json.Marshal(jwkOf(fx.rsa, "rsa1", "RS256")))
	ecJWK := must(json.Marshal(jwkOf(fx.ec, "ec1", "ES256")))
	hsConfusion := func(alg, kid string, secret []byte) string {
		hdr := `{"alg":"` + alg + `"}`
		if kid != "" {
			hdr = `{"alg":"` + alg + `","kid":"` + kid + `"}`
		}
		return mintSigned(hdr, claimsJSON(), alg, secret)
	}
	hsOnPublic := "needs a shared secret, and this verifier has public keys only; " + allowedAll

	// ECDSA signatures that must never verify (CVE-2022-21449 and kin).
	type ecKey struct {
		alg, kid string
		k        *ecdsa.PrivateKey
		size     int
	}
	ecKeys := []ecKey{{"ES256", "ec1", fx.ec, 32}, {"ES384", "ec384", fx.ec384, 48}, {"ES512", "ec521", ec521, 66}}
	ecInput := func(e ecKey) string {
		return seg(`{"alg":"`+e.alg+`","kid":"`+e.kid+`"}`) + "." + seg(claimsJSON())
	}
	ecTok := func(e ecKey, sig []byte) string { return ecInput(e) + "." + b64u(sig) }
	// A valid R||S for ES256, split.
	validR, validS := new(big.Int).SetBytes(goodSig[:32]), new(big.Int).SetBytes(goodSig[32:])
	n256 := fx.ec.Curve.Params().N
	derSig := func() []byte {
		d := sha256.Sum256([]byte(input))
		return must(ecdsa.SignASN1(rand.Reader, fx.ec, d[:]))
	}()

	// Non-canonical base64url: same bytes, last character with non-zero
	// unused bits. segNonCanon needs a segment whose length is not a
	// multiple of 4.
	segNonCanon := func(s string) string {
		if len(s)%4 == 0 {
			panic("segNonCanon: no unused bits in " + s)
		}
		const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(alpha, s[len(s)-1])
		return s[:len(s)-1] + string(alpha[i+1])
	}
	// A header whose base64url has unused bits: 28 bytes → 38 characters.
	h256b := `{"alg":"ES256","kid":"ec1" }`
	if len(seg(h256b))%4 == 0 {
		t.Fatal("h256b: want a length with unused bits")
	}
	nonCanonHeader := func() string {
		in := segNonCanon(seg(h256b)) + "." + seg(claimsJSON())
		return in + "." + b64u(rawSign("ES256", fx.ec, []byte(in)))
	}()
	// A payload whose length has unused bits; signed as sent.
	plOdd := claimsJSON("x", `"`+strings.Repeat("y", 1+(3-len(claimsJSON("x", `""`))%3)%3)+`"`)
	if len(seg(plOdd))%4 == 0 {
		plOdd += " "
	}
	nonCanonPayload := func() string {
		in := seg(h256) + "." + segNonCanon(seg(plOdd))
		return in + "." + b64u(rawSign("ES256", fx.ec, []byte(in)))
	}()
	nonCanonSig := input + "." + segNonCanon(gs[2])

	// Tokens of an exact size, valid unless the claims say otherwise.
	sized := func(target int, alg string, k any, extra ...string) string {
		for m := 0; m < 4; m++ {
			hdr := `{"alg":"` + alg + `","kid":"ec1","x":"` + strings.Repeat("h", m) + `"}`
			base := len(mintSigned(hdr, claimsJSON(append(extra, "pad", `""`)...), alg, k))
			for n := max(0, (target-base)*3/4-8); n < (target-base)*3/4+8; n++ {
				tok := mintSigned(hdr, claimsJSON(append(extra, "pad", `"`+strings.Repeat("p", n)+`"`)...), alg, k)
				if len(tok) == target {
					return tok
				}
			}
		}
		t.Fatalf("no token of %d bytes", target)
		return ""
	}
	under := sized(DefaultMaxTokenBytes, "ES256", fx.ec)
	underExpired := sized(DefaultMaxTokenBytes, "ES256", fx.ec, "exp", num(atkNow-3600))
	over := sized(DefaultMaxTokenBytes+1, "ES256", fx.ec)
	gateMax := middleware.DefaultMaxAuthorizationBytes - len("Bearer ")
	atGateCap := sized(gateMax, "ES256", fx.ec)
	overGateCap := sized(gateMax+1, "ES256", fx.ec)
	vGate := staticVerifier(t, keys, WithMaxTokenBytes(16<<10))

	// Embedded keys and certificates of the attacker, who signs with fx.ec2.
	attackerJWK := must(json.Marshal(jwkOf(fx.ec2, "ec1", "ES256")))
	attackerCert := base64.StdEncoding.EncodeToString(selfSigned(t, fx.ec2))
	byAttacker := func(hdr string) string { return mintSigned(hdr, claimsJSON(), "ES256", fx.ec2) }
	sigInvalid := `the signature does not verify with key kid 'ec1' (ES256) of issuer 'https://issuer.example.com/'`
	noKid := func(kid string) string {
		return `no key with kid ` + quote(kid) + ` in the key set of issuer 'https://issuer.example.com/'`
	}

	longKid := strings.Repeat("k", 10<<10)
	innerJWS := es(h256, claimsJSON("sub", `"inner"`))

	cases := []attack{
		// E1: alg none, every casing, with and without a signature.
		{name: "alg_none", tok: seg(`{"alg":"none"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`the token's alg is 'none': an unsigned token, which is never accepted (RFC 8725 §3.1); ` + allowedAll}, hint: "no signature"},
		{name: "alg_none_capitalized", tok: seg(`{"alg":"None"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'None': an unsigned token`}},
		{name: "alg_none_uppercase", tok: seg(`{"alg":"NONE"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'NONE': an unsigned token`}},
		{name: "alg_none_mixed_case", tok: seg(`{"alg":"nOnE"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'nOnE': an unsigned token`}},
		{name: "alg_none_with_kid", tok: seg(`{"alg":"none","kid":"ec1"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`alg is 'none'`}, attrs: map[string]string{"kid": "ec1"}},
		{name: "alg_none_without_signature_segment", tok: seg(`{"alg":"none"}`) + "." + gs[1], reason: verifiers.TokenMalformed,
			detail: []string{"the token has 2 segments; a compact JWS has 3"}},
		{name: "alg_NONE_without_signature_segment", tok: seg(`{"alg":"NONE"}`) + "." + gs[1], reason: verifiers.TokenMalformed, detail: []string{"2 segments"}},
		{name: "alg_none_with_es256_signature", tok: mintSigned(`{"alg":"none","kid":"ec1"}`, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'none'`}},
		{name: "alg_None_with_rs256_signature", tok: mintSigned(`{"alg":"None","kid":"rsa1"}`, claimsJSON(), "RS256", fx.rsa), reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'None'`}},
		{name: "alg_NONE_with_hs256_signature", tok: mintSigned(`{"alg":"NONE"}`, claimsJSON(), "HS256", fx.secret), reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'NONE'`}},
		{name: "alg_nOnE_with_eddsa_signature", tok: mintSigned(`{"alg":"nOnE","kid":"ed1"}`, claimsJSON(), "EdDSA", fx.ed), reason: verifiers.TokenAlgNotAllowed, detail: []string{`alg is 'nOnE'`}},
		{name: "alg_none_copied_signature", tok: seg(`{"alg":"none","kid":"ec1"}`) + "." + gs[1] + "." + gs[2], reason: verifiers.TokenAlgNotAllowed},
		{name: "alg_none_trailing_space", tok: mintSigned(`{"alg":"none "}`, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`the token's alg 'none ' is not a JWS algorithm authgate verifies`}},
		{name: "alg_none_at_secret_verifier", v: vHS, tok: seg(`{"alg":"none"}`) + "." + gs[1] + ".", reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`alg is 'none'`, "allowed: HS256"}},
		{name: "alg_lowercase_es256", tok: mintSigned(`{"alg":"es256","kid":"ec1"}`, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`alg 'es256' is not a JWS algorithm`}},
		{name: "alg_empty_string", tok: mintSigned(`{"alg":"","kid":"ec1"}`, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenMalformed, detail: []string{"no alg"}},
		{name: "alg_not_a_string", tok: mintSigned(`{"alg":["ES256"],"kid":"ec1"}`, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenMalformed,
			detail: []string{"the header member alg is not a string"}},

		// E2: algorithm confusion, HMAC keyed with public key bytes.
		{name: "hs256_rsa_pem_pkix", tok: hsConfusion("HS256", "rsa1", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}, hint: "algorithm-confusion"},
		{name: "hs384_rsa_pem_pkix", tok: hsConfusion("HS384", "rsa1", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS384 " + hsOnPublic}},
		{name: "hs512_rsa_pem_pkix", tok: hsConfusion("HS512", "rsa1", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS512 " + hsOnPublic}},
		{name: "hs256_rsa_pem_pkcs1", tok: hsConfusion("HS256", "rsa1", pemOf("RSA PUBLIC KEY", rsaPKCS1)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs256_rsa_pem_no_kid", tok: hsConfusion("HS256", "", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs256_rsa_der", tok: hsConfusion("HS256", "rsa1", rsaDER), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs384_rsa_der", tok: hsConfusion("HS384", "rsa1", rsaDER), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS384 " + hsOnPublic}},
		{name: "hs512_rsa_der", tok: hsConfusion("HS512", "rsa1", rsaDER), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS512 " + hsOnPublic}},
		{name: "hs256_rsa_jwk_json", tok: hsConfusion("HS256", "rsa1", rsaJWK), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs384_rsa_jwk_json", tok: hsConfusion("HS384", "rsa1", rsaJWK), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS384 " + hsOnPublic}},
		{name: "hs512_rsa_jwk_json", tok: hsConfusion("HS512", "rsa1", rsaJWK), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS512 " + hsOnPublic}},
		{name: "hs256_rsa_modulus", tok: hsConfusion("HS256", "rsa1", fx.rsa.N.Bytes()), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs256_ec_pem", tok: hsConfusion("HS256", "ec1", pemOf("PUBLIC KEY", ecDER)), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs384_ec_der", tok: hsConfusion("HS384", "ec1", ecDER), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS384 " + hsOnPublic}},
		{name: "hs512_ec_jwk_json", tok: hsConfusion("HS512", "ec1", ecJWK), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS512 " + hsOnPublic}},
		{name: "hs256_ec_uncompressed_point", tok: hsConfusion("HS256", "ec1", ecPoint), reason: verifiers.TokenAlgNotAllowed, detail: []string{"HS256 " + hsOnPublic}},
		{name: "hs256_rsa_pem_explicit_allow_list", v: vList, tok: hsConfusion("HS256", "rsa1", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{"the token's alg HS256 is not in the allow-list; allowed: RS256, ES256"}},
		{name: "hs256_rsa_pem_key_without_alg", v: vInferred, tok: hsConfusion("HS256", "rsa1", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{"HS256 needs a shared secret, and this verifier has public keys only"}},
		{name: "rs256_at_hmac_verifier", v: vHS, tok: mintSigned(`{"alg":"RS256","kid":"rsa1"}`, claimsJSON(), "RS256", fx.rsa), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{"the token's alg RS256 needs a public key, and this verifier has shared secrets only; allowed: HS256"}},
		{name: "es256_at_hmac_verifier", v: vHS, tok: mintSigned(h256, claimsJSON(), "ES256", fx.ec), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{"ES256 needs a public key"}},
		{name: "hs256_at_hmac_verifier_secret_is_pem", v: vHS, tok: hsConfusion("HS256", "", pemOf("PUBLIC KEY", rsaDER)), reason: verifiers.TokenSignatureInvalid,
			detail: []string{"the signature does not verify with the HS256 key (it has no kid)"}},
		{name: "ps256_with_rs256_key", tok: mintSigned(`{"alg":"PS256","kid":"rsa1"}`, claimsJSON(), "PS256", fx.rsa), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`the token's alg is PS256, but key kid 'rsa1' of issuer 'https://issuer.example.com/' is bound to RS256 (its alg member)`}},
		{name: "es384_with_es256_key", tok: mintSigned(`{"alg":"ES384","kid":"ec1"}`, claimsJSON(), "ES384", fx.ec), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`alg is ES384, but key kid 'ec1'`, "bound to ES256"}},

		// E10: kid is a map key, nothing more.
		{name: "kid_path_traversal", tok: es(`{"alg":"ES256","kid":"../../../../dev/null"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{noKid("../../../../dev/null"), "static keys are never fetched again"}, attrs: map[string]string{"kid": "../../../../dev/null"}},
		{name: "kid_absolute_path", tok: es(`{"alg":"ES256","kid":"/etc/passwd"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{noKid("/etc/passwd")}, attrs: map[string]string{"kid": "/etc/passwd"}},
		{name: "kid_sql_injection", tok: es(`{"alg":"ES256","kid":"' OR 1=1 --"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{noKid("' OR 1=1 --")}, attrs: map[string]string{"kid": "' OR 1=1 --"}},
		{name: "kid_nul_byte", tok: es(`{"alg":"ES256","kid":"kid\u0000x"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{`no key with kid 'kid\x00x'`},
			check: func(t *testing.T, res gateResult, _ map[string]any) {
				if strings.Contains(res.raw, `\u0000`) || strings.ContainsRune(res.raw, 0) {
					t.Errorf("the log holds a NUL: %s", res.raw)
				}
			}},
		// A value cleaned for the log must not turn into another plausible
		// value: "ad\u0000min" logged as "admin" puts a false name in the
		// audit trail (CWE-117). Escaping or replacing the byte visibly is
		// fine; dropping it silently is not.
		{name: "log_spoof_kid_nul", tok: es(`{"alg":"ES256","kid":"ec\u00001"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			check: notLogged("kid", "ec1")},
		{name: "log_spoof_sub_nul_on_refusal", tok: es(h256, claimsJSON("sub", `"ad\u0000min"`, "aud", `"https://other.example.com"`)), reason: verifiers.TokenAudienceMismatch,
			check: notLogged("sub", "admin")},
		{name: "log_spoof_sub_replacement_char_on_refusal", tok: es(h256, claimsJSON("sub", `"\ufffdadmin"`, "aud", `"https://other.example.com"`)), reason: verifiers.TokenAudienceMismatch,
			check: notLogged("sub", "admin")},
		{name: "log_spoof_iss_nul_on_refusal", tok: es(h256, claimsJSON("iss", `"https://issuer.example.com/\u0000"`)), reason: verifiers.TokenIssuerMismatch,
			check: notLogged("iss", testIss)},
		{name: "log_spoof_subject_nul_on_success", tok: es(h256, claimsJSON("sub", `"ad\u0000min"`)), status: http.StatusOK,
			check: func(t *testing.T, res gateResult, _ map[string]any) {
				for _, ev := range res.logs {
					if ev["subject"] == "admin" || ev["sub"] == "admin" {
						t.Errorf("the token's sub is \"ad\\u0000min\", and the log says the subject is \"admin\": %s", res.raw)
					}
				}
			}},
		{name: "kid_crlf_log_forging", tok: es(`{"alg":"ES256","kid":"ec1\r\n{\"level\":\"info\",\"message\":\"forged\"}"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{`no key with kid 'ec1\x0d\x0a{"level"`},
			check: func(t *testing.T, res gateResult, _ map[string]any) {
				if len(res.logs) != 1 || strings.Count(res.raw, "\n") != 1 {
					t.Errorf("want one log line: %q", res.raw)
				}
			}},
		{name: "kid_10KB_over_size_cap", tok: es(`{"alg":"ES256","kid":"`+longKid+`"}`, claimsJSON()), status: 431, reason: verifiers.CredentialsTooLarge,
			detail: []string{"over the 10240-byte limit; no verifier ran"}},
		{name: "kid_10KB_bounded_in_log", v: vBig, gate: bigGate, tok: es(`{"alg":"ES256","kid":"`+longKid+`"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{`no key with kid '` + strings.Repeat("k", 64) + `'...`},
			check: func(t *testing.T, _ gateResult, ev map[string]any) {
				if kid := ev["kid"].(string); !strings.HasPrefix(kid, "kkkk") || len(kid) > 131 {
					t.Errorf("logged kid is %d bytes; want at most 128 and an ellipsis", len(kid))
				}
			}},
		{name: "kid_is_url", tok: es(`{"alg":"ES256","kid":"`+attacker.URL+`/jwks"}`, claimsJSON()), reason: verifiers.TokenKeyUnknown,
			detail: []string{noKid(attacker.URL + "/jwks")}},
		{name: "kid_number", tok: es(`{"alg":"ES256","kid":1}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header member kid is not a string"}},
		{name: "kid_object", tok: es(`{"alg":"ES256","kid":{"kid":"ec1"}}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header member kid is not a string"}},
		{name: "kid_null", tok: es(`{"alg":"ES256","kid":null}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header member kid is not a string"}},
		{name: "kid_array", tok: es(`{"alg":"ES256","kid":["ec1"]}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header member kid is not a string"}},
		// A token without kid is tried with every key bound to its alg.
		{name: "kid_empty_string_accepted", tok: es(`{"alg":"ES256","kid":""}`, claimsJSON()), status: http.StatusOK},
		{name: "kid_absent_no_key_for_alg", tok: mintSigned(`{"alg":"PS384"}`, claimsJSON(), "PS384", fx.rsa), reason: verifiers.TokenKeyUnknown,
			detail: []string{`the token has no kid, and no key of issuer 'https://issuer.example.com/' is bound to its alg PS384`}},
		{name: "kid_empty_string_attacker", tok: byAttacker(`{"alg":"ES256","kid":""}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "kid_of_another_key_type", tok: es(`{"alg":"ES256","kid":"rsa1"}`, claimsJSON()), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{`alg is ES256, but key kid 'rsa1'`, "bound to RS256"}},

		// E10: keys and URLs named by the token are never used.
		{name: "jku_attacker_server", tok: byAttacker(`{"alg":"ES256","kid":"ec1","jku":"` + attacker.URL + `/jwks"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jku_attacker_server_attacker_kid", tok: mintSigned(`{"alg":"ES256","kid":"attacker","jku":"`+attacker.URL+`/jwks"}`, claimsJSON(), "ES256", fx.ec2), reason: verifiers.TokenKeyUnknown,
			detail: []string{noKid("attacker")}},
		{name: "x5u_attacker_server", tok: byAttacker(`{"alg":"ES256","kid":"ec1","x5u":"` + attacker.URL + `/cert.pem"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jwk_embedded_attacker_key", tok: byAttacker(`{"alg":"ES256","kid":"ec1","jwk":` + string(attackerJWK) + `}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jwk_embedded_attacker_key_no_kid", tok: byAttacker(`{"alg":"ES256","jwk":` + string(must(json.Marshal(jwkOf(fx.ec2, "", "ES256")))) + `}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "jwk_embedded_oct_key_hs256", tok: mintSigned(`{"alg":"HS256","jwk":{"kty":"oct","k":"`+b64u(fx.secret)+`"}}`, claimsJSON(), "HS256", fx.secret), reason: verifiers.TokenAlgNotAllowed,
			detail: []string{"HS256 " + hsOnPublic}},
		{name: "x5c_attacker_certificate", tok: byAttacker(`{"alg":"ES256","kid":"ec1","x5c":["` + attackerCert + `"]}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "x5c_attacker_certificate_no_kid", tok: byAttacker(`{"alg":"ES256","x5c":["` + attackerCert + `"]}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "all_key_headers_at_once", tok: byAttacker(`{"alg":"ES256","kid":"ec1","jku":"` + attacker.URL + `/jwks","x5u":"` + attacker.URL + `/c","jwk":` + string(attackerJWK) + `,"x5c":["` + attackerCert + `"]}`),
			reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},

		// crit (RFC 7515 §4.1.11).
		{name: "crit_unknown_extension", tok: es(`{"alg":"ES256","kid":"ec1","crit":["x-custom"],"x-custom":true}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`the header's crit lists the extension 'x-custom', which authgate does not understand`}},
		{name: "crit_extension_absent_from_header", tok: es(`{"alg":"ES256","kid":"ec1","crit":["b64"]}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`crit lists the extension 'b64'`}},
		{name: "crit_registered_header", tok: es(`{"alg":"ES256","kid":"ec1","crit":["alg"]}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`the header's crit lists 'alg', a registered header name it must not list`}},
		{name: "crit_registered_after_extension", tok: es(`{"alg":"ES256","kid":"ec1","crit":["x","kid"],"x":1}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`crit lists 'kid', a registered header name`}},
		{name: "crit_empty", tok: es(`{"alg":"ES256","kid":"ec1","crit":[]}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{"the header's crit is not a non-empty array of strings"}},
		{name: "crit_string", tok: es(`{"alg":"ES256","kid":"ec1","crit":"x-custom","x-custom":1}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{"crit is not a non-empty array of strings"}},
		{name: "crit_object", tok: es(`{"alg":"ES256","kid":"ec1","crit":{"x":1}}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"crit is not a non-empty array"}},
		{name: "crit_null", tok: es(`{"alg":"ES256","kid":"ec1","crit":null}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"crit is not a non-empty array"}},
		{name: "crit_number_member", tok: es(`{"alg":"ES256","kid":"ec1","crit":[1]}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"crit is not a non-empty array of strings"}},

		// ECDSA signatures that are no signatures.
		{name: "ecdsa_r_n_s_valid", tok: ecTok(ecKeys[0], ecSig(n256, validS, 32)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_valid_s_n", tok: ecTok(ecKeys[0], ecSig(validR, n256, 32)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_s_above_n", tok: ecTok(ecKeys[0], ecSig(new(big.Int).Add(n256, big.NewInt(1)), new(big.Int).Add(n256, big.NewInt(1)), 32)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_s_all_ones", tok: ecTok(ecKeys[0], bytes.Repeat([]byte{0xff}, 64)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_0_s_valid", tok: ecTok(ecKeys[0], ecSig(big.NewInt(0), validS, 32)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_s_1", tok: ecTok(ecKeys[0], ecSig(big.NewInt(1), big.NewInt(1), 32)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_63_bytes_ES256", tok: input + "." + b64u(goodSig[:63]), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_65_bytes_leading_zero_ES256", tok: input + "." + b64u(append([]byte{0}, goodSig...)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_65_bytes_trailing_zero_ES256", tok: input + "." + b64u(append(append([]byte(nil), goodSig...), 0)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_r_s_padded_to_33", tok: input + "." + b64u(ecSig(validR, validS, 33)), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_der_encoded_valid_signature", tok: input + "." + b64u(derSig), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "ecdsa_empty_signature_bytes", tok: input + ".AA", reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		// A signature (r, n−s) verifies as well as (r, s): ECDSA is
		// malleable and JWS does not ask for low-S. Not an attack on the
		// verifier (the claims are the signed ones), so it is accepted.
		{name: "ecdsa_high_s_malleated_accepted", tok: input + "." + b64u(ecSig(validR, new(big.Int).Sub(n256, validS), 32)), status: http.StatusOK},

		// Truncated tokens.
		{name: "truncated_header_only", tok: gs[0], reason: verifiers.TokenMalformed, detail: []string{"the token has no '.'"}, hint: "not a JWT"},
		{name: "truncated_header_and_dot", tok: gs[0] + ".", reason: verifiers.TokenMalformed, detail: []string{"2 segments"}},
		{name: "truncated_header_cut", tok: gs[0][:len(gs[0])-4] + "." + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"the header is not valid JSON"}},
		{name: "truncated_header_cut_length_1_mod_4", tok: gs[0][:len(gs[0])-3] + "." + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed,
			detail: []string{"the header segment is 33 characters, a length no base64url encoding has"}},
		{name: "truncated_payload_cut", tok: gs[0] + "." + gs[1][:len(gs[1])/2/4*4] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "truncated_payload_empty", tok: gs[0] + ".." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"the payload segment is empty"}},
		{name: "truncated_header_empty", tok: "." + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"the header segment is empty"}},
		{name: "truncated_signature_empty", tok: input + ".", reason: verifiers.TokenMalformed, detail: []string{"the signature segment is empty"}},
		{name: "truncated_signature_cut_63_bytes", tok: input + "." + gs[2][:84], reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "truncated_signature_cut_length_1_mod_4", tok: input + "." + gs[2][:85], reason: verifiers.TokenMalformed,
			detail: []string{"the signature segment is 85 characters, a length no base64url encoding has"}},
		{name: "truncated_to_dots", tok: "..", reason: verifiers.TokenMalformed, detail: []string{"the header segment is empty"}},

		// Size caps: the verifier's (8 KiB token, 431) and the gate's
		// (10 KiB Authorization field, 431 before any verifier).
		{name: "size_token_at_verifier_cap_accepted", tok: under, status: http.StatusOK},
		{name: "size_token_at_verifier_cap_expired", tok: underExpired, reason: verifiers.TokenExpired, detail: []string{"the token expired at 2026-11-28T09:00:00Z"}},
		{name: "size_token_over_verifier_cap", tok: over, status: 431, reason: verifiers.CredentialsTooLarge,
			detail: []string{"the token in the Authorization header is 8193 bytes, over the 8192-byte limit; it was not parsed"}, attrs: map[string]string{"header": "Authorization"},
			check: func(t *testing.T, res gateResult, _ map[string]any) {
				if !strings.Contains(res.body, "The Authorization header field is too large.") || res.header.Get("Cache-Control") != "no-store" {
					t.Errorf("431 body %s, Cache-Control %q", res.body, res.header.Get("Cache-Control"))
				}
			}},
		{name: "size_authorization_at_gate_cap_accepted", v: vGate, tok: atGateCap, status: http.StatusOK},
		{name: "size_authorization_over_gate_cap", v: vGate, tok: overGateCap, status: 431, reason: verifiers.CredentialsTooLarge,
			detail: []string{"the Authorization header field is 10241 bytes, over the 10240-byte limit; no verifier ran"}},

		// E11: only base64url and dots.
		{name: "b64_plus_in_payload", tok: gs[0] + "." + gs[1][:5] + "+" + gs[1][6:] + "." + gs[2], reason: verifiers.TokenMalformed,
			detail: []string{fmt.Sprintf("the token holds a character outside base64url (byte %d of %d is '+')", len(gs[0])+6, len(good))}, hint: "standard base64"},
		{name: "b64_slash_in_signature", tok: input + "." + gs[2][:10] + "/" + gs[2][11:], reason: verifiers.TokenMalformed, detail: []string{"is '/'"}, hint: "standard base64"},
		{name: "b64_padding_on_header", tok: gs[0] + "==." + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"is '='"}, hint: "standard base64"},
		{name: "b64_padding_on_signature", tok: good + "==", reason: verifiers.TokenMalformed, detail: []string{"is '='"}, hint: "padded"},
		{name: "b64_percent_encoded_dot", tok: gs[0] + "%2E" + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"is '%'"}, hint: "URL-encoded"},
		{name: "b64_space_inside", tok: gs[0] + "." + gs[1][:8] + " " + gs[1][8:] + "." + gs[2], reason: verifiers.TokenMalformed,
			detail: []string{fmt.Sprintf("the token holds whitespace (byte %d of %d is a space)", len(gs[0])+9, len(good)+1)}, hint: "line-wrapped"},
		{name: "b64_tab_inside", tok: gs[0] + "\t." + gs[1] + "." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"is a tab"}},
		{name: "b64_non_ascii_byte", tok: gs[0] + "." + gs[1] + "\xc3\xa9." + gs[2], reason: verifiers.TokenMalformed, detail: []string{"is 0xc3"}},
		{name: "b64_noncanonical_header", tok: nonCanonHeader, reason: verifiers.TokenMalformed, detail: []string{"the header segment is not canonical base64url"}},
		{name: "b64_noncanonical_payload", tok: nonCanonPayload, reason: verifiers.TokenMalformed, detail: []string{"the payload segment is not canonical base64url"}},
		{name: "b64_noncanonical_signature", tok: nonCanonSig, reason: verifiers.TokenMalformed, detail: []string{"the signature segment is not canonical base64url"}},

		// Duplicate members, and names equal only after unescaping.
		{name: "dup_header_alg_none_last", tok: es(`{"alg":"ES256","kid":"ec1","alg":"none"}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`the header has the member 'alg' twice (RFC 7515 §4)`}},
		{name: "dup_header_alg_none_first", tok: es(`{"alg":"none","alg":"ES256","kid":"ec1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{`member 'alg' twice`}},
		{name: "dup_header_alg_escaped", tok: es(`{"alg":"none","\u0061lg":"ES256","kid":"ec1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{`member 'alg' twice`}},
		{name: "dup_header_alg_escaped_first", tok: es(`{"\u0061\u006c\u0067":"ES256","alg":"HS256","kid":"ec1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{`member 'alg' twice`}},
		{name: "dup_header_kid", tok: es(`{"alg":"ES256","kid":"rsa1","kid":"ec1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{`member 'kid' twice`}},
		{name: "dup_header_crit_escaped", tok: es(`{"alg":"ES256","kid":"ec1","crit":["x"],"x":1,"\u0063rit":["x"]}`, claimsJSON()), reason: verifiers.TokenMalformed},
		{name: "dup_claim_sub", tok: es(h256, claimsJSON("sub", `"user-42","sub":"admin"`)), reason: verifiers.TokenMalformed, detail: []string{`the claims set has the claim 'sub' twice (RFC 7519 §4)`}},
		{name: "dup_claim_exp", tok: es(h256, claimsJSON("exp", num(atkNow-3600)+`,"exp":`+num(atkExp))), reason: verifiers.TokenMalformed, detail: []string{`claim 'exp' twice`}},
		{name: "dup_claim_aud", tok: es(h256, claimsJSON("aud", `"https://other.example.com","aud":"`+testAud+`"`)), reason: verifiers.TokenMalformed, detail: []string{`claim 'aud' twice`}},
		{name: "dup_claim_iss", tok: es(h256, claimsJSON("iss", `"https://evil.example.com/","iss":"`+testIss+`"`)), reason: verifiers.TokenMalformed, detail: []string{`claim 'iss' twice`}},
		{name: "dup_nested_claim_member", tok: es(h256, claimsJSON("cnf", `{"jkt":"a","jkt":"b"}`)), reason: verifiers.TokenMalformed,
			detail: []string{`the claims set has a claim whose object has the member 'jkt' twice (RFC 7519 §4)`}},
		{name: "dup_nested_header_member", tok: es(`{"alg":"ES256","kid":"ec1","x":{"a":1,"a":2}}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{`the header has an object with the member 'a' twice (RFC 7515 §4)`}},
		{name: "dup_claim_exp_escaped", tok: es(h256, claimsJSON("exp", num(atkNow-3600)+`,"\u0065xp":`+num(atkExp))), reason: verifiers.TokenMalformed, detail: []string{`claim 'exp' twice`}},
		{name: "dup_claim_sub_escaped_solidus", tok: es(h256, claimsJSON("x/y", `1,"x\/y":2`)), reason: verifiers.TokenMalformed, detail: []string{`claim 'x/y' twice`}},
		// JOSE and JWT names are case-sensitive: "ALG" is not alg.
		{name: "case_header_ALG_only", tok: es(`{"ALG":"ES256","kid":"ec1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header has no alg"}},
		{name: "case_header_ALG_none_beside_alg_accepted", tok: es(`{"alg":"ES256","ALG":"none","kid":"ec1"}`, claimsJSON()), status: http.StatusOK},
		{name: "case_header_Alg_none_only", tok: seg(`{"Alg":"none"}`) + "." + gs[1] + ".", reason: verifiers.TokenMalformed, detail: []string{"no alg"}},
		{name: "case_header_KID_is_no_kid_accepted", tok: es(`{"alg":"ES256","KID":"rsa1"}`, claimsJSON()), status: http.StatusOK},
		{name: "case_header_KID_attacker", tok: byAttacker(`{"alg":"ES256","KID":"ec1"}`), reason: verifiers.TokenSignatureInvalid, detail: []string{sigInvalid}},
		{name: "case_claim_EXP", tok: es(h256, claimsJSON("exp", "", "EXP", num(atkExp))), reason: verifiers.TokenClaimMissing, detail: []string{"the token has no exp claim"}},
		{name: "case_claim_AUD", tok: es(h256, claimsJSON("aud", "", "AUD", `"`+testAud+`"`)), reason: verifiers.TokenClaimMissing, detail: []string{"the token has no aud claim"}},

		// E9: JWE, encryption headers and nested tokens.
		{name: "jwe_five_segments", tok: seg(`{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"rsa1"}`) + "." + b64u(make([]byte, 256)) + "." + b64u(make([]byte, 12)) + "." + gs[1] + "." + b64u(make([]byte, 16)),
			reason: verifiers.TokenMalformed, detail: []string{"the token has 5 segments: it is a JWE (encrypted), not a JWS"}, hint: "JWE"},
		{name: "jwe_dir_empty_key_segment", tok: seg(`{"alg":"dir","enc":"A128CBC-HS256"}`) + ".." + b64u(make([]byte, 16)) + "." + gs[1] + "." + b64u(make([]byte, 16)),
			reason: verifiers.TokenMalformed, detail: []string{"5 segments"}, hint: "JWE"},
		{name: "jwe_header_in_three_segments", tok: mint(`{"alg":"RSA-OAEP","enc":"A256GCM"}`, claimsJSON(), goodSig), reason: verifiers.TokenMalformed,
			detail: []string{"the header has an enc member: the token is a JWE, not a JWS"}, hint: "JWE"},
		{name: "enc_in_signed_header", tok: es(`{"alg":"ES256","kid":"ec1","enc":"A256GCM"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"enc member"}},
		{name: "enc_empty_string", tok: es(`{"alg":"ES256","kid":"ec1","enc":""}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"enc member"}},
		{name: "enc_not_a_string", tok: es(`{"alg":"ES256","kid":"ec1","enc":1}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header member enc is not a string"}},
		{name: "nested_cty_JWT", tok: es(`{"alg":"ES256","kid":"ec1","cty":"JWT"}`, `"`+innerJWS+`"`), reason: verifiers.TokenMalformed,
			detail: []string{"the header says cty JWT: a nested token, which is not accepted (RFC 8725 §3.3)"}, canaries: []string{innerJWS}},
		{name: "nested_cty_jwt_lowercase_object_payload", tok: es(`{"alg":"ES256","kid":"ec1","cty":"jwt"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"nested token"}},
		// RFC 7515 §4.1.10: "application/JWT" is the same media type as "JWT".
		{name: "nested_cty_application_jwt", tok: es(`{"alg":"ES256","kid":"ec1","cty":"application/JWT"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"nested token"}},
		{name: "nested_payload_is_jws_json_string", tok: es(h256, `"`+innerJWS+`"`), reason: verifiers.TokenMalformed,
			detail: []string{"the payload is not a JSON object"}, hint: "not a JWT", canaries: []string{innerJWS}},
		{name: "nested_payload_is_raw_jws", tok: es(h256, innerJWS), reason: verifiers.TokenMalformed, detail: []string{"the payload is not a JSON object"}, canaries: []string{innerJWS}},

		// aud (E4).
		{name: "aud_empty_array", tok: es(h256, claimsJSON("aud", `[]`)), reason: verifiers.TokenAudienceMismatch,
			detail: []string{`the token's aud is []; this resource is 'https://api.example.com'`}},
		{name: "aud_array_with_empty_string", tok: es(h256, claimsJSON("aud", `[""]`)), reason: verifiers.TokenAudienceMismatch, detail: []string{`the token's aud is ['']`}},
		{name: "aud_empty_string", tok: es(h256, claimsJSON("aud", `""`)), reason: verifiers.TokenAudienceMismatch, detail: []string{`the token's aud is ['']`}},
		{name: "aud_among_others_accepted", tok: es(h256, claimsJSON("aud", `["https://billing.example.com","`+testAud+`","account"]`)), status: http.StatusOK},
		{name: "aud_number", tok: es(h256, claimsJSON("aud", `42`)), reason: verifiers.TokenMalformed,
			detail: []string{"the aud claim is a JSON number, neither a string nor an array of strings"}},
		{name: "aud_null", tok: es(h256, claimsJSON("aud", `null`)), reason: verifiers.TokenMalformed, detail: []string{"the aud claim is a JSON null"}},
		{name: "aud_object", tok: es(h256, claimsJSON("aud", `{"aud":"`+testAud+`"}`)), reason: verifiers.TokenMalformed, detail: []string{"the aud claim is a JSON object"}},
		{name: "aud_array_with_number", tok: es(h256, claimsJSON("aud", `["`+testAud+`",1]`)), reason: verifiers.TokenMalformed, detail: []string{"an array with a member that is not a string"}},
		{name: "aud_nested_array", tok: es(h256, claimsJSON("aud", `[["`+testAud+`"]]`)), reason: verifiers.TokenMalformed, detail: []string{"an array with a member that is not a string"}},
		{name: "aud_missing", tok: es(h256, claimsJSON("aud", "")), reason: verifiers.TokenClaimMissing,
			detail: []string{`the token has no aud claim; it must name this resource, 'https://api.example.com'`}},
		{name: "aud_trailing_slash", tok: es(h256, claimsJSON("aud", `"`+testAud+`/"`)), reason: verifiers.TokenAudienceMismatch, hint: "trailing slash"},
		{name: "aud_case", tok: es(h256, claimsJSON("aud", `"HTTPS://API.EXAMPLE.COM"`)), reason: verifiers.TokenAudienceMismatch},

		// iss (E3).
		{name: "iss_wrong", tok: es(h256, claimsJSON("iss", `"https://evil.example.com/"`)), reason: verifiers.TokenIssuerMismatch,
			detail: []string{`the token's iss is 'https://evil.example.com/'; this verifier trusts 'https://issuer.example.com/'`}, attrs: map[string]string{"iss": "https://evil.example.com/"}},
		{name: "iss_without_trailing_slash", tok: es(h256, claimsJSON("iss", `"https://issuer.example.com"`)), reason: verifiers.TokenIssuerMismatch, hint: "trailing slash"},
		{name: "iss_extra_trailing_slash", tok: es(h256, claimsJSON("iss", `"https://issuer.example.com//"`)), reason: verifiers.TokenIssuerMismatch},
		{name: "iss_case", tok: es(h256, claimsJSON("iss", `"https://ISSUER.example.com/"`)), reason: verifiers.TokenIssuerMismatch, hint: "letter case"},
		{name: "iss_number", tok: es(h256, claimsJSON("iss", `1`)), reason: verifiers.TokenMalformed, detail: []string{"the iss claim is a JSON number, not a string"}},
		{name: "iss_array", tok: es(h256, claimsJSON("iss", `["`+testIss+`"]`)), reason: verifiers.TokenMalformed, detail: []string{"the iss claim is a JSON array, not a string"}},
		{name: "iss_null", tok: es(h256, claimsJSON("iss", `null`)), reason: verifiers.TokenMalformed, detail: []string{"the iss claim is a JSON null"}},
		{name: "iss_empty", tok: es(h256, claimsJSON("iss", `""`)), reason: verifiers.TokenIssuerMismatch, detail: []string{`the token's iss is ''`}},
		{name: "iss_missing", tok: es(h256, claimsJSON("iss", "")), reason: verifiers.TokenClaimMissing, detail: []string{"no iss claim"}},
		{name: "iss_escaped_equal_accepted", tok: es(h256, claimsJSON("iss", `"https:\/\/issuer.example.com\/"`)), status: http.StatusOK},
		{name: "iss_very_long_bounded", tok: es(h256, claimsJSON("iss", `"https://`+strings.Repeat("a", 5000)+`.example.com/"`)), reason: verifiers.TokenIssuerMismatch,
			detail: []string{`the token's iss is 'https://aaaa`, `'...; this verifier trusts`}},

		// Structure of header and payload.
		{name: "payload_array", tok: es(h256, `[`+claimsJSON()+`]`), reason: verifiers.TokenMalformed, detail: []string{"the payload is not a JSON object, so not a JWT claims set"}},
		{name: "payload_string", tok: es(h256, `"claims"`), reason: verifiers.TokenMalformed, detail: []string{"not a JSON object"}},
		{name: "payload_number", tok: es(h256, `1795860000`), reason: verifiers.TokenMalformed, detail: []string{"not a JSON object"}},
		{name: "payload_null", tok: es(h256, `null`), reason: verifiers.TokenMalformed, detail: []string{"not a JSON object"}},
		{name: "payload_empty_object", tok: es(h256, `{}`), reason: verifiers.TokenClaimMissing, detail: []string{"no iss claim"}},
		{name: "payload_not_utf8", tok: es(h256, claimsJSON("sub", "\"\xff\xfe\"")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not UTF-8"}},
		{name: "payload_overlong_utf8", tok: es(h256, claimsJSON("sub", "\"\xc0\xaf\"")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not UTF-8"}},
		{name: "payload_utf8_surrogate_bytes", tok: es(h256, claimsJSON("sub", "\"\xed\xa0\x80\"")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not UTF-8"}},
		{name: "payload_bom", tok: es(h256, "\xef\xbb\xbf"+claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"not a JSON object"}},
		{name: "payload_trailing_garbage", tok: es(h256, claimsJSON()+`x`), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_two_objects", tok: es(h256, claimsJSON()+claimsJSON("sub", `"admin"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_trailing_comma", tok: es(h256, strings.TrimSuffix(claimsJSON(), "}")+`,}`), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_single_quotes", tok: es(h256, `{'iss':'`+testIss+`'}`), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_raw_control_char", tok: es(h256, claimsJSON("sub", "\"a\x01b\"")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_nested_5000_arrays", tok: es(h256, claimsJSON("x", strings.Repeat("[", 5000))), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_nested_10000_arrays_over_cap", tok: es(h256, claimsJSON("x", strings.Repeat("[", 10000))), status: 431, reason: verifiers.CredentialsTooLarge},
		{name: "payload_nested_10000_arrays", v: vBig, gate: bigGate, tok: es(h256, claimsJSON("x", strings.Repeat("[", 10000)+strings.Repeat("]", 10000))), reason: verifiers.TokenMalformed,
			detail: []string{"the payload is not valid JSON"}},
		{name: "payload_nested_10000_objects", v: vBig, gate: bigGate, tok: es(h256, claimsJSON("x", strings.Repeat(`{"a":`, 8000)+"1"+strings.Repeat("}", 8000))), reason: verifiers.TokenMalformed,
			detail: []string{"the payload is not valid JSON"}},
		{name: "payload_nested_realistic_accepted", tok: es(h256, claimsJSON("realm_access", `{"roles":["a","b"],"x":[[{"y":[1,2]}]]}`)), status: http.StatusOK},
		{name: "payload_long_string_accepted", tok: es(h256, claimsJSON("x", `"`+strings.Repeat("z", 5000)+`"`)), status: http.StatusOK},
		{name: "payload_number_1000_digits", tok: es(h256, claimsJSON("x", "9"+strings.Repeat("0", 999))), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_number_1000_digit_fraction_accepted", tok: es(h256, claimsJSON("x", "0."+strings.Repeat("0", 998)+"1")), status: http.StatusOK},
		{name: "payload_number_leading_zero", tok: es(h256, claimsJSON("exp", "0"+num(atkExp))), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_number_plus_sign", tok: es(h256, claimsJSON("exp", "+"+num(atkExp))), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_number_hex", tok: es(h256, claimsJSON("exp", "0x6B0A7C00")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_invalid_escape_x", tok: es(h256, claimsJSON("sub", `"\x41"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_invalid_escape_short_u", tok: es(h256, claimsJSON("sub", `"\u12"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_escape_at_end", tok: es(h256, `{"sub":"\`), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		// RFC 8259 §8.2 leaves strings with lone surrogates undefined and
		// I-JSON (RFC 7493 §2.1) forbids them: a decoder that maps them to
		// U+FFFD maps distinct signed values to one claim value.
		{name: "payload_lone_high_surrogate", tok: es(h256, claimsJSON("sub", `"\ud800"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_lone_low_surrogate", tok: es(h256, claimsJSON("sub", `"\udc00admin"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_reversed_surrogates", tok: es(h256, claimsJSON("sub", `"\udc00\ud800"`)), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_surrogate_pair_accepted", tok: es(h256, claimsJSON("x", `"\ud83d\ude00"`)), status: http.StatusOK},
		{name: "payload_NaN_literal", tok: es(h256, claimsJSON("exp", "NaN")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "payload_Infinity_literal", tok: es(h256, claimsJSON("exp", "Infinity")), reason: verifiers.TokenMalformed, detail: []string{"the payload is not valid JSON"}},
		{name: "header_not_object_array", tok: mint(`["ES256"]`, claimsJSON(), goodSig), reason: verifiers.TokenMalformed, detail: []string{"the header is not a JSON object"}},
		{name: "header_not_object_string", tok: mint(`"ES256"`, claimsJSON(), goodSig), reason: verifiers.TokenMalformed, detail: []string{"the header is not a JSON object"}},
		{name: "header_null", tok: mint(`null`, claimsJSON(), goodSig), reason: verifiers.TokenMalformed, detail: []string{"the header is not a JSON object"}},
		{name: "header_bom", tok: es("\xef\xbb\xbf"+h256, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header is not a JSON object"}},
		{name: "header_not_utf8", tok: es(`{"alg":"ES256","kid":"ec1","x":"`+"\xff"+`"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header is not UTF-8"}},
		{name: "header_nested_deep", tok: es(`{"alg":"ES256","kid":"ec1","x":`+strings.Repeat("[", 2000)+strings.Repeat("]", 2000)+`}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{"the header is not valid JSON"}},
		{name: "header_invalid_escape", tok: es(`{"alg":"ES256","kid":"ec\x1"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header is not valid JSON"}},
		{name: "header_kid_lone_surrogate", tok: es(`{"alg":"ES256","kid":"ec1\ud800"}`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header is not valid JSON"}},
		{name: "header_trailing_garbage", tok: es(h256+`]`, claimsJSON()), reason: verifiers.TokenMalformed, detail: []string{"the header is not valid JSON"}},
		{name: "header_number_1000_digits", tok: es(`{"alg":"ES256","kid":"ec1","x":1`+strings.Repeat("0", 999)+`}`, claimsJSON()), reason: verifiers.TokenMalformed,
			detail: []string{"the header is not valid JSON"}},

		// Time edges, with the clock fixed at t0 and the default 30 s leeway.
		{name: "time_exp_equals_now_within_leeway", tok: es(h256, claimsJSON("exp", num(atkNow))), status: http.StatusOK},
		{name: "time_exp_now_minus_leeway", tok: es(h256, claimsJSON("exp", num(atkNow-30))), reason: verifiers.TokenExpired,
			detail: []string{"the token expired at 2026-11-28T09:59:30Z, 30s ago (leeway 30s; server time 2026-11-28T10:00:00Z)"}},
		{name: "time_exp_now_minus_leeway_plus_1s", tok: es(h256, claimsJSON("exp", num(atkNow-29))), status: http.StatusOK},
		{name: "time_exp_now_minus_leeway_plus_1ms", tok: es(h256, claimsJSON("exp", num(atkNow-30)+".001")), status: http.StatusOK},
		{name: "time_exp_now_minus_leeway_minus_1ms", tok: es(h256, claimsJSON("exp", num(atkNow-31)+".999")), reason: verifiers.TokenExpired},
		{name: "time_nbf_now_plus_leeway", tok: es(h256, claimsJSON("nbf", num(atkNow+30))), status: http.StatusOK},
		{name: "time_nbf_now_plus_leeway_plus_1ms", tok: es(h256, claimsJSON("nbf", num(atkNow+30)+".001")), reason: verifiers.TokenNotYetValid},
		{name: "time_nbf_now_plus_leeway_plus_1s", tok: es(h256, claimsJSON("nbf", num(atkNow+31))), reason: verifiers.TokenNotYetValid,
			detail: []string{"the token is not valid before 2026-11-28T10:00:31Z, 31s from now (leeway 30s; server time 2026-11-28T10:00:00Z)"}},
		{name: "time_iat_now_plus_leeway", tok: es(h256, claimsJSON("iat", num(atkNow+30))), status: http.StatusOK},
		{name: "time_iat_now_plus_leeway_plus_1s", tok: es(h256, claimsJSON("iat", num(atkNow+31))), reason: verifiers.TokenIssuedInFuture,
			detail: []string{"issued at 2026-11-28T10:00:31Z, 31s in the future"}},
		{name: "time_no_leeway_exp_equals_now", v: vNoLeeway, tok: es(h256, claimsJSON("exp", num(atkNow))), reason: verifiers.TokenExpired,
			detail: []string{"the token expired at 2026-11-28T10:00:00Z, 0s ago (leeway 0s"}},
		{name: "time_no_leeway_exp_now_plus_1ms", v: vNoLeeway, tok: es(h256, claimsJSON("exp", num(atkNow)+".001")), status: http.StatusOK},
		{name: "time_no_leeway_nbf_now_plus_1ms", v: vNoLeeway, tok: es(h256, claimsJSON("nbf", num(atkNow)+".001")), reason: verifiers.TokenNotYetValid},
		{name: "time_no_leeway_nbf_equals_now", v: vNoLeeway, tok: es(h256, claimsJSON("nbf", num(atkNow))), status: http.StatusOK},
		{name: "time_no_leeway_iat_now_plus_1s", v: vNoLeeway, tok: es(h256, claimsJSON("iat", num(atkNow+1))), reason: verifiers.TokenIssuedInFuture},
		{name: "time_exp_missing", tok: es(h256, claimsJSON("exp", "")), reason: verifiers.TokenClaimMissing, detail: []string{"the token has no exp claim"}},
	}

	// CVE-2022-21449 and kin on each curve: r or s zero, equal to n, or 1.
	for _, e := range ecKeys {
		n := e.k.Curve.Params().N
		zero, one := big.NewInt(0), big.NewInt(1)
		bad := "the signature does not verify with key kid " + quote(e.kid) + " (" + e.alg + ")"
		for _, rs := range []struct {
			name string
			r, s *big.Int
		}{{"r_s_zero", zero, zero}, {"r_zero_s_1", zero, one}, {"r_1_s_zero", one, zero}, {"r_s_n", n, n}, {"r_n_s_1", n, one}, {"r_1_s_n", one, n}} {
			cases = append(cases, attack{name: "ecdsa_" + rs.name + "_" + e.alg, tok: ecTok(e, ecSig(rs.r, rs.s, e.size)), reason: verifiers.TokenSignatureInvalid, detail: []string{bad}})
		}
		// A valid signature of the same input by a key on another curve.
		o := ecKeys[0]
		if e.alg == "ES256" {
			o = ecKeys[1]
		}
		cases = append(cases, attack{name: "ecdsa_other_curve_signature_" + e.alg, tok: ecInput(e) + "." + b64u(rawSign(o.alg, o.k, []byte(ecInput(e)))), reason: verifiers.TokenSignatureInvalid, detail: []string{bad}})
	}

	// exp, nbf and iat of every JSON type and of extreme values.
	type tv struct {
		name, raw string
		// per claim: the reason ("" = accepted) and a detail part
		exp, nbf, iat verifiers.Reason
		detail        string
	}
	kinds := func(kind string) string {
		return " claim is a JSON " + kind + "; RFC 7519 §4.1 requires a NumericDate"
	}
	mal := verifiers.TokenMalformed
	for _, x := range []tv{
		{"string", `"1900000000"`, mal, mal, mal, kinds("string")},
		{"empty_string", `""`, mal, mal, mal, kinds("string")},
		{"nan_string", `"NaN"`, mal, mal, mal, kinds("string")},
		{"infinity_string", `"Infinity"`, mal, mal, mal, kinds("string")},
		{"date_string", `"2030-01-01T00:00:00Z"`, mal, mal, mal, kinds("string")},
		{"bool", `true`, mal, mal, mal, kinds("boolean")},
		{"null", `null`, mal, mal, mal, kinds("null")},
		{"array", `[1900000000]`, mal, mal, mal, kinds("array")},
		{"object", `{"t":1900000000}`, mal, mal, mal, kinds("object")},
		{"float_1_5e9", `1.5e9`, verifiers.TokenExpired, "", "", ""},
		{"float_fraction_2030", `1900000000.5`, "", verifiers.TokenNotYetValid, verifiers.TokenIssuedInFuture, ""},
		{"huge_1e300", `1e300`, "", verifiers.TokenNotYetValid, verifiers.TokenIssuedInFuture, ""},
		{"huge_negative_1e300", `-1e300`, verifiers.TokenExpired, "", "", ""},
		{"negative", `-1`, verifiers.TokenExpired, "", "", ""},
		{"zero", `0`, verifiers.TokenExpired, "", "", ""},
		{"negative_zero", `-0`, verifiers.TokenExpired, "", "", ""},
		{"out_of_range_1e400", `1e400`, mal, mal, mal, "not valid JSON"},
		{"integer_1000_digits", "1" + strings.Repeat("0", 999), mal, mal, mal, "not valid JSON"},
		{"fraction_1000_digits", num(atkNow) + "." + strings.Repeat("0", 990), "", "", "", ""},
		{"max_int64", `9223372036854775807`, "", verifiers.TokenNotYetValid, verifiers.TokenIssuedInFuture, ""},
		{"min_int64", `-9223372036854775808`, verifiers.TokenExpired, "", "", ""},
	} {
		for _, c := range []struct {
			claim string
			want  verifiers.Reason
		}{{"exp", x.exp}, {"nbf", x.nbf}, {"iat", x.iat}} {
			row := attack{name: c.claim + "_" + x.name, tok: es(h256, claimsJSON(c.claim, x.raw)), reason: c.want}
			if c.want == "" {
				row.status = http.StatusOK
			}
			if c.want == mal {
				if strings.HasPrefix(x.detail, " claim") {
					row.detail = []string{"the " + c.claim + x.detail}
				} else {
					row.detail = []string{x.detail}
				}
			}
			cases = append(cases, row)
		}
	}
	runAttacks(t, v, cases)
}
