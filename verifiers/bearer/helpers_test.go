package bearer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// Test fixtures, made once per test binary in TestMain: RSA key
// generation is slow.
type fixtures struct {
	ec, ec2, ec384 *ecdsa.PrivateKey
	rsa, rsa2      *rsa.PrivateKey
	ed             ed25519.PrivateKey
	secret         []byte
}

var fx fixtures

const (
	testIss = "https://issuer.example.com/"
	testAud = "https://api.example.com"
)

// t0 is the fixed "now" of most tests.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	var wg sync.WaitGroup
	var err1, err2 error
	wg.Add(2)
	go func() { defer wg.Done(); fx.rsa, err1 = rsa.GenerateKey(rand.Reader, 2048) }()
	go func() { defer wg.Done(); fx.rsa2, err2 = rsa.GenerateKey(rand.Reader, 2048) }()
	fx.ec, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fx.ec2, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fx.ec384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, fx.ed, _ = ed25519.GenerateKey(rand.Reader)
	fx.secret = bytes.Repeat([]byte("0123456789abcdef"), 2)
	wg.Wait()
	if err := errors.Join(err1, err2); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func pad(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out[n-len(b):], b)
	return out
}

// jwkOf returns the public JWK of a key as a map; extra members are merged
// (a nil value deletes a member).
func jwkOf(k any, kid, alg string, extra ...any) map[string]any {
	m := map[string]any{}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		b, _ := k.PublicKey.Bytes()
		m["kty"], m["crv"] = "EC", k.Curve.Params().Name
		m["x"], m["y"] = b64u(pad(b[1:1+size], size)), b64u(pad(b[1+size:], size))
	case *rsa.PrivateKey:
		m["kty"] = "RSA"
		m["n"] = b64u(k.N.Bytes())
		m["e"] = b64u(big.NewInt(int64(k.E)).Bytes())
	case ed25519.PrivateKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64u(k.Public().(ed25519.PublicKey))
	case []byte:
		m["kty"], m["k"] = "oct", b64u(k)
	}
	if kid != "" {
		m["kid"] = kid
	}
	if alg != "" {
		m["alg"] = alg
	}
	for i := 0; i+1 < len(extra); i += 2 {
		name := extra[i].(string)
		if extra[i+1] == nil {
			delete(m, name)
		} else {
			m[name] = extra[i+1]
		}
	}
	return m
}

func jwks(keys ...map[string]any) []byte {
	if keys == nil {
		keys = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// sign makes a compact JWS with header hdr (alg is set from alg unless hdr
// has one) over claims (a map, or raw bytes), signed with k.
func sign(alg string, k any, hdr map[string]any, claims any) string {
	h := map[string]any{"alg": alg}
	for n, v := range hdr {
		if v == nil {
			delete(h, n)
		} else {
			h[n] = v
		}
	}
	hb, _ := json.Marshal(h)
	var pb []byte
	switch c := claims.(type) {
	case []byte:
		pb = c
	default:
		pb, _ = json.Marshal(c)
	}
	input := b64u(hb) + "." + b64u(pb)
	return input + "." + b64u(rawSign(alg, k, []byte(input)))
}

func rawSign(alg string, k any, input []byte) []byte {
	hash := hashOf(alg)
	var d []byte
	if hash != 0 {
		h := hash.New()
		h.Write(input)
		d = h.Sum(nil)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, d)
		if err != nil {
			panic(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		return append(pad(r.Bytes(), size), pad(s.Bytes(), size)...)
	case *rsa.PrivateKey:
		var sig []byte
		var err error
		if strings.HasPrefix(alg, "PS") {
			sig, err = rsa.SignPSS(rand.Reader, k, hash, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, hash, d)
		}
		if err != nil {
			panic(err)
		}
		return sig
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input)
	case []byte:
		h := hash
		if h == 0 {
			h = crypto.SHA256
		}
		m := hmac.New(h.New, k)
		m.Write(input)
		return m.Sum(nil)
	}
	panic("sign: unknown key type")
}

// hashOf is the hash of the JWS algorithm named alg (RFC 7518 §3.1):
// none for EdDSA, SHA-256 for names it does not know (as ES256).
func hashOf(alg string) crypto.Hash {
	switch {
	case alg == "EdDSA" || alg == "Ed25519":
		return 0
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	}
	return crypto.SHA256
}

// claims returns a valid claim set at t0, changed by kv pairs (a nil value
// deletes the claim).
func claims(kv ...any) map[string]any {
	c := map[string]any{
		"iss":   testIss,
		"aud":   testAud,
		"sub":   "user-42",
		"jti":   "jti-7",
		"iat":   t0.Add(-time.Minute).Unix(),
		"exp":   t0.Add(time.Hour).Unix(),
		"scope": "read write",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func clockAt(t time.Time) SharedOption { return WithClock(func() time.Time { return t }) }

// quiet is a logger that discards.
func quiet() Option { return WithLogger(zerolog.Nop()) }

// staticVerifier returns a verifier for testIss/testAud over the given
// JWKs, at t0.
func staticVerifier(t testing.TB, keys []map[string]any, opts ...Option) *Verifier {
	t.Helper()
	opts = append([]Option{clockAt(t0), quiet()}, opts...)
	v, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(jwks(keys...))}}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// allKeys is a static set with one key of each kind, all with alg.
func allKeys() []map[string]any {
	return []map[string]any{
		jwkOf(fx.ec, "ec1", "ES256"),
		jwkOf(fx.rsa, "rsa1", "RS256"),
		jwkOf(fx.rsa2, "ps1", "PS256"),
		jwkOf(fx.ed, "ed1", "EdDSA"),
		jwkOf(fx.ec384, "ec384", "ES384"),
	}
}

func bearerReq(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/resource", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// wantReject checks that err is a Rejection with reason and returns it.
func wantReject(t *testing.T, err error, reason verifiers.Reason) *verifiers.Rejection {
	t.Helper()
	var rej *verifiers.Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("error = %v (%T), want a Rejection with %s", err, err, reason)
	}
	if rej.Reason != reason {
		t.Fatalf("reason = %s (detail %q), want %s", rej.Reason, rej.Detail, reason)
	}
	return rej
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// gateResult is what the gate did with one request.
type gateResult struct {
	status int
	header http.Header
	body   string
	logs   []map[string]any
	raw    string
}

// throughGate sends r through a gate requiring v, with a logger that
// captures events, and returns what came out.
func throughGate(t *testing.T, v verifiers.Verifier, r *http.Request) gateResult {
	t.Helper()
	return attackGate(t, v, r)
}

// refusal returns the one "request refused" event.
func (g gateResult) refusal(t *testing.T) map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range g.logs {
		if m["message"] == authgatetest.RefusalMessage {
			out = append(out, m)
		}
	}
	if len(out) != 1 {
		t.Fatalf("want exactly one refusal event, got %d: %s", len(out), g.raw)
	}
	return out[0]
}

// wantEvent fails unless ev's detail holds each of detail, its hint holds
// hint, and it logs each of attrs with its value.
func wantEvent(t *testing.T, ev map[string]any, detail []string, hint string, attrs map[string]string) {
	t.Helper()
	got, _ := ev["detail"].(string)
	for _, d := range detail {
		if !strings.Contains(got, d) {
			t.Errorf("detail = %q\nwant it to contain %q", got, d)
		}
	}
	if h, _ := ev["hint"].(string); !strings.Contains(h, hint) {
		t.Errorf("hint = %q\nwant it to contain %q", h, hint)
	}
	for k, want := range attrs {
		if ev[k] != want {
			t.Errorf("logged %s = %v, want %q", k, ev[k], want)
		}
	}
}

// seen is everything a gate let out: the log, the body and the headers.
func (g gateResult) seen() string {
	var all strings.Builder
	all.WriteString(g.raw)
	all.WriteString(g.body)
	for k, vs := range g.header {
		all.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	return all.String()
}

// noSecret fails if s, or its base64 forms, appear in the response or the
// logs.
func (g gateResult) noSecret(t *testing.T, secrets ...string) {
	t.Helper()
	hay := g.seen()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range authgatetest.CredentialForms(s) {
			if strings.Contains(hay, form) {
				t.Errorf("secret (or its base64) leaked into the response or log")
			}
		}
		// Also no long fragment of it: the signature part alone would do.
		if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i > 20 && strings.Contains(hay, s[i+1:]) {
			t.Errorf("the token's signature segment leaked")
		}
	}
}

// logTo sends the verifier's key-set events to w.
func logTo(w io.Writer) Option { return WithLogger(zerolog.New(w)) }
