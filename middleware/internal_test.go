package middleware

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	core "github.com/authgate/authgate/internal/limiter"
	"github.com/authgate/authgate/verifiers"
)

func ipKey(s string) clientKey { return keyOf(netip.MustParseAddr(s)) }

func TestSamplerWindowAndSuppressedCount(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newTestSampler(2, time.Minute, func() time.Time { return now })
	k := sampleKey{ipKey("192.0.2.1"), "token_expired"}
	for i, want := range []bool{true, true, false, false, false} {
		if ok, _ := s.allow(k, "", nil); ok != want {
			t.Fatalf("event %d: allow %v, want %v", i, ok, want)
		}
	}
	now = now.Add(time.Minute)
	ok, suppressed := s.allow(k, "", nil)
	if !ok || suppressed != 3 {
		t.Errorf("after the window: allow %v suppressed %d, want true 3", ok, suppressed)
	}
}

// TestSamplerMemoryBound floods the sampler with distinct clients: it never
// holds more than two generations of maxSampleKeys, each new client's first
// event is logged, and a client seen throughout keeps its state.
func TestSamplerMemoryBound(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newTestSampler(1, time.Minute, func() time.Time { return now })
	steady := sampleKey{ipKey("192.0.2.200"), "x"}
	s.allow(steady, "", nil)
	for i := 0; i < 5*maxSampleKeys; i++ {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if ok, _ := s.allow(sampleKey{keyOf(ip), "x"}, "", nil); !ok {
			t.Fatalf("first event of a new client %d suppressed", i)
		}
		if n := s.keys.Len(); n > 2*maxSampleKeys {
			t.Fatalf("%d keys, bound %d", n, 2*maxSampleKeys)
		}
		if i%1000 == 0 {
			if ok, _ := s.allow(steady, "", nil); ok {
				t.Fatalf("steady client forgotten after %d others", i)
			}
		}
	}
}

func TestSamplerGroupsIPv6By64(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newTestSampler(1, time.Minute, func() time.Time { return now })
	if ok, _ := s.allow(sampleKey{ipKey("2001:db8:1:2::1"), "x"}, "", nil); !ok {
		t.Fatal("first event suppressed")
	}
	if ok, _ := s.allow(sampleKey{ipKey("2001:db8:1:2:ffff::9"), "x"}, "", nil); ok {
		t.Error("another address of the same /64 is a new client")
	}
	if ok, _ := s.allow(sampleKey{ipKey("2001:db8:1:3::1"), "x"}, "", nil); !ok {
		t.Error("another /64 shares the first one's budget")
	}
	if ok, _ := s.allow(sampleKey{ipKey("192.0.2.1"), "x"}, "", nil); !ok {
		t.Error("IPv4 client suppressed")
	}
	if ok, _ := s.allow(sampleKey{ipKey("192.0.2.2"), "x"}, "", nil); !ok {
		t.Error("IPv4 addresses are counted one by one")
	}
}

// BenchmarkSamplerAllowNearBound measures allow() with the sampler holding
// close to maxSampleKeys clients, each call a new client (the worst case
// of the old linear eviction).
func BenchmarkSamplerAllowNearBound(b *testing.B) {
	now := time.Unix(1000, 0)
	s := newTestSampler(10, time.Minute, func() time.Time { return now })
	keys := make([]sampleKey, 4*maxSampleKeys)
	for i := range keys {
		keys[i] = sampleKey{keyOf(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})), "x"}
	}
	for _, k := range keys[:maxSampleKeys-1] {
		s.allow(k, "", nil)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.allow(keys[i%len(keys)], "", nil)
		i++
	}
}

// TestCleanReplacesRatherThanDrops: a value with a control character or
// an invalid byte must not log as another, valid value.
func TestCleanReplacesRatherThanDrops(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"admin", 64, "admin"},
		{"ad\x00min", 64, "ad\ufffdmin"},
		{"\ufffdadmin", 64, "\ufffdadmin"},
		{"ad\xffmin", 64, "ad\ufffdmin"},
		{"a\r\nb", 64, "a\ufffd\ufffdb"},
		{"é\u0085x", 64, "é\ufffdx"},
		{"user\u202egnp.exe", 64, "user\ufffdgnp.exe"}, // bidi override (Trojan Source)
		{"a\u2066b\u2069c\u200fd", 64, "a\ufffdb\ufffdc\ufffdd"},
		{"line\u2028two\u2029", 64, "line\ufffdtwo\ufffd"},
		{"ad\u200bmin", 64, "ad\ufffdmin"}, // zero-width space: not "admin"
		{"a\u200cb\u200dc\u2060d\ufeffe\u00adf\u180eg", 64, "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg"},
		{"tag\U000e0041", 64, "tag\ufffd"},
		{"日本語", 64, "日本語"},
		{"abcdef", 4, "abcd…"},
		{"ab\x00\x00", 4, "ab…"},
	} {
		if got := clean(tc.in, tc.max); got != tc.want {
			t.Errorf("clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uo\te`, "ctl\x00\x1f\x7f", "<&>", "é✓", "bad\xffutf8"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, b, err)
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if got != want {
			t.Errorf("%q round-trips as %q", s, got)
		}
	}
}

// refScrub is the scrubber as first written (every form computed eagerly
// with the encoding package): the reference the lazy scrubber must match.
func refScrub(auth []string) func(string) string {
	var secrets []string
	for _, v := range auth {
		_, rest := verifiers.SplitAuthorization(v)
		if len(rest) < 8 {
			continue
		}
		secrets = append(secrets, rest)
		if raw, err := base64.StdEncoding.DecodeString(rest); err == nil && len(raw) >= 8 {
			secrets = append(secrets, string(raw))
			if _, pw, ok := strings.Cut(string(raw), ":"); ok && len(pw) >= 8 {
				secrets = append(secrets, pw)
			}
		}
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(rest)), base64.RawURLEncoding.EncodeToString([]byte(rest)))
	}
	return func(s string) string {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
}

// TestScrubberMatchesReference: the lazy scrubber redacts exactly what the
// eager one did, for short and long credentials (inline and allocated
// buffers), Basic and Bearer, texts that hold each form or none.
func TestScrubberMatchesReference(t *testing.T) {
	t.Parallel()
	creds := []string{
		"short", "exactly8", "expired-token", "CANARY0123456789abcdef",
		"alice:correct-horse-battery", "u:p", "bob:12345678", "bob:1234567",
		strings.Repeat("x", 95), strings.Repeat("y", 96), strings.Repeat("z", 97), strings.Repeat("w", 200),
		"user:" + strings.Repeat("p", 120),
	}
	var auths [][]string
	for _, c := range creds {
		b64 := base64.StdEncoding.EncodeToString([]byte(c))
		auths = append(auths, []string{"Bearer " + c}, []string{"Basic " + b64}, []string{"Basic " + c}, []string{"Bearer " + c, "Basic " + b64})
	}
	auths = append(auths, nil, []string{""}, []string{"Basic YWJj\r\nZGVmZ2hpamts"})
	for _, auth := range auths {
		ref := refScrub(auth)
		var texts []string
		for _, v := range auth {
			_, rest := verifiers.SplitAuthorization(v)
			raw, _ := base64.StdEncoding.DecodeString(rest)
			_, pw, _ := strings.Cut(string(raw), ":")
			for _, form := range []string{rest, string(raw), pw, base64.StdEncoding.EncodeToString([]byte(rest)), base64.RawURLEncoding.EncodeToString([]byte(rest))} {
				texts = append(texts, form, "x "+form+" y "+form, "pre"+form)
			}
		}
		texts = append(texts, "", "short", "the password does not match the stored hash", strings.Repeat("a", 300))
		shared := scrubber{auth: auth} // forms computed once, reused
		for _, text := range texts {
			sc := scrubber{auth: auth}
			want := ref(text)
			if got := sc.scrub(text); got != want {
				t.Errorf("auth %q text %q:\n got %q\nwant %q", auth, text, got, want)
			}
			if got := shared.scrub(text); got != want {
				t.Errorf("reused scrubber: auth %q text %q:\n got %q\nwant %q", auth, text, got, want)
			}
		}
	}
}

func TestClientKeyGrouping(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"fe80::1%eth0", "fe80::2%eth1", true},
	} {
		if got := ipKey(tc.a) == ipKey(tc.b); got != tc.same {
			t.Errorf("%s and %s: same client %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestClientFromRemoteAddr(t *testing.T) {
	t.Parallel()
	g := New()
	for _, tc := range []struct{ remote, ip string }{
		{"192.0.2.1:80", "192.0.2.1"},
		{"[2001:db8::1]:80", "2001:db8::1"},
		{"[fe80::1%eth0]:80", "fe80::1%eth0"},
		{"192.0.2.1", "192.0.2.1"},
		{"pipe", "pipe"},
		{"localhost:80", "localhost"},
		{"", ""},
		{"bad\r\nline:1", "bad\ufffd\ufffdline"},
		{"2001:db8::1", "2001:db8::1"},
		{"[2001:db8::1]", "[2001:db8::1]"},
		{":80", ""},
		{"[]:80", ""},
		{"[", "["},
		{"[fe80::1%a\x01b]:80", "fe80::1%a\ufffdb"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if got := g.client(r).ip; got != tc.ip {
			t.Errorf("%q: ip %q, want %q", tc.remote, got, tc.ip)
		}
		if got := g.clientIPOnly(r); got != tc.ip {
			t.Errorf("%q: clientIPOnly %q, want %q", tc.remote, got, tc.ip)
		}
	}
}

// BenchmarkLimiterSuccessOverhead is what failure limiting adds to a
// request from a client without failures, while 1,000 other clients have
// failures tracked: identifying the client and one lookup per generation.
func BenchmarkLimiterSuccessOverhead(b *testing.B) {
	g := New(WithFailureLimit(FailureLimit{PerIP: 5, Window: time.Minute}))
	for i := range 1000 {
		at := core.Attempt{Client: keyOf(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}))}
		g.limiter.Check(context.Background(), &at)
		g.limiter.End(&at, outcomeFailure)
	}
	r := &http.Request{RemoteAddr: "192.0.2.1:1234", Header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		at := attempt{cl: g.client(r)}
		at.Client = at.cl.key
		if _, hit := g.limiter.Check(context.Background(), &at.Attempt); hit {
			b.Fatal("blocked")
		}
		g.limiter.End(&at.Attempt, outcomeSuccess)
	}
}

// BenchmarkSamplerAllowSteadyExpiry is a full sampler under a steady
// stream of new clients while old ones expire one by one: the case where
// a scan-on-full eviction scanned every key on every call.
func BenchmarkSamplerAllowSteadyExpiry(b *testing.B) {
	now := time.Unix(1000, 0)
	step := time.Minute / maxSampleKeys
	s := newTestSampler(10, time.Minute, func() time.Time { return now })
	i := 0
	next := func() sampleKey {
		i++
		return sampleKey{keyOf(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})), "x"}
	}
	for range maxSampleKeys {
		s.allow(next(), "", nil)
		now = now.Add(step)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.allow(next(), "", nil)
		now = now.Add(step)
	}
}

// TestWriteProblemPrecomputedBodies: the bodies computed once per reason
// are byte for byte what the general path writes, with and without
// request_id and hint, and Content-Length matches.
func TestWriteProblemPrecomputedBodies(t *testing.T) {
	t.Parallel()
	for _, reason := range verifiers.Reasons() {
		for _, extra := range [][2]string{{"", ""}, {"req-1", ""}, {"", "a <hint> & \"more\""}, {"r", "h"}} {
			p := Problem{Status: reason.Status(), Title: http.StatusText(reason.Status()), Detail: reason.Description(),
				Reason: reason.Public(), RequestID: extra[0], Hint: extra[1]}
			want := appendProblemPrefix(nil, p.Status, p.Title, p.Detail, p.Reason)
			if p.RequestID != "" {
				want = appendJSONString(append(want, `,"request_id":`...), p.RequestID)
			}
			if p.Hint != "" {
				want = appendJSONString(append(want, `,"hint":`...), p.Hint)
			}
			want = append(want, "}\n"...)
			w := httptest.NewRecorder()
			WriteProblem(w, httptest.NewRequest("GET", "/", nil), p)
			if w.Body.String() != string(want) {
				t.Errorf("%s %q: body %s, want %s", reason, extra, w.Body, want)
			}
			if w.Header().Get("Content-Length") != strconv.Itoa(len(want)) || w.Code != p.Status {
				t.Errorf("%s: Content-Length %q status %d", reason, w.Header().Get("Content-Length"), w.Code)
			}
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || m["reason"] != string(p.Reason) || m["status"] != float64(p.Status) {
				t.Errorf("%s: body %s does not decode to its fields: %v", reason, w.Body, err)
			}
		}
	}
}

// TestQueryTokenParamMatchesParseQuery: the scan of the raw query finds the
// same first token parameter as url.ParseQuery.
func TestQueryTokenParamMatchesParseQuery(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		"", "a=1", "access_token=x", "x=1&token", "jwt=&key=2", "acc%65ss_token=1", "api+key=1", "apikey;x=1",
		"a=1;token=2", "token%zz=1", "%6Aw%74", "key", "&&&key=1&", "token=1&access_token=2", "x=access_token",
		"api_key=a%zzb", "k%65y=1&t%6Fken=2", strings.Repeat("a&", 9998) + "token", strings.Repeat("a&", 10000) + "token",
	} {
		want := -1
		if v, _ := url.ParseQuery(q); v != nil {
			for i, p := range queryTokenParams {
				if v.Has(p) {
					want = i
					break
				}
			}
		}
		if got := queryTokenParam(q); got != want {
			t.Errorf("%.40q: %d, want %d", q, got, want)
		}
	}
}

// TestRoutePatternFastPath: the shortcut returns what chi's RoutePattern
// does.
func TestRoutePatternFastPath(t *testing.T) {
	t.Parallel()
	for _, pats := range [][]string{
		{"/v1/reports/{id}"}, {"/"}, {"/a/"}, {"/a/*/b"}, {"/a/*"}, {"/api/*", "/v1/*", "/me"}, {"/a//"}, {""},
	} {
		rc := chi.NewRouteContext()
		rc.RoutePatterns = pats
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rc))
		if got, want := routePattern(r), rc.RoutePattern(); got != want {
			t.Errorf("%q: %q, want %q", pats, got, want)
		}
	}
}

// TestAuthorizationHintSchemeTwice: the scheme written twice is found by
// the first word of the credentials only, whatever separates it.
func TestAuthorizationHintSchemeTwice(t *testing.T) {
	t.Parallel()
	for v, twice := range map[string]bool{
		"Bearer Bearer tok":  true,
		"Bearer bearer\ttok": true,
		"Bearer Bearer":      true,
		"Bearer Bearerx tok": false,
		"Bearer tok Bearer":  false,
		"Bearer Bear":        false,
	} {
		r := &http.Request{Header: http.Header{"Authorization": {v}}}
		if got := strings.Contains(authorizationHint(r, "Bearer"), "written twice"); got != twice {
			t.Errorf("%q: twice %v, want %v", v, got, twice)
		}
	}
}
