package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

// The verified-token cache's rules (issue 7), one test each: a hit is the
// same identity without a signature check; no entry is served past exp
// (nor its TTL, nor before nbf/iat); an entry whose key left the key set
// is dropped on the next request; both bounds hold, also under a flood;
// WithTokenCache(0, 0) verifies every request; rejections are remembered
// only while the key sets are unchanged. checks counts full
// verifications, which is how a test tells a hit from a miss.

func checks(v *Verifier) int64 { return v.caches.checks.Load() }

// secretVerifier is a verifier with an HS256 shared secret, cheap to sign
// and verify with, at the given clock.
func secretVerifier(t testing.TB, now func() time.Time, opts ...Option) *Verifier {
	t.Helper()
	opts = append([]Option{WithClock(now), quiet()}, opts...)
	v, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func hsToken(kv ...any) string { return sign("HS256", fx.secret, nil, claims(kv...)) }

func TestTokenCache_hit(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys(), WithQueryTokens())
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	a, err := v.Verify(bearerReq(tok))
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Verify(bearerReq(tok))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("a hit must return the same *Identity")
	}
	if n := checks(v); n != 1 {
		t.Errorf("full verifications = %d, want 1", n)
	}
	// C9: the same token from the query gets its own Source (the gate
	// marks such responses private), still without a verification.
	q, err := v.Verify(httptest.NewRequest(http.MethodGet, "/?access_token="+tok, nil))
	if err != nil {
		t.Fatal(err)
	}
	if q.Source.In != verifiers.InQuery || a.Source.In != verifiers.InAuthorization || q.Subject != "user-42" {
		t.Errorf("sources: query %v, header %v", q.Source, a.Source)
	}
	if n := checks(v); n != 1 {
		t.Errorf("full verifications = %d after the query request, want 1", n)
	}
	// A token first seen in the query is cached with the header's Source.
	tok2 := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("jti", "q"))
	q2, _ := v.Verify(httptest.NewRequest(http.MethodGet, "/?access_token="+tok2, nil))
	h2, _ := v.Verify(bearerReq(tok2))
	if q2 == nil || h2 == nil || q2.Source.In != verifiers.InQuery || h2.Source.In != verifiers.InAuthorization {
		t.Fatalf("sources: %+v %+v", q2, h2)
	}
	if h3, _ := v.Verify(bearerReq(tok2)); h3 != h2 || checks(v) != 2 {
		t.Errorf("a token first seen in the query: header hits must share one identity (checks %d)", checks(v))
	}
}

func TestTokenCache_expiry(t *testing.T) {
	t.Parallel()
	clk := authgatetest.NewClock(t0)
	v := secretVerifier(t, clk.Now)
	exp := t0.Add(2 * time.Minute)
	tok := hsToken("exp", exp.Unix(), "nbf", t0.Unix())
	first, err := v.Verify(bearerReq(tok))
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, at time.Time, wantChecks int64, wantSame bool, reason verifiers.Reason) {
		t.Helper()
		clk.Set(at)
		id, err := v.Verify(bearerReq(tok))
		switch {
		case reason != "":
			wantReject(t, err, reason)
		case err != nil:
			t.Fatalf("%s: %v", name, err)
		case (id == first) != wantSame:
			t.Errorf("%s: served from cache = %v, want %v", name, id == first, wantSame)
		}
		if n := checks(v); n != wantChecks {
			t.Errorf("%s: full verifications = %d, want %d", name, n, wantChecks)
		}
	}
	step("just_before_exp", exp.Add(-time.Nanosecond), 1, true, "")
	// From exp on, never from the cache: verified again, and accepted
	// within the leeway, but not cached (the next request verifies too).
	step("at_exp", exp, 2, false, "")
	step("at_exp_again", exp.Add(time.Second), 3, false, "")
	step("past_leeway", exp.Add(DefaultLeeway), 4, false, verifiers.TokenExpired)
	// A clock set back before nbf - leeway: the cached entry is not
	// served either (the token is not valid yet).
	tok2 := hsToken("exp", exp.Unix(), "nbf", t0.Unix(), "jti", "2")
	step2 := func(at time.Time) (*verifiers.Identity, error) {
		clk.Set(at)
		return v.Verify(bearerReq(tok2))
	}
	if _, err := step2(t0); err != nil {
		t.Fatal(err)
	}
	_, err = step2(t0.Add(-DefaultLeeway - time.Second))
	wantReject(t, err, verifiers.TokenNotYetValid)

	// The TTL: a token valid for ever (exp in the year 36,812, beyond
	// what UnixNano holds) is verified again after TokenCacheTTL.
	tok3 := hsToken("exp", int64(1)<<40, "nbf", -(int64(1) << 40), "jti", "3")
	clk.Set(t0)
	a, _ := v.Verify(bearerReq(tok3))
	n := checks(v)
	clk.Advance(TokenCacheTTL - time.Nanosecond)
	if b, _ := v.Verify(bearerReq(tok3)); b != a || checks(v) != n {
		t.Error("within the TTL: not served from the cache")
	}
	clk.Advance(time.Nanosecond)
	if b, _ := v.Verify(bearerReq(tok3)); b == a || b == nil || checks(v) != n+1 {
		t.Error("at the TTL: served from the cache")
	}
}

func TestTokenCache_key_removal(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"), jwkOf(fx.ec2, "ec2", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	tok1 := tokenFor(ks.URL, fx.ec, "ES256", "ec1")
	tok2 := tokenFor(ks.URL, fx.ec2, "ES256", "ec2")
	id1 := must(v.Verify(bearerReq(tok1)))
	id2 := must(v.Verify(bearerReq(tok2)))
	// refetch makes the verifier fetch the set again, as a token with an
	// unknown kid does once the unknown-key interval has passed.
	fetches := 1
	refetch := func() {
		t.Helper()
		clk.Advance(DefaultUnknownKeyRefresh)
		_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "unknown")))
		// A refused set is a failed fetch: the unknown kid gets 503.
		if ue := (*verifiers.UnavailableError)(nil); !errors.As(err, &ue) {
			wantReject(t, err, verifiers.TokenKeyUnknown)
		}
		fetches++
		if n := int(ks.jwksHits.Load()); n != fetches {
			t.Fatalf("fetches = %d, want %d", n, fetches)
		}
	}

	// The same keys fetched again: both tokens still served from the
	// cache.
	refetch()
	n := checks(v)
	if got := must(v.Verify(bearerReq(tok1))); got != id1 || checks(v) != n {
		t.Error("a set fetched again with the same key dropped the entry")
	}

	// ec1 leaves the set: the very next request with tok1 is verified
	// again and refused, while tok2 is still a hit.
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.ec2, "ec2", "ES256")} })
	refetch()
	n = checks(v)
	_, err := v.Verify(bearerReq(tok1))
	wantReject(t, err, verifiers.TokenKeyUnknown)
	if checks(v) != n+1 {
		t.Error("tok1 was answered from the cache after its key left the set")
	}
	if got := must(v.Verify(bearerReq(tok2))); got != id2 || checks(v) != n+1 {
		t.Error("tok2, whose key stayed, was not served from the cache")
	}

	// kid ec2 now names another key: tok2's entry is dropped and its
	// signature no longer verifies.
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.ec, "ec2", "ES256")} })
	refetch()
	_, err = v.Verify(bearerReq(tok2))
	wantReject(t, err, verifiers.TokenSignatureInvalid)

	// A refused set changes nothing: the previous set stays in use, and
	// so do the entries.
	ks.set(func(ks *keyServer) {
		ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256"), jwkOf(fx.ec2, "ec2", "ES256")}
	})
	refetch()
	id2 = must(v.Verify(bearerReq(tok2)))
	ks.set(func(ks *keyServer) { ks.raw = []byte(`{"keys":[]}`) })
	refetch()
	n = checks(v)
	if got := must(v.Verify(bearerReq(tok2))); got != id2 || checks(v) != n {
		t.Error("a refused set dropped an entry")
	}
}

// TestTokenCache_key_rebound: the same key material bound to another
// algorithm is another key.
func TestTokenCache_key_rebound(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.rsa, "r1", "RS256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	tok := tokenFor(ks.URL, fx.rsa, "RS256", "r1")
	must(v.Verify(bearerReq(tok)))
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.rsa, "r1", "PS256")} })
	clk.Advance(DefaultUnknownKeyRefresh)
	_, _ = v.Verify(bearerReq(tokenFor(ks.URL, fx.rsa, "RS256", "unknown")))
	_, err := v.Verify(bearerReq(tok))
	wantReject(t, err, verifiers.TokenAlgNotAllowed)
}

func TestTokenCache_key_without_kid(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "", "ES256"))
	v, _, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	tok := sign("ES256", fx.ec, nil, claims("iss", ks.URL))
	id := must(v.Verify(bearerReq(tok)))
	// The kid-less key is replaced by another kid-less key.
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.ec2, "", "ES256")} })
	if _, err := v.refresh(context.Background(), v.order[0], true); err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(bearerReq(tok))
	wantReject(t, err, verifiers.TokenSignatureInvalid)
	if got == id {
		t.Error("served from the cache")
	}
}

func TestTokenCache_bound_entries(t *testing.T) {
	t.Parallel()
	v := secretVerifier(t, func() time.Time { return t0 }, WithTokenCache(8, 1<<20))
	var toks []string
	for i := range 8 {
		toks = append(toks, hsToken("jti", fmt.Sprint(i)))
		must(v.Verify(bearerReq(toks[i])))
	}
	if n, _ := v.caches.accepted.stats(); n != 8 {
		t.Fatalf("entries = %d, want 8", n)
	}
	// A hit gives token 0 a second chance: the next insertion evicts
	// token 1 instead (CLOCK).
	hit := must(v.Verify(bearerReq(toks[0])))
	must(v.Verify(bearerReq(hsToken("jti", "8"))))
	if n, _ := v.caches.accepted.stats(); n != 8 {
		t.Fatalf("entries = %d after one more, want 8", n)
	}
	n := checks(v)
	if must(v.Verify(bearerReq(toks[0]))) != hit || checks(v) != n {
		t.Error("the recently used token was evicted")
	}
	must(v.Verify(bearerReq(toks[1])))
	if checks(v) != n+1 {
		t.Error("token 1 was not evicted")
	}
	// A flood of new tokens keeps the count at the bound.
	for i := range 100 {
		must(v.Verify(bearerReq(hsToken("jti", fmt.Sprint("flood", i)))))
		if n, _ := v.caches.accepted.stats(); n > 8 {
			t.Fatalf("entries = %d, over the bound of 8", n)
		}
	}
}

func TestTokenCache_bound_bytes(t *testing.T) {
	t.Parallel()
	const maxBytes = 16 << 10
	v := secretVerifier(t, func() time.Time { return t0 }, WithTokenCache(1000, maxBytes))
	var size int64
	for i := range 60 {
		tok := hsToken("jti", fmt.Sprint(i), "pad", strings.Repeat("x", 300))
		must(v.Verify(bearerReq(tok)))
		n, b := v.caches.accepted.stats()
		if b > maxBytes {
			t.Fatalf("bytes = %d, over the bound %d", b, maxBytes)
		}
		if i == 0 {
			size = b
			if size < int64(len(tok)) {
				t.Fatalf("an entry counts %d bytes, less than its token (%d)", size, len(tok))
			}
		}
		if want := min(i+1, int(maxBytes/size)); n != want {
			t.Fatalf("after %d tokens: entries = %d, want %d (entry size %d)", i+1, n, want, size)
		}
	}
	// An entry larger than the whole budget is not cached at all.
	big := hsToken("pad", strings.Repeat("x", maxBytes))
	v2 := secretVerifier(t, func() time.Time { return t0 }, WithTokenCache(1000, maxBytes), WithMaxTokenBytes(64<<10))
	must(v2.Verify(bearerReq(big)))
	must(v2.Verify(bearerReq(big)))
	if n, _ := v2.caches.accepted.stats(); n != 0 || checks(v2) != 2 {
		t.Errorf("an oversized entry was cached (entries %d, checks %d)", n, checks(v2))
	}
}

// TestTokenCache_bound_sharded floods a sharded cache directly: the
// shards' bounds add up to at most the configured ones.
func TestTokenCache_bound_sharded(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		entries int
		bytes   int64
	}{{DefaultTokenCacheEntries, DefaultTokenCacheBytes}, {1000, 1 << 20}, {1, 1}, {100, 100 << 20}, {1 << 20, 70 << 10}} {
		c := newTokenCache[int](b.entries, b.bytes)
		if got := len(c.shards) * c.maxEntries; got > b.entries || c.maxEntries < 1 {
			t.Errorf("%v: %d shards of %d entries", b, len(c.shards), c.maxEntries)
		}
		if got := int64(len(c.shards)) * c.maxBytes; got > b.bytes {
			t.Errorf("%v: %d shards of %d bytes", b, len(c.shards), c.maxBytes)
		}
	}
	c := newTokenCache[int](2000, 1<<20)
	if len(c.shards) != 16 {
		t.Fatalf("%d shards, want 16", len(c.shards))
	}
	for i := range 20000 {
		c.put(fmt.Sprint("token-", i), i, 200)
	}
	n, b := c.stats()
	if n > 2000 || b > 1<<20 || n < 1000 {
		t.Errorf("after a flood: %d entries, %d bytes (bounds 2000, %d)", n, b, 1<<20)
	}
	// Items and map agree, and a removed item stays removed.
	it := c.get("token-19999")
	if it == nil || it.val != 19999 {
		t.Fatalf("last insertion missing: %v", it)
	}
	c.remove(it)
	c.remove(it)
	if c.get("token-19999") != nil {
		t.Error("removed item still found")
	}
	for i := range c.shards {
		s := &c.shards[i]
		if len(s.m) != len(s.ring) {
			t.Errorf("shard %d: map %d, ring %d", i, len(s.m), len(s.ring))
		}
		for j, it := range s.ring {
			if it.slot != j || s.m[it.tok] != it {
				t.Errorf("shard %d: slot %d inconsistent", i, j)
			}
		}
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestTokenCache_flood_memory_bounded sends thousands of distinct valid
// tokens: the heap the verifier keeps stays near its byte bound, where an
// unbounded cache would keep every token. Not parallel: it reads the heap.
func TestTokenCache_flood_memory_bounded(t *testing.T) {
	const maxBytes = 256 << 10
	const n = 4000
	v := secretVerifier(t, func() time.Time { return t0 }, WithTokenCache(1<<20, maxBytes))
	toks := make([]string, n)
	for i := range toks {
		toks[i] = hsToken("jti", fmt.Sprint("flood-", i), "client_id", "client-"+fmt.Sprint(i))
	}
	before := heapInUse()
	for _, tok := range toks {
		if _, err := v.Verify(bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
	}
	after := heapInUse()
	entries, bytes := v.caches.accepted.stats()
	if bytes > maxBytes {
		t.Errorf("accounted bytes %d over the bound %d", bytes, maxBytes)
	}
	grown := int64(after) - int64(before)
	// Unbounded, n entries of about 1.5 KiB would keep about 6 MiB.
	if grown > 2*maxBytes {
		t.Errorf("the heap grew by %d bytes for a cache bounded to %d (%d entries kept)", grown, maxBytes, entries)
	}
	runtime.KeepAlive(v)
	runtime.KeepAlive(toks)
}

// TestTokenCache_size_estimate checks that the byte bound counts at least
// what an entry really keeps on the heap, and not wildly more, for a
// typical access token, a minimal one, and one made of small values
// (which decode into more memory than their JSON). Not parallel: it reads
// the heap.
func TestTokenCache_size_estimate(t *testing.T) {
	const n = 1000
	nums := make([]int, 300)
	for i := range nums {
		nums[i] = i % 10
	}
	for _, c := range []struct {
		name   string
		claims func(i int) []any
	}{
		{"typical", func(i int) []any {
			return []any{"jti", fmt.Sprintf("%032x", i), "client_id", "orders-frontend",
				"scope", "orders:read orders:write profile email", "roles", []string{"admin", "support"}}
		}},
		{"minimal", func(i int) []any { return []any{"jti", nil, "sub", fmt.Sprint(i), "scope", nil, "iat", nil} }},
		{"small_values", func(i int) []any {
			return []any{"jti", fmt.Sprint(i), "nums", nums, "obj", map[string]any{"a": []any{true, false, nil, 1, "x"}, "b": map[string]any{"c": 1}}}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := secretVerifier(t, func() time.Time { return t0 }, WithTokenCache(4*n, 64<<20))
			toks := make([]string, n)
			for i := range toks {
				toks[i] = hsToken(c.claims(i)...)
			}
			before := heapInUse()
			for _, tok := range toks {
				if _, err := v.Verify(bearerReq(tok)); err != nil {
					t.Fatal(err)
				}
			}
			after := heapInUse()
			entries, bytes := v.caches.accepted.stats()
			if entries != n {
				t.Fatalf("entries = %d, want %d", entries, n)
			}
			real := float64(int64(after)-int64(before)) / n
			est := float64(bytes) / n
			t.Logf("per entry: %.0f bytes on the heap, %.0f counted (token %d bytes)", real, est, len(toks[0]))
			if est < real || est > 3*real {
				t.Errorf("per entry: %.0f bytes on the heap, %.0f counted; want the count between 1x and 3x", real, est)
			}
			runtime.KeepAlive(v)
			runtime.KeepAlive(toks)
		})
	}
}

func TestTokenCache_off(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys(), WithTokenCache(0, 0))
	if v.caches.accepted != nil || v.caches.rejected != nil {
		t.Fatal("WithTokenCache(0, 0) left a cache")
	}
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	expired := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("exp", t0.Add(-time.Hour).Unix()))
	var prev *verifiers.Identity
	for i := range 3 {
		id := must(v.Verify(bearerReq(tok)))
		if id == prev {
			t.Error("the same identity twice with the cache off")
		}
		prev = id
		_, err := v.Verify(bearerReq(expired))
		wantReject(t, err, verifiers.TokenExpired)
		if n := checks(v); n != int64(2*(i+1)) {
			t.Fatalf("full verifications = %d, want %d: every request must verify", n, 2*(i+1))
		}
	}

	// The option's arguments, and the names of the two caches.
	for _, c := range []struct {
		opts []Option
		want string
	}{
		{[]Option{WithTokenCache(-1, 0)}, "both bounds must be positive, or both 0"},
		{[]Option{WithTokenCache(10, 0)}, "both bounds must be positive, or both 0"},
		{[]Option{WithTokenCache(0, 1<<20)}, "both bounds must be positive, or both 0"},
	} {
		_, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: Secret(fx.secret, "HS256")}}, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New error = %v, want %q", err, c.want)
		}
	}
}

// TestRejectionCache checks which rejections are remembered: those that
// depend on the token and the key sets only.
func TestRejectionCache(t *testing.T) {
	t.Parallel()
	ec := func(hdr map[string]any, kv ...any) string {
		h := map[string]any{"kid": "ec1"}
		for k, x := range hdr {
			h[k] = x
		}
		return sign("ES256", fx.ec, h, claims(kv...))
	}
	good := ec(nil)
	for _, c := range []struct {
		name     string
		tok      string
		reason   verifiers.Reason
		remember bool
	}{
		{"malformed", good[:strings.LastIndexByte(good, '.')], verifiers.TokenMalformed, true},
		{"alg_not_allowed", sign("HS256", fx.secret, map[string]any{"kid": "ec1"}, claims()), verifiers.TokenAlgNotAllowed, true},
		{"issuer_mismatch", ec(nil, "iss", "https://other.example.com/"), verifiers.TokenIssuerMismatch, true},
		{"signature_invalid", flipSig(good), verifiers.TokenSignatureInvalid, true},
		{"type_mismatch", ec(map[string]any{"typ": "JWT"}), verifiers.TokenTypeMismatch, true},
		{"expired", ec(nil, "exp", t0.Add(-time.Hour).Unix()), verifiers.TokenExpired, true},
		{"audience_mismatch", ec(nil, "aud", "https://other.example.com"), verifiers.TokenAudienceMismatch, true},
		{"claim_missing", ec(nil, "jti", nil), verifiers.TokenClaimMissing, true},
		// A static set is never fetched: its unknown kid holds as a bad
		// signature does. A remote set's is not remembered
		// (TestRemote_JWKSURL_and_unknown_kid_refresh).
		{"key_unknown_static", ec(map[string]any{"kid": "nope"}), verifiers.TokenKeyUnknown, true},
		{"key_unknown_static_long_way", ec(map[string]any{"kid": "nope"}), verifiers.TokenKeyUnknown, true},
		{"not_yet_valid_changes_with_time", ec(nil, "nbf", t0.Add(time.Hour).Unix()), verifiers.TokenNotYetValid, false},
		{"issued_in_future_changes_with_time", ec(nil, "iat", t0.Add(time.Hour).Unix()), verifiers.TokenIssuedInFuture, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := staticVerifier(t, allKeys(), WithRequiredClaims("jti"))
			switch c.name {
			case "type_mismatch":
				v = staticVerifier(t, allKeys(), WithTypes("at+jwt"))
			case "key_unknown_static_long_way":
				v.longWay = true // findKeys rather than unknownKid
			}
			_, err := v.Verify(bearerReq(c.tok))
			first := wantReject(t, err, c.reason)
			_, err = v.Verify(bearerReq(c.tok))
			second := wantReject(t, err, c.reason)
			want := int64(2)
			if c.remember {
				want = 1
			}
			if n := checks(v); n != want {
				t.Errorf("full verifications = %d, want %d", n, want)
			}
			if c.remember {
				if first == second {
					t.Error("the remembered rejection itself was returned, not a copy")
				}
				if second.Detail != first.Detail || second.Hint != first.Hint || fmt.Sprint(second.Attrs) != fmt.Sprint(first.Attrs) {
					t.Errorf("remembered rejection differs:\n%+v\n%+v", second, first)
				}
				// Changing what a caller got changes nothing for the next.
				second.Hint = "changed"
				second.Detail = "changed"
				second.With("extra", "x")
				if len(second.Attrs) > 0 {
					second.Attrs[0].Value = "changed"
				}
				first.With("extra", "y")
				_, err = v.Verify(bearerReq(c.tok))
				third := wantReject(t, err, c.reason)
				if c.reason != verifiers.TokenExpired && (third.Detail != first.Detail || third.Hint == "changed") {
					t.Errorf("a caller's change reached the cache: %+v", third)
				}
				for _, a := range third.Attrs {
					if a.Value == "changed" || a.Key == "extra" {
						t.Errorf("a caller's change reached the cache: %+v", third.Attrs)
					}
				}
			}
		})
	}
}

// TestRejectionCache_expired: a remembered expiry is worded as a fresh
// check would word it at the current time.
func TestRejectionCache_expired(t *testing.T) {
	t.Parallel()
	clk := authgatetest.NewClock(t0)
	v := secretVerifier(t, clk.Now)
	fresh := secretVerifier(t, clk.Now, WithTokenCache(0, 0))
	tok := hsToken("exp", t0.Add(-time.Minute).Unix())
	// Within the TTL: the same second, 400ms later, a second later, then
	// past skewWindow since exp (the hint changes).
	for i, step := range []time.Duration{0, 0, 400 * time.Millisecond, time.Second, 3 * time.Minute, time.Minute} {
		clk.Advance(step)
		_, err := v.Verify(bearerReq(tok))
		got := wantReject(t, err, verifiers.TokenExpired)
		_, err = fresh.Verify(bearerReq(tok))
		want := wantReject(t, err, verifiers.TokenExpired)
		if got.Detail != want.Detail || got.Hint != want.Hint || fmt.Sprint(got.Attrs) != fmt.Sprint(want.Attrs) {
			t.Errorf("step %d: cached\n%+v\nfresh\n%+v", i, got, want)
		}
		if n := checks(v); n != 1 {
			t.Errorf("step %d: full verifications = %d, want 1", i, n)
		}
	}
	// A clock set back before exp + leeway: not served.
	clk.Set(t0.Add(-time.Minute))
	if _, err := v.Verify(bearerReq(tok)); err != nil {
		t.Errorf("within the leeway after the clock went back: %v", err)
	}
}

// TestRejectionCache_time_window: a rejection found after the time claims
// passed is not served once they would fail.
func TestRejectionCache_time_window(t *testing.T) {
	t.Parallel()
	clk := authgatetest.NewClock(t0)
	v := secretVerifier(t, clk.Now)
	tok := hsToken("aud", "https://other.example.com", "exp", t0.Add(time.Minute).Unix())
	_, err := v.Verify(bearerReq(tok))
	wantReject(t, err, verifiers.TokenAudienceMismatch)
	clk.Advance(time.Minute + DefaultLeeway - time.Nanosecond)
	_, err = v.Verify(bearerReq(tok))
	wantReject(t, err, verifiers.TokenAudienceMismatch)
	if checks(v) != 1 {
		t.Errorf("full verifications = %d, want 1", checks(v))
	}
	clk.Advance(time.Nanosecond)
	_, err = v.Verify(bearerReq(tok))
	wantReject(t, err, verifiers.TokenExpired)
	// The TTL applies to rejections too.
	tok2 := flipSig(hsToken("jti", "ttl"))
	_, err = v.Verify(bearerReq(tok2))
	wantReject(t, err, verifiers.TokenSignatureInvalid)
	n := checks(v)
	clk.Advance(TokenCacheTTL)
	_, err = v.Verify(bearerReq(tok2))
	wantReject(t, err, verifiers.TokenSignatureInvalid)
	if checks(v) != n+1 {
		t.Error("a rejection was served past TokenCacheTTL")
	}
}

// TestRejectionCache_key_set_change: a remembered rejection never hides a
// new key set.
func TestRejectionCache_key_set_change(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	// Signed with the key the issuer is about to publish under kid ec1.
	tok := tokenFor(ks.URL, fx.ec2, "ES256", "ec1")
	for range 2 {
		_, err := v.Verify(bearerReq(tok))
		wantReject(t, err, verifiers.TokenSignatureInvalid)
	}
	if n := checks(v); n != 1 {
		t.Fatalf("full verifications = %d, want 1", n)
	}
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.ec2, "ec1", "ES256")} })
	clk.Advance(DefaultUnknownKeyRefresh)
	_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "unknown")))
	wantReject(t, err, verifiers.TokenKeyUnknown)
	if n := ks.jwksHits.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	if _, err := v.Verify(bearerReq(tok)); err != nil {
		t.Fatalf("after the key set changed, the remembered rejection was served: %v", err)
	}
}

// TestRejectionCache_discovery_issuer: the hint of an issuer mismatch
// depends on what discovery found, which also invalidates.
func TestRejectionCache_discovery_issuer(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, _, _ := remoteVerifier(t, ks, Discovery())
	other := strings.Replace(ks.URL, "127.0.0.1", "localhost", 1)
	tok := tokenFor(other, fx.ec, "ES256", "ec1")
	_, err := v.Verify(bearerReq(tok))
	before := wantReject(t, err, verifiers.TokenIssuerMismatch)
	// The issuer starts naming itself differently; discovery refuses the
	// document and remembers the name.
	ks.set(func(ks *keyServer) { ks.docIssuer = other })
	v.order[0].mu.Lock()
	v.order[0].discoveryOK = false
	v.order[0].mu.Unlock()
	if _, err := v.refresh(context.Background(), v.order[0], true); err == nil {
		t.Fatal("discovery accepted a document naming another issuer")
	}
	_, err = v.Verify(bearerReq(tok))
	after := wantReject(t, err, verifiers.TokenIssuerMismatch)
	if after.Hint == before.Hint || !strings.Contains(after.Hint, "discovery document") {
		t.Errorf("hint not updated after discovery: %q", after.Hint)
	}
}

func TestRejectionCache_unavailable_never_remembered(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	ks.status = http.StatusInternalServerError
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	tok := tokenFor(ks.URL, fx.ec, "ES256", "ec1")
	for i := range 2 {
		_, err := v.Verify(bearerReq(tok))
		var ue *verifiers.UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("request %d: %v, want 503", i, err)
		}
		clk.Advance(DefaultUnknownKeyRefresh)
	}
	if n := checks(v); n != 2 {
		t.Errorf("full verifications = %d, want 2", n)
	}
	// The issuer recovers: the token is accepted at once.
	ks.set(func(ks *keyServer) { ks.status = 0; ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256")} })
	if _, err := v.Verify(bearerReq(tok)); err != nil {
		t.Fatal(err)
	}
}

// TestTokenCache_concurrent runs hits, misses, evictions, remembered
// rejections and key-set refreshes at once; -race checks the rest.
func TestTokenCache_concurrent(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithTokenCache(4, 1<<20), WithUnknownKeyRefresh(time.Nanosecond))
	type job struct {
		tok    string
		reason verifiers.Reason
		sub    string
	}
	var jobs []job
	for i := range 6 {
		sub := fmt.Sprint("user-", i)
		jobs = append(jobs, job{tok: tokenFor(ks.URL, fx.ec, "ES256", "ec1", "sub", sub), sub: sub})
	}
	jobs = append(jobs,
		job{tok: tokenFor(ks.URL, fx.ec, "ES256", "ec1", "exp", t0.Add(-time.Hour).Unix()), reason: verifiers.TokenExpired},
		job{tok: flipSig(tokenFor(ks.URL, fx.ec, "ES256", "ec1")), reason: verifiers.TokenSignatureInvalid},
		job{tok: tokenFor(ks.URL, fx.ec, "ES256", "ec1", "aud", "x"), reason: verifiers.TokenAudienceMismatch},
	)
	unknown := tokenFor(ks.URL, fx.ec, "ES256", "unknown")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				j := jobs[(g*7+i)%len(jobs)]
				id, err := v.Verify(bearerReq(j.tok))
				switch {
				case j.reason == "" && (err != nil || id.Subject != j.sub):
					t.Errorf("%s: %v %v", j.sub, id, err)
				case j.reason != "":
					var rej *verifiers.Rejection
					if !errors.As(err, &rej) || rej.Reason != j.reason {
						t.Errorf("want %s, got %v", j.reason, err)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 10 {
			clk.Advance(time.Millisecond) // past the unknown-key interval
			_, err := v.Verify(bearerReq(unknown))
			var rej *verifiers.Rejection
			if !errors.As(err, &rej) || rej.Reason != verifiers.TokenKeyUnknown {
				t.Errorf("unknown kid: %v", err)
			}
		}
	}()
	wg.Wait()
	if n := ks.jwksHits.Load(); n < 2 {
		t.Errorf("fetches = %d: the key set was not refreshed during the test", n)
	}
	if n, _ := v.caches.accepted.stats(); n > 4 {
		t.Errorf("entries = %d, over the bound", n)
	}
}

// TestTokenCache_through_gate: a cached token and a remembered rejection
// give the same responses and log events as fresh checks.
func TestTokenCache_through_gate(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	good := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	expired := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("exp", t0.Add(-time.Hour).Unix()))
	for i := range 2 {
		res := throughGate(t, v, bearerReq(good))
		if res.status != http.StatusOK || res.body != "hello user-42" {
			t.Errorf("request %d: %d %q", i, res.status, res.body)
		}
		res = throughGate(t, v, bearerReq(expired))
		if res.status != http.StatusUnauthorized {
			t.Fatalf("request %d: status %d", i, res.status)
		}
		if got := res.header.Values("Www-Authenticate"); len(got) != 1 || got[0] != invalidToken(verifiers.TokenExpired) {
			t.Errorf("request %d: WWW-Authenticate %q", i, got)
		}
		ev := res.refusal(t)
		if ev["reason"] != string(verifiers.TokenExpired) || ev["kid"] != "ec1" || ev["exp"] != "2026-11-28T09:00:00Z" ||
			!strings.Contains(ev["detail"].(string), "1h0m0s ago") {
			t.Errorf("request %d: event %v", i, ev)
		}
		res.noSecret(t, good, expired)
	}
	if n := checks(v); n != 2 {
		t.Errorf("full verifications = %d, want 2", n)
	}
}

// TestKeySameAs: a key set fetched again holds new *key values; the cache
// compares them by kid, algorithm and material.
func TestKeySameAs(t *testing.T) {
	t.Parallel()
	load := func(keys ...map[string]any) *keySet {
		t.Helper()
		s, err := parseKeySet(jwks(keys...), loadOptions{origin: "test", symmetric: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := load(jwkOf(fx.ec, "ec", "ES256"), jwkOf(fx.rsa, "rsa", "RS256"), jwkOf(fx.ed, "ed", "EdDSA"))
	b := load(jwkOf(fx.ec, "ec", "ES256"), jwkOf(fx.rsa, "rsa", "RS256"), jwkOf(fx.ed, "ed", "EdDSA"))
	c := load(jwkOf(fx.ec2, "ec", "ES256"), jwkOf(fx.rsa2, "rsa", "RS256"), jwkOf(fx.rsa, "ed", "RS256"))
	d := load(jwkOf(fx.rsa, "rsa", "PS256"))
	h1 := load(jwkOf(fx.secret, "h", "HS256"))
	h2 := load(jwkOf(fx.secret, "h", "HS256"))
	h3 := load(jwkOf([]byte(strings.Repeat("z", 32)), "h", "HS256"))
	for _, c := range []struct {
		name string
		x, y *key
		want bool
	}{
		{"ec_same", a.keyOf("ec"), b.keyOf("ec"), true},
		{"ec_other_material", a.keyOf("ec"), c.keyOf("ec"), false},
		{"rsa_same", a.keyOf("rsa"), b.keyOf("rsa"), true},
		{"rsa_other_material", a.keyOf("rsa"), c.keyOf("rsa"), false},
		{"rsa_other_alg", a.keyOf("rsa"), d.keyOf("rsa"), false},
		{"ed_same", a.keyOf("ed"), b.keyOf("ed"), true},
		{"ed_vs_rsa_same_kid", c.keyOf("ed"), a.keyOf("ed"), false},
		{"other_kid", a.keyOf("ec"), a.keyOf("rsa"), false},
		{"secret_same", h1.keyOf("h"), h2.keyOf("h"), true},
		{"secret_other", h1.keyOf("h"), h3.keyOf("h"), false},
	} {
		if got := c.x.Equal(c.y); got != c.want {
			t.Errorf("%s: Equal = %v, want %v", c.name, got, c.want)
		}
	}
}
