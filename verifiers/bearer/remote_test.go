package bearer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// keyServer is a JWKS and metadata server that counts its requests.
type keyServer struct {
	*httptest.Server
	mu           sync.Mutex
	keys         []map[string]any
	raw          []byte // served instead of keys when set
	status       int    // JWKS status when not 0
	cacheControl string
	delay        time.Duration
	docIssuer    string // issuer in the metadata; default: the server URL
	oidc         bool   // serve openid-configuration (else 404: RFC 8414 only)

	jwksHits, oidcHits, asHits, otherHits atomic.Int32
}

func newKeyServer(t testing.TB, keys ...map[string]any) *keyServer {
	ks := &keyServer{keys: keys, oidc: true}
	ks.Server = httptest.NewServer(http.HandlerFunc(ks.serve))
	t.Cleanup(ks.Close)
	return ks
}

func (ks *keyServer) serve(w http.ResponseWriter, r *http.Request) {
	ks.mu.Lock()
	keys, raw, status, cc, delay, docIss, oidc := ks.keys, ks.raw, ks.status, ks.cacheControl, ks.delay, ks.docIssuer, ks.oidc
	ks.mu.Unlock()
	if docIss == "" {
		docIss = ks.URL
	}
	doc := func() {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": docIss, "jwks_uri": ks.URL + "/jwks"})
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		ks.oidcHits.Add(1)
		if !oidc {
			http.NotFound(w, r)
			return
		}
		doc()
	case "/.well-known/oauth-authorization-server":
		ks.asHits.Add(1)
		doc()
	case "/jwks":
		ks.jwksHits.Add(1)
		if delay > 0 {
			time.Sleep(delay)
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		if raw != nil {
			_, _ = w.Write(raw)
			return
		}
		_, _ = w.Write(jwks(keys...))
	default:
		ks.otherHits.Add(1)
		http.NotFound(w, r)
	}
}

func (ks *keyServer) set(f func(ks *keyServer)) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	f(ks)
}

// remoteVerifier makes a verifier for the issuer ks.URL with keys from src,
// a fake clock at t0 and a captured log.
func remoteVerifier(t *testing.T, ks *keyServer, src KeySource, opts ...Option) (*Verifier, *authgatetest.Clock, *authgatetest.Log) {
	t.Helper()
	clk := authgatetest.NewClock(t0)
	logs := &authgatetest.Log{}
	opts = append([]Option{WithClock(clk.Now), WithLogger(zerolog.New(logs))}, opts...)
	v, err := New(context.Background(), testAud, []Issuer{{URL: ks.URL, Keys: src}}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v, clk, logs
}

func tokenFor(iss string, k any, alg, kid string, kv ...any) string {
	return sign(alg, k, map[string]any{"kid": kid}, claims(append([]any{"iss", iss}, kv...)...))
}

func TestRemote_JWKSURL_and_unknown_kid_refresh(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	if n := ks.jwksHits.Load(); n != 1 {
		t.Fatalf("New fetched %d times, want 1", n)
	}
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1"))); err != nil {
		t.Fatal(err)
	}
	// The issuer rotates: ec2 appears. The first token with kid ec2 makes
	// the set be fetched again, once the interval has passed.
	ks.set(func(ks *keyServer) { ks.keys = append(ks.keys, jwkOf(fx.ec2, "ec2", "ES256")) })
	clk.Advance(DefaultUnknownKeyRefresh)
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2"))); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	if n := ks.jwksHits.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	// An unknown kid right after: no fetch (rate limit), token_key_unknown
	// with the set's state.
	_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "nope")))
	rej := wantReject(t, err, verifiers.TokenKeyUnknown)
	for _, want := range []string{`no key with kid 'nope'`, `2 keys with kids 'ec1', 'ec2', fetched at 2026-11-28T10:00:30Z`, ks.URL + "/jwks",
		"last fetched, successfully, 0s ago, and an unknown key makes it be fetched at most every 30s (next in 30s)"} {
		if !strings.Contains(rej.Detail, want) {
			t.Errorf("detail = %q\nwant %q", rej.Detail, want)
		}
	}
	if !strings.Contains(rej.Hint, "rotated") {
		t.Errorf("hint = %q", rej.Hint)
	}
	if n := ks.jwksHits.Load(); n != 2 {
		t.Fatalf("fetches = %d, want still 2", n)
	}
	// The token cache does not remember a remote set's unknown kid: once
	// the interval has passed, the same token makes the set be fetched
	// again, and the key published meanwhile verifies it.
	nope := tokenFor(ks.URL, fx.ec2, "ES256", "nope")
	_, err = v.Verify(bearerReq(nope))
	wantReject(t, err, verifiers.TokenKeyUnknown)
	ks.set(func(ks *keyServer) { ks.keys = append(ks.keys, jwkOf(fx.ec2, "nope", "ES256")) })
	clk.Advance(DefaultUnknownKeyRefresh)
	if _, err := v.Verify(bearerReq(nope)); err != nil {
		t.Fatalf("the kid published after its first refusal: %v", err)
	}
	if n := ks.jwksHits.Load(); n != 3 {
		t.Fatalf("fetches = %d, want 3", n)
	}
}

// TestRemote_unknown_kid_long_way_not_remembered: a fetched set's unknown
// kid refused by verify's long way (findKeys, its refresh rate-limited)
// is not remembered either. With two fetched issuers, one fetched long
// ago, the shortcut does not apply: noKeyToTry finds an issuer whose set
// may be fetched for the kid.
func TestRemote_unknown_kid_long_way_not_remembered(t *testing.T) {
	t.Parallel()
	a := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	b := newKeyServer(t, jwkOf(fx.ec, "b1", "ES256"))
	clk := authgatetest.NewClock(t0)
	v, err := New(context.Background(), testAud, []Issuer{
		{URL: a.URL, Keys: JWKSURL(a.URL + "/jwks")},
		{URL: b.URL, Keys: JWKSURL(b.URL + "/jwks")},
	}, WithClock(clk.Now), WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	clk.Advance(DefaultUnknownKeyRefresh)
	// An unknown kid of issuer a fetches a's set again; b's stays old.
	_, err = v.Verify(bearerReq(tokenFor(a.URL, fx.ec, "ES256", "x1")))
	wantReject(t, err, verifiers.TokenKeyUnknown)
	nope := tokenFor(a.URL, fx.ec2, "ES256", "nope")
	_, err = v.Verify(bearerReq(nope))
	rej := wantReject(t, err, verifiers.TokenKeyUnknown)
	if !strings.Contains(rej.Detail, "at most every 30s") {
		t.Fatalf("not the rate-limited refusal of the long way: %s", rej.Detail)
	}
	a.set(func(ks *keyServer) { ks.keys = append(ks.keys, jwkOf(fx.ec2, "nope", "ES256")) })
	clk.Advance(DefaultUnknownKeyRefresh)
	if _, err := v.Verify(bearerReq(nope)); err != nil {
		t.Fatalf("the kid published after its first refusal: %v", err)
	}
}

func TestRemote_unknown_kid_refresh_shared_by_concurrent_requests(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	ks.set(func(ks *keyServer) { ks.delay = 50 * time.Millisecond })
	clk.Advance(time.Hour)
	tok := tokenFor(ks.URL, fx.ec2, "ES256", "unknown")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(bearerReq(tok))
			wantReject(t, err, verifiers.TokenKeyUnknown)
		}()
	}
	wg.Wait()
	if n := ks.jwksHits.Load(); n != 2 {
		t.Fatalf("50 concurrent unknown-kid requests made %d fetches in all, want 2 (New + one shared)", n)
	}
	// Still limited for the rest of the interval, then one more.
	clk.Advance(DefaultUnknownKeyRefresh - time.Second)
	_, _ = v.Verify(bearerReq(tok))
	if n := ks.jwksHits.Load(); n != 2 {
		t.Fatalf("fetches = %d within the interval, want 2", n)
	}
	clk.Advance(time.Second)
	_, _ = v.Verify(bearerReq(tok))
	if n := ks.jwksHits.Load(); n != 3 {
		t.Fatalf("fetches = %d after the interval, want 3", n)
	}
}

func TestRemote_bad_set_refused_previous_kept(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	// The server now publishes a duplicate kid: refused.
	ks.set(func(ks *keyServer) {
		ks.keys = []map[string]any{jwkOf(fx.ec2, "ec2", "ES256"), jwkOf(fx.ec, "ec2", "ES256")}
	})
	clk.Advance(time.Minute)
	// The refused set is a failed fetch: the new kid may be valid, 503.
	_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2")))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Detail, "the latest fetch, at 2026-11-28T10:01:00Z, failed") || !strings.Contains(ue.Err.Error(), `kid 'ec2' appears on two keys`) {
		t.Errorf("err = %v, want a 503 naming the refused set", err)
	}
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1"))); err != nil {
		t.Fatalf("the previous set must stay in use: %v", err)
	}
	var ev map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		_ = json.Unmarshal([]byte(line), &m)
		if m["level"] == "error" {
			ev = m
		}
	}
	if ev == nil || !strings.Contains(ev["message"].(string), "previous key set stays in use") ||
		!strings.Contains(ev["error"].(string), "appears on two keys") || ev["keys"] != float64(1) {
		t.Fatalf("want an error event about the refused set, got %s", logs.String())
	}
}

func TestRemote_E12_unreachable_nothing_cached_is_503(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	ks.status = http.StatusInternalServerError
	v, clk, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	if !strings.Contains(logs.String(), `"level":"error"`) || !strings.Contains(logs.String(), "no key set is cached") {
		t.Fatalf("first failure not logged at error: %s", logs.String())
	}
	tok := tokenFor(ks.URL, fx.ec, "ES256", "ec1")
	_, err := v.Verify(bearerReq(tok))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnavailableError", err)
	}
	if ue.RetryAfter != DefaultUnknownKeyRefresh || !strings.Contains(ue.Detail, "no key set for issuer") || !strings.Contains(ue.Err.Error(), "status 500") {
		t.Fatalf("unavailable = %+v (%v)", ue, ue.Err)
	}
	res := throughGate(t, v, bearerReq(tok))
	if res.status != 503 || res.header.Get("Retry-After") != "30" || res.header.Get("Www-Authenticate") != "" {
		t.Fatalf("status %d Retry-After %q WWW-Authenticate %q", res.status, res.header.Get("Retry-After"), res.header.Get("Www-Authenticate"))
	}
	ev := res.refusal(t)
	if ev["reason"] != string(verifiers.VerifierUnavailable) || ev["level"] != "error" {
		t.Fatalf("event %v", ev)
	}
	res.noSecret(t, tok)
	if n := ks.jwksHits.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1: requests within the interval must not hammer the key server", n)
	}
	// Once the server recovers and the interval has passed, a request
	// fetches the set and succeeds.
	ks.set(func(ks *keyServer) { ks.status = 0; ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256")} })
	clk.Advance(DefaultUnknownKeyRefresh)
	if _, err := v.Verify(bearerReq(tok)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRemote_unreachable_with_cache_keeps_serving(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	ks.set(func(ks *keyServer) { ks.status = http.StatusBadGateway })
	clk.Advance(time.Minute)
	_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "new")))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Err.Error(), "status 502") {
		t.Errorf("err = %v, want 503 with the 502 as its cause", err)
	}
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1"))); err != nil {
		t.Fatalf("cached set must keep serving: %v", err)
	}
	if !strings.Contains(logs.String(), "key set refresh failed; the previous key set stays in use") {
		t.Fatalf("failed refresh not logged: %s", logs.String())
	}
}

func TestRemote_Discovery(t *testing.T) {
	t.Parallel()
	t.Run("openid_configuration", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.rsa, "r1", ""))
		v, _, _ := remoteVerifier(t, ks, Discovery())
		if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.rsa, "RS256", "r1"))); err != nil {
			t.Fatal(err)
		}
		if ks.oidcHits.Load() != 1 || ks.asHits.Load() != 0 || ks.jwksHits.Load() != 1 {
			t.Fatalf("hits oidc=%d as=%d jwks=%d", ks.oidcHits.Load(), ks.asHits.Load(), ks.jwksHits.Load())
		}
	})
	t.Run("rfc8414_fallback", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.ed, "e1", ""))
		ks.oidc = false
		v, _, _ := remoteVerifier(t, ks, Discovery())
		if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ed, "EdDSA", "e1"))); err != nil {
			t.Fatal(err)
		}
		if ks.oidcHits.Load() != 1 || ks.asHits.Load() != 1 {
			t.Fatalf("hits oidc=%d as=%d", ks.oidcHits.Load(), ks.asHits.Load())
		}
	})
	t.Run("issuer_in_document_differs", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
		// Configured with a trailing slash; the issuer writes none.
		clk := authgatetest.NewClock(t0)
		logs := &authgatetest.Log{}
		v, err := New(context.Background(), testAud, []Issuer{{URL: ks.URL + "/", Keys: Discovery()}}, WithClock(clk.Now), WithLogger(zerolog.New(logs)))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if !strings.Contains(logs.String(), "names the issuer") {
			t.Fatalf("mismatch not logged: %s", logs.String())
		}
		tok := tokenFor(ks.URL, fx.ec, "ES256", "ec1")
		res := throughGate(t, v, bearerReq(tok))
		if res.status != 401 || res.header.Get("Www-Authenticate") != invalidToken(verifiers.TokenIssuerMismatch) {
			t.Fatalf("status %d %q", res.status, res.header.Get("Www-Authenticate"))
		}
		ev := res.refusal(t)
		hint := ev["hint"].(string)
		if !strings.Contains(hint, "discovery document of the configured issuer '"+ks.URL+"/' names its issuer '"+ks.URL+"'") {
			t.Fatalf("hint = %q", hint)
		}
		if !strings.Contains(ev["detail"].(string), ks.URL+`'; this verifier trusts '`+ks.URL+`/'`) {
			t.Fatalf("detail = %q", ev["detail"])
		}
	})
}

func TestRemote_E10_header_urls_never_fetched(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	attacker := newKeyServer(t, jwkOf(fx.ec2, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	clk.Advance(time.Hour) // every refresh allowed
	base := claims("iss", ks.URL)
	tests := map[string]map[string]any{
		"jku":         {"kid": "ec1", "jku": attacker.URL + "/jwks"},
		"x5u":         {"kid": "ec1", "x5u": attacker.URL + "/cert.pem"},
		"jwk":         {"kid": "ec1", "jwk": jwkOf(fx.ec2, "ec1", "ES256")},
		"x5c":         {"kid": "ec1", "x5c": []string{"MIIBdGVzdA=="}},
		"jku_no_kid":  {"jku": attacker.URL + "/jwks"},
		"jku_unknown": {"kid": "attacker", "jku": attacker.URL + "/jwks"},
	}
	for name, hdr := range tests {
		// Signed with the attacker's key, which the headers point to.
		_, err := v.Verify(bearerReq(sign("ES256", fx.ec2, hdr, base)))
		var rej *verifiers.Rejection
		if !errors.As(err, &rej) || (rej.Reason != verifiers.TokenSignatureInvalid && rej.Reason != verifiers.TokenKeyUnknown) {
			t.Errorf("%s: err = %v, want a signature or key rejection", name, err)
		}
	}
	total := attacker.jwksHits.Load() + attacker.oidcHits.Load() + attacker.asHits.Load() + attacker.otherHits.Load()
	if total != 0 {
		t.Fatalf("the attacker's server saw %d requests; want 0", total)
	}
}

func TestRemote_multi_tenant(t *testing.T) {
	t.Parallel()
	a := authgatetest.NewIssuer(t, authgatetest.WithKeyID("k1"), authgatetest.WithAudience(testAud))
	b := authgatetest.NewIssuer(t, authgatetest.WithKeyID("k1"), authgatetest.WithAudience(testAud)) // same kid, other key
	tenantB := b.URL() + "/tenant-b"
	v, err := New(context.Background(), testAud, []Issuer{
		{URL: a.URL(), Keys: Discovery()},
		{URL: tenantB, Keys: JWKSURL(b.JWKSURL())},
	}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(bearerReq(a.Token(t))); err != nil {
		t.Fatalf("tenant a: %v", err)
	}
	if _, err := v.Verify(bearerReq(b.Token(t, authgatetest.Claim("iss", tenantB)))); err != nil {
		t.Fatalf("tenant b: %v", err)
	}
	// E3: b's token claiming a's issuer is checked with a's keys only.
	_, err = v.Verify(bearerReq(b.Token(t, authgatetest.Claim("iss", a.URL()))))
	wantReject(t, err, verifiers.TokenSignatureInvalid)
	_, err = v.Verify(bearerReq(b.Token(t)))
	rej := wantReject(t, err, verifiers.TokenIssuerMismatch)
	if !strings.Contains(rej.Detail, `this verifier trusts '`+a.URL()+`', '`+tenantB+`'`) {
		t.Fatalf("detail = %q", rej.Detail)
	}
}

func TestRemote_limits(t *testing.T) {
	t.Parallel()
	t.Run("response_over_size_cap", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t)
		ks.raw = append(jwks(jwkOf(fx.ec, "ec1", "ES256")), bytes.Repeat([]byte(" "), 2000)...)
		v, _, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithMaxResponseBytes(1000))
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1")))
		var ue *verifiers.UnavailableError
		if !errors.As(err, &ue) || !strings.Contains(ue.Err.Error(), "over 1000 bytes") {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(logs.String(), "over 1000 bytes") {
			t.Fatal("not logged")
		}
	})
	t.Run("fetch_timeout", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
		ks.delay = 2 * time.Second
		start := time.Now()
		v, _, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithFetchTimeout(100*time.Millisecond))
		if time.Since(start) > time.Second {
			t.Fatalf("New took %v despite the 100ms fetch timeout", time.Since(start))
		}
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1")))
		var ue *verifiers.UnavailableError
		if !errors.As(err, &ue) || !errors.Is(ue.Err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("oct_keys_from_url_refused", func(t *testing.T) {
		t.Parallel()
		ks := newKeyServer(t, jwkOf(fx.secret, "h", "HS256"))
		v, _, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
		_, err := v.Verify(bearerReq(sign("HS256", fx.secret, map[string]any{"kid": "h"}, claims("iss", ks.URL))))
		wantReject(t, err, verifiers.TokenAlgNotAllowed)
		if !strings.Contains(logs.String(), "shared secrets are only taken from static configuration") {
			t.Fatalf("log: %s", logs.String())
		}
	})
}

func TestRemote_background_refresh_honours_cache_control(t *testing.T) {
	t.Parallel()
	fast := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	fast.cacheControl = "max-age=0, must-revalidate"
	slow := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	slow.cacheControl = "public, max-age=3600"
	vf, _, _ := remoteVerifier(t, fast, JWKSURL(fast.URL+"/jwks"), WithRefreshInterval(40*time.Millisecond, time.Hour))
	vs, _, _ := remoteVerifier(t, slow, JWKSURL(slow.URL+"/jwks"), WithRefreshInterval(40*time.Millisecond, time.Hour))
	deadline := time.Now().Add(3 * time.Second)
	for fast.jwksHits.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := fast.jwksHits.Load(); n < 4 {
		t.Fatalf("max-age=0 with a 40ms minimum: %d fetches, want >= 4", n)
	}
	if n := slow.jwksHits.Load(); n != 1 {
		t.Fatalf("max-age=3600: %d fetches, want 1", n)
	}
	// Close stops the loop: no fetch afterwards.
	vf.Close()
	vs.Close()
	n := fast.jwksHits.Load()
	time.Sleep(150 * time.Millisecond)
	if m := fast.jwksHits.Load(); m != n {
		t.Fatalf("fetches went on after Close: %d -> %d", n, m)
	}
}

func TestRemote_New_with_done_context_fails(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(ctx, testAud, []Issuer{{URL: ks.URL, Keys: JWKSURL(ks.URL + "/jwks")}}, quiet()); !errors.Is(err, context.Canceled) {
		t.Fatalf("New with a cancelled context: %v", err)
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"":                              0,
		"max-age=600":                   600 * time.Second,
		"public, max-age=60, immutable": 60 * time.Second,
		"no-store":                      time.Nanosecond,
		"no-cache":                      time.Nanosecond,
		"max-age=0":                     time.Nanosecond,
		"max-age=abc":                   0,
		"max-age=-5":                    0,
		`max-age="120"`:                 120 * time.Second,
		"max-age=99999999999":           365 * 24 * time.Hour,
	} {
		if got := maxAge(in); got != want {
			t.Errorf("maxAge(%q) = %v, want %v", in, got, want)
		}
	}
	if clamp(time.Nanosecond, time.Minute, time.Hour) != time.Minute || clamp(0, time.Minute, time.Hour) != time.Hour ||
		clamp(2*time.Hour, time.Minute, time.Hour) != time.Hour || clamp(10*time.Minute, time.Minute, time.Hour) != 10*time.Minute {
		t.Fatal("clamp")
	}
}

// hungAfterFirstFetch returns a verifier that has fetched key from a key
// server which now hangs for longer than MaxFetchWait, with its clock a
// minute on, so that an unknown kid may trigger a refetch.
func hungAfterFirstFetch(t *testing.T, key map[string]any) (*keyServer, *Verifier) {
	t.Helper()
	ks := newKeyServer(t, key)
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	ks.set(func(ks *keyServer) { ks.delay = MaxFetchWait + time.Second })
	clk.Advance(time.Minute)
	return ks, v
}

// TestRemote_hung_key_server_costs_a_request_at_most_MaxFetchWait: with
// the default fetch timeout (10 s), a request without a deadline of its
// own that needs a fetch (an unknown kid) stops waiting after
// MaxFetchWait and gets 503, not 401: the key may be in the set being
// fetched. A token with a known kid is not held up at all.
func TestRemote_hung_key_server_costs_a_request_at_most_MaxFetchWait(t *testing.T) {
	t.Parallel()
	ks, v := hungAfterFirstFetch(t, jwkOf(fx.ec, "ec1", "ES256"))
	unknown := tokenFor(ks.URL, fx.ec2, "ES256", "rotated")
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := v.Verify(bearerReq(unknown))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1"))); err != nil {
		t.Fatalf("known kid during a hung fetch: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a known kid took %v during a hung fetch", d)
	}
	err := <-done
	took := time.Since(start)
	if took < MaxFetchWait-100*time.Millisecond || took > MaxFetchWait+time.Second {
		t.Errorf("the unknown-kid request took %v, want about MaxFetchWait (%v)", took, MaxFetchWait)
	}
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnavailableError (503)", err)
	}
	if !strings.Contains(ue.Detail, `no key with kid 'rotated' in the cached key set`) || !strings.Contains(ue.Detail, "did not finish in time") || ue.RetryAfter != time.Second {
		t.Errorf("unavailable = %q, RetryAfter %v", ue.Detail, ue.RetryAfter)
	}
}

// TestRemote_pending_fetch_without_kid_says_so: a token without kid that
// no cached key can verify, while the refetch hangs, gets a 503 whose
// detail says the token has no kid, rather than quoting an empty one.
func TestRemote_pending_fetch_without_kid_says_so(t *testing.T) {
	t.Parallel()
	ks, v := hungAfterFirstFetch(t, jwkOf(fx.rsa, "rsa1", "RS256"))
	tok := sign("ES256", fx.ec, map[string]any{}, claims("iss", ks.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := v.Verify(bearerReq(tok).WithContext(ctx))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want UnavailableError (503)", err)
	}
	if want := "no key for this ES256 token (it has no kid) in the cached key set of issuer"; !strings.Contains(ue.Detail, want) || strings.Contains(ue.Detail, `kid ''`) {
		t.Errorf("detail %q, want it to contain %q", ue.Detail, want)
	}
}
