package authgateotel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/authgate/authgate/authgateotel"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// attrs renders an attribute set as "k=v,k=v", sorted by key.
func attrs(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// sums returns the points of an Int64 sum by attribute set.
func sums(t *testing.T, m metricdata.Metrics) map[string]int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, want an int64 sum", m.Name, m.Data)
	}
	if !s.IsMonotonic || s.Temporality != metricdata.CumulativeTemporality {
		t.Errorf("%s: monotonic %v, temporality %v", m.Name, s.IsMonotonic, s.Temporality)
	}
	out := map[string]int64{}
	for _, p := range s.DataPoints {
		out[attrs(p.Attributes)] += p.Value
	}
	return out
}

func wantSums(t *testing.T, name string, got, want map[string]int64) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s{%s} = %d, want %d", name, k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s{%s} = %d, not expected", name, k, n)
		}
	}
}

func wantUnit(t *testing.T, ms map[string]metricdata.Metrics, name, unit string) metricdata.Metrics {
	t.Helper()
	m, ok := ms[name]
	if !ok {
		t.Fatalf("no instrument %s; have %v", name, keys(ms))
	}
	if m.Unit != unit {
		t.Errorf("%s unit %q, want %q", name, m.Unit, unit)
	}
	if m.Description == "" {
		t.Errorf("%s has no description", name)
	}
	return m
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestMetrics_scripted_mix: a scripted mix of requests, every reason at
// least once, read back through the SDK's manual reader: the names,
// units, attribute sets and counts of the gate's instruments.
func TestMetrics_scripted_mix(t *testing.T) {
	t.Parallel()
	m := newMeter(t)
	g := quietGate(m.in)
	v := newScripted()
	deny := func(*http.Request, *verifiers.Identity) error { return errors.New("no") }
	r := chi.NewRouter()
	r.With(g.Require(v)).Handle("/items/{id}", okHandler)
	r.With(g.Optional(v)).Get("/pub/{id}", okHandler)
	r.With(g.Require(v), g.RequireScopes("admin")).Get("/admin/{id}", okHandler)
	r.With(g.Require(v), g.RequireScopes("read")).Get("/read/{id}", okHandler)
	r.With(g.Require(v), g.RequirePolicy("deny", deny)).Get("/policy/{id}", okHandler)
	limited := quietGate(m.in, middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute}))
	r.With(limited.Require(v)).Get("/login/{id}", okHandler)

	wantAuthn := map[string]int64{}
	wantDur := map[string]int64{}
	add := func(route, scheme, result, reason string, status int) {
		k := []string{"authgate.result=" + result, "http.route=" + route}
		if scheme != "" {
			k = append(k, "authgate.scheme="+scheme)
		}
		sort.Strings(k)
		wantDur[strings.Join(k, ",")]++
		if reason != "" {
			k = append(k, "authgate.reason="+reason)
		}
		if status != 0 {
			k = append(k, "http.response.status_code="+itoa(status))
		}
		sort.Strings(k)
		wantAuthn[strings.Join(k, ",")]++
	}

	// Every reason a verifier may give, once each.
	for _, reason := range verifiers.Reasons() {
		w := serve(r, get("/items/1", "Authorization", "Bearer reject-"+string(reason)))
		want := reason
		if reason == verifiers.PreflightUnanswered {
			want = verifiers.CredentialsInvalid // only the gate gives it
		}
		if w.Code != want.Status() {
			t.Fatalf("%s: status %d", reason, w.Code)
		}
		result := "failure"
		if want == verifiers.CredentialsMissing {
			result = "none" // the reason, not who gave it, says none
		}
		add("/items/{id}", "Bearer", result, string(want), want.Status())
	}
	// The gate's own.
	serve(r, get("/items/2"))
	add("/items/{id}", "", "none", "credentials_missing", 401)
	serve(r, get("/items/3", "Authorization", "Basic YTpi"))
	add("/items/{id}", "Basic", "failure", "scheme_not_accepted", 401)
	serve(r, get("/items/4", "Authorization", "Bearer ok", "Authorization", "Bearer ok"))
	add("/items/{id}", "", "failure", "request_malformed", 400)
	serve(r, get("/items/5", "Authorization", "Bearer "+strings.Repeat("a", 11<<10)))
	add("/items/{id}", "", "failure", "credentials_too_large", 431)
	serve(r, get("/items/6", "Authorization", "Bearer down"))
	add("/items/{id}", "Bearer", "failure", "verifier_unavailable", 503)
	pre := get("/items/7", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	pre.Method = http.MethodOptions
	serve(r, pre)
	add("/items/{id}", "", "none", "preflight_unanswered", 204)
	for range 3 {
		serve(r, get("/items/8", "Authorization", "Bearer ok"))
		add("/items/{id}", "Bearer", "success", "", 0)
	}
	serve(r, get("/pub/1"))
	add("/pub/{id}", "", "none", "", 0)
	serve(r, get("/admin/1", "Authorization", "Bearer ok"))
	add("/admin/{id}", "Bearer", "success", "", 0)
	serve(r, get("/read/1", "Authorization", "Bearer ok"))
	add("/read/{id}", "Bearer", "success", "", 0)
	serve(r, get("/policy/1", "Authorization", "Bearer ok"))
	add("/policy/{id}", "Bearer", "success", "", 0)
	// The failure limit: one failure, then the 429.
	serve(r, get("/login/1", "Authorization", "Bearer reject-password_mismatch"))
	add("/login/{id}", "Bearer", "failure", "password_mismatch", 401)
	if w := serve(r, get("/login/1", "Authorization", "Bearer reject-password_mismatch")); w.Code != 429 {
		t.Fatalf("status %d, want 429", w.Code)
	}
	add("/login/{id}", "", "failure", "too_many_failures", 429)

	ms := m.collect(t)
	wantSums(t, authgateotel.MetricAuthenticationOutcomes,
		sums(t, wantUnit(t, ms, authgateotel.MetricAuthenticationOutcomes, "{request}")), wantAuthn)

	hm := wantUnit(t, ms, authgateotel.MetricAuthenticationDuration, "s")
	h, ok := hm.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T, want a float64 histogram", hm.Name, hm.Data)
	}
	gotDur := map[string]int64{}
	for _, p := range h.DataPoints {
		gotDur[attrs(p.Attributes)] += int64(p.Count)
		if p.Bounds[0] != 0.00001 || p.Bounds[len(p.Bounds)-1] != 10 {
			t.Errorf("bounds %v, want 10 µs to 10 s", p.Bounds)
		}
		if mn, ok := p.Min.Value(); !ok || mn < 0 {
			t.Errorf("min %v (%v), want a duration >= 0", mn, ok)
		}
	}
	wantSums(t, authgateotel.MetricAuthenticationDuration, gotDur, wantDur)

	wantSums(t, authgateotel.MetricAuthorizationOutcomes,
		sums(t, wantUnit(t, ms, authgateotel.MetricAuthorizationOutcomes, "{request}")), map[string]int64{
			"authgate.authorization.kind=scopes,authgate.authorization.policy=admin,authgate.reason=scope_insufficient,authgate.result=failure,authgate.scheme=Bearer,http.response.status_code=403,http.route=/admin/{id}": 1,
			"authgate.authorization.kind=scopes,authgate.authorization.policy=read,authgate.result=success,authgate.scheme=Bearer,http.route=/read/{id}":                                                                    1,
			"authgate.authorization.kind=policy,authgate.authorization.policy=deny,authgate.reason=forbidden,authgate.result=failure,authgate.scheme=Bearer,http.response.status_code=403,http.route=/policy/{id}":          1,
		})
	wantSums(t, authgateotel.MetricFailureLimitBlocks,
		sums(t, wantUnit(t, ms, authgateotel.MetricFailureLimitBlocks, "{request}")), map[string]int64{
			"authgate.failure_limit.limit=ip,http.route=/login/{id}": 1,
		})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// jwksJSON is the JWK set of k's public key, kid k1.
func jwksJSON(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(pub[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(pub[33:]),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwksServer serves k's JWK set, or status when it is not 0.
func jwksServer(t *testing.T, k *ecdsa.PrivateKey, status int) *httptest.Server {
	t.Helper()
	set := jwksJSON(t, k)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set)
	}))
	t.Cleanup(s.Close)
	return s
}

const audience = "https://api.example"

func signES256(t testing.TB, k *ecdsa.PrivateKey, iss, sub string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": iss, "aud": audience, "sub": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMetrics_key_sets_and_token_cache: the key-set fetches of a real
// Bearer verifier (one issuer served, one answering 500) by configured
// issuer and result, the keys and last-success age per issuer, and the
// token cache's hits and misses.
func TestMetrics_key_sets_and_token_cache(t *testing.T) {
	t.Parallel()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := jwksServer(t, k, 0)
	bad := jwksServer(t, k, http.StatusInternalServerError)
	m := newMeter(t)
	v, err := bearer.New(context.Background(), audience, []bearer.Issuer{
		{URL: good.URL, Keys: bearer.JWKSURL(good.URL + "/jwks")},
		{URL: bad.URL, Keys: bearer.JWKSURL(bad.URL + "/jwks")},
	}, bearer.WithObserver(m.in.BearerObserver()), bearer.WithLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	h := quietGate(m.in).Require(v)(okHandler)
	tok := signES256(t, k, good.URL, "alice")
	for range 3 {
		if w := serve(h, get("/", "Authorization", "Bearer "+tok)); w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
	}

	ms := m.collect(t)
	wantSums(t, authgateotel.MetricKeySetFetches, sums(t, wantUnit(t, ms, authgateotel.MetricKeySetFetches, "{fetch}")), map[string]int64{
		"authgate.issuer=" + good.URL + ",authgate.result=success": 1,
		"authgate.issuer=" + bad.URL + ",authgate.result=failure":  1,
	})
	fd := wantUnit(t, ms, authgateotel.MetricKeySetFetchDuration, "s").Data.(metricdata.Histogram[float64])
	if len(fd.DataPoints) != 2 {
		t.Errorf("fetch duration points %d, want 2", len(fd.DataPoints))
	}
	wantSums(t, authgateotel.MetricTokenCacheLookups, sums(t, wantUnit(t, ms, authgateotel.MetricTokenCacheLookups, "{lookup}")), map[string]int64{
		"authgate.token_cache.result=miss": 1,
		"authgate.token_cache.result=hit":  2,
	})
	kg := wantUnit(t, ms, authgateotel.MetricKeySetKeys, "{key}").Data.(metricdata.Gauge[int64])
	gotKeys := map[string]int64{}
	for _, p := range kg.DataPoints {
		gotKeys[attrs(p.Attributes)] = p.Value
	}
	wantSums(t, authgateotel.MetricKeySetKeys, gotKeys, map[string]int64{
		"authgate.issuer=" + good.URL: 1,
		"authgate.issuer=" + bad.URL:  0,
	})
	ag := wantUnit(t, ms, authgateotel.MetricKeySetAge, "s").Data.(metricdata.Gauge[float64])
	if len(ag.DataPoints) != 1 || attrs(ag.DataPoints[0].Attributes) != "authgate.issuer="+good.URL ||
		ag.DataPoints[0].Value < 0 || ag.DataPoints[0].Value > 60 {
		t.Errorf("age points %+v, want one for %s, a few seconds at most", ag.DataPoints, good.URL)
	}
}
