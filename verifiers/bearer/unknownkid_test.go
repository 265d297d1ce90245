package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// unknownKidTokens are tokens whose kid no key of allKeys has, with claims
// of every kind the short way of an unknown kid (unknownKid) must either
// word as verify does or leave to it.
func unknownKidTokens() map[string]string {
	es := func(hdr map[string]any, c any) string {
		h := map[string]any{"kid": "nope"}
		for k, v := range hdr {
			h[k] = v
		}
		return sign("ES256", fx.ec, h, c)
	}
	many := claims()
	for i := range 40 {
		many[fmt.Sprintf("c%d", i)] = i
	}
	return map[string]string{
		"plain":            es(nil, claims()),
		"no_sub_no_jti":    es(nil, claims("sub", nil, "jti", nil)),
		"empty_sub":        es(nil, claims("sub", "")),
		"sub_number":       es(nil, claims("sub", 42)),
		"jti_object":       es(nil, claims("jti", map[string]any{"a": 1})),
		"escaped_sub":      es(nil, []byte(`{"iss":"`+testIss+`","sub":"us\u0065r\n","exp":1}`)),
		"iss_missing":      es(nil, claims("iss", nil)),
		"iss_number":       es(nil, claims("iss", 7)),
		"iss_empty":        es(nil, claims("iss", "")),
		"iss_other":        es(nil, claims("iss", "https://other.example.com/")),
		"claim_twice":      es(nil, []byte(`{"iss":"`+testIss+`","sub":"a","sub":"b"}`)),
		"nested_twice":     es(nil, []byte(`{"iss":"`+testIss+`","cnf":{"k":1,"k":2}}`)),
		"not_json":         es(nil, []byte(`{"iss":"`+testIss+`",}`)),
		"not_object":       es(nil, []byte(`["x"]`)),
		"trailing":         es(nil, []byte(`{"iss":"`+testIss+`"} {}`)),
		"number_too_large": es(nil, []byte(`{"iss":"`+testIss+`","exp":1e999}`)),
		"many_claims":      es(nil, many),
		"typ_number":       es(map[string]any{"typ": 1}, claims()),
		"crit":             es(map[string]any{"crit": []any{"x"}}, claims()),
		"enc":              es(map[string]any{"enc": "A128GCM"}, claims()),
		"cty_jwt":          es(map[string]any{"cty": "JWT"}, claims()),
		"alg_hs256":        sign("HS256", []byte("0123456789abcdef0123456789abcdef"), map[string]any{"kid": "nope"}, claims()),
		"rs256_kid":        sign("RS256", fx.rsa, map[string]any{"kid": "nope"}, claims()),
	}
}

// TestUnknownKid_same_outcome_as_the_long_way: for a token whose kid is in
// no set, the short way gives exactly the outcome (reason, detail, hint,
// attributes) of decoding the claims as for any other token.
func TestUnknownKid_same_outcome_as_the_long_way(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys(), WithTokenCache(0, 0))
	for name, tok := range unknownKidTokens() {
		v.longWay = false
		_, short := v.Verify(bearerReq(tok))
		v.longWay = true
		_, long := v.Verify(bearerReq(tok))
		if !reflect.DeepEqual(short, long) {
			t.Errorf("%s: short way %#v\nlong way %#v", name, short, long)
		}
	}
	v.longWay = false
	_, err := v.Verify(bearerReq(unknownKidTokens()["plain"]))
	rej := wantReject(t, err, verifiers.TokenKeyUnknown)
	want := []verifiers.Attr{{Key: verifiers.AttrKid, Value: "nope"}, {Key: verifiers.AttrIssuer, Value: testIss},
		{Key: verifiers.AttrSubject, Value: "user-42"}, {Key: verifiers.AttrJTI, Value: "jti-7"}}
	if !reflect.DeepEqual(rej.Attrs, want) || !strings.Contains(rej.Detail, `no key with kid 'nope'`) || rej.Hint == "" {
		t.Errorf("rejection %#v", rej)
	}
}

// TestUnknownKid_cheap: an unknown kid on a static set is refused without
// decoding the claims into a map or wording the detail again (37
// allocations before; the floor is the request's parse, the header and
// the claims texts, and the rejection).
func TestUnknownKid_cheap(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	v := staticVerifier(t, allKeys(), WithTokenCache(0, 0))
	r := bearerReq(unknownKidTokens()["plain"])
	n := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(r); err == nil {
			t.Fatal("accepted")
		}
	})
	if n > 3 {
		t.Errorf("%.0f allocations for an unknown kid, want at most 3", n)
	}
}

// TestRefusal_cheap: an expired token and a bad signature are refused
// without decoding the claims into a map (ReadClaims reads the claims
// they are refused on) and, for a signature refused again and again,
// without wording the detail again (badSignatureDetail): EdDSA, whose
// signature check allocates once, took 32 and 31 allocations before
// (the candidate key of a kid, errors.As, a JWS apart from the token
// struct, the decoded signature and the rejection apart from its
// attributes cost one each too).
func TestRefusal_cheap(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	v := staticVerifier(t, allKeys(), WithTokenCache(0, 0))
	good := sign("EdDSA", fx.ed, map[string]any{"kid": "ed1"}, claims())
	for _, c := range []struct {
		name   string
		tok    string
		reason verifiers.Reason
		max    float64
	}{
		{"expired", sign("EdDSA", fx.ed, map[string]any{"kid": "ed1"}, claims("exp", t0.Add(-time.Hour).Unix())), verifiers.TokenExpired, 5},
		{"bad_signature", flipSig(good), verifiers.TokenSignatureInvalid, 5},
	} {
		r := bearerReq(c.tok)
		_, err := v.Verify(r)
		wantReject(t, err, c.reason)
		n := testing.AllocsPerRun(100, func() { _, _ = v.Verify(r) })
		if n > c.max {
			t.Errorf("%s: %.0f allocations, want at most %.0f", c.name, n, c.max)
		}
	}
}

// TestUnknownKid_no_flight: with the token cache on, a token whose kid is
// in no static set does not go through the single flight (a goroutine
// and two channel operations, more than its whole verification), while
// a token with a known kid still does.
func TestUnknownKid_no_flight(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	var mu sync.Mutex
	led := 0
	v.caches.beforeVerify = func() { mu.Lock(); led++; mu.Unlock() }
	_, err := v.Verify(bearerReq(unknownKidTokens()["plain"]))
	wantReject(t, err, verifiers.TokenKeyUnknown)
	if led != 0 {
		t.Errorf("an unknown kid led %d flights, want 0", led)
	}
	if _, err := v.Verify(bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))); err != nil {
		t.Fatal(err)
	}
	if led != 1 {
		t.Errorf("a known kid led %d flights, want 1", led)
	}
}

// TestRemote_unknown_kid_joins_the_running_fetch: while a fetch runs
// (its start makes the rate limit hold), a token with a kid the cached
// set lacks waits for it, and gets the key it brings, rather than the
// short way's token_key_unknown.
func TestRemote_unknown_kid_joins_the_running_fetch(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	ks.set(func(ks *keyServer) {
		ks.keys = append(ks.keys, jwkOf(fx.ec2, "ec2", "ES256"))
		ks.delay = 300 * time.Millisecond
	})
	clk.Advance(DefaultUnknownKeyRefresh)
	first := make(chan error, 1)
	go func() {
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2", "jti", "first")))
		first <- err
	}()
	for ks.jwksHits.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2", "jti", "second"))); err != nil {
		t.Errorf("a token of the key being fetched, during the fetch: %v", err)
	}
	if err := <-first; err != nil {
		t.Errorf("the token that started the fetch: %v", err)
	}
	if n := ks.jwksHits.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
}

// panicky is a RoundTripper that panics while armed, and otherwise asks
// the real transport.
type panicky struct{ armed atomic.Bool }

func (p *panicky) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.armed.Load() {
		panic("transport boom")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestRemote_panicked_fetch_is_not_running: a fetch that panics (the
// flight recovers it and the caller sees the panic) is over, and failed:
// it no longer counts as running (it did until the next fetch ended), and
// an unknown kid right after it, within the rate limit its start set, is
// answered 503 naming the panic, as after any failed fetch, not 401 on
// the strength of the set fetched before it.
func TestRemote_panicked_fetch_is_not_running(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	tr := &panicky{}
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithHTTPClient(&http.Client{Transport: tr}))
	unknown := func(jti string) error {
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2", "jti", jti)))
		return err
	}
	tr.armed.Store(true)
	clk.Advance(DefaultUnknownKeyRefresh)
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Fatal("the panicking fetch did not reach the caller")
			}
		}()
		_ = unknown("during")
	}()
	tr.armed.Store(false)
	is := v.issuers[ks.URL]
	is.mu.Lock()
	fetching, lastErr := is.fetching, is.lastErr
	is.mu.Unlock()
	if fetching || !errors.Is(lastErr, errFetchPanicked) {
		t.Errorf("after the panicked fetch: fetching %v, last error %v; want false and %v", fetching, lastErr, errFetchPanicked)
	}
	err := unknown("after")
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, errFetchPanicked) || ue.RetryAfter <= 0 {
		t.Fatalf("an unknown kid after a panicked fetch: %v, want 503 verifier_unavailable naming the panic, with Retry-After", err)
	}
}

// TestBadSignature_words_remembered_per_key: the detail a set remembers
// for the last bad signature is given again only for the same keys
// tried: forgeries against two kids in turn are each worded for their
// own key, those of one alg and those of two.
func TestBadSignature_words_remembered_per_key(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, append(allKeys(), jwkOf(fx.ec, "ec2", "ES256")), WithTokenCache(0, 0))
	forged := func(alg, kid string, k any) string {
		return flipSig(sign(alg, k, map[string]any{"kid": kid}, claims()))
	}
	ec, ec2, ed := forged("ES256", "ec1", fx.ec), forged("ES256", "ec2", fx.ec), forged("EdDSA", "ed1", fx.ed)
	for i, c := range []struct{ tok, want string }{
		{ec, "key kid 'ec1' (ES256)"}, {ec, "key kid 'ec1' (ES256)"}, {ec2, "key kid 'ec2' (ES256)"},
		{ed, "key kid 'ed1' (EdDSA)"}, {ec, "key kid 'ec1' (ES256)"},
	} {
		_, err := v.Verify(bearerReq(c.tok))
		rej := wantReject(t, err, verifiers.TokenSignatureInvalid)
		if !strings.Contains(rej.Detail, c.want) {
			t.Errorf("forgery %d: detail %q, want %q in it", i, rej.Detail, c.want)
		}
	}
}
