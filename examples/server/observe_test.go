package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// slowKeys serves the fixture's JWK set at /jwks, answering 503 until
// arrive is called: an identity provider still starting.
type slowKeys struct {
	*httptest.Server
	arrived atomic.Bool
	hits    atomic.Int32
}

func newSlowKeys(t *testing.T, f *fixture) *slowKeys {
	t.Helper()
	k := &slowKeys{}
	jwks := f.iss.JWKS()
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.hits.Add(1)
		if !k.arrived.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(k.Close)
	return k
}

// scrape reads /metrics with Prometheus's own text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the sum of the family's samples whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		var names []string
		for n := range fams {
			names = append(names, n)
		}
		t.Fatalf("no metric family %s; have %v", name, names)
	}
	total := 0.0
next:
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// TestMetricsAndReadiness: with a key set that arrives late, /readyz
// answers 503 then 200 once the background retry fetched it; /metrics,
// parsed by expfmt, counts the refusals by reason, the successes, the
// key-set fetches by result, the keys of the configured issuer and the
// authentication time; no credential reaches it.
func TestMetricsAndReadiness(t *testing.T) {
	f := newFixture(t)
	keys := newSlowKeys(t, f)
	s := start(t, "-apikeys", f.keysFile, "-issuer", e2eIssuer, "-audience", e2eAudience, "-jwks", keys.URL+"/jwks",
		"-unknown-key-refresh", "1s", "-metrics", "-log-level", "warn")

	r := do(t, "GET", s.base+"/readyz")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "Bearer") {
		t.Fatalf("/readyz before the key set: %d %q, want 503 naming Bearer", r.status, r.body)
	}
	keys.arrived.Store(true)
	deadline := time.Now().Add(15 * time.Second)
	for r.status != http.StatusOK && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		r = do(t, "GET", s.base+"/readyz")
	}
	if r.status != http.StatusOK || r.body != "ready\n" {
		t.Fatalf("/readyz after the key set arrived: %d %q (%d fetches)", r.status, r.body, keys.hits.Load())
	}

	tok := f.token(t, e2eAudience, "orders:write", time.Hour)
	expired := f.token(t, e2eAudience, "", -time.Hour)
	for range 3 {
		if r := do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+tok); r.status != 200 {
			t.Fatalf("/v1/me with a token: %d %s", r.status, r.body)
		}
	}
	do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+expired)
	do(t, "GET", s.base+"/v1/reports")
	do(t, "GET", s.base+"/v1/reports")
	do(t, "GET", s.base+"/v1/reports", "X-API-Key", f.key)
	do(t, "POST", s.base+"/v1/orders", "Authorization", "Bearer "+expired)

	fams := scrape(t, s.base)
	const outcomes = "authgate_authentication_outcomes_total"
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{outcomes, map[string]string{"authgate_result": "success", "authgate_scheme": "Bearer", "http_route": "/v1/me"}, 3},
		{outcomes, map[string]string{"authgate_result": "success", "authgate_scheme": "APIKey", "http_route": "/v1/reports"}, 1},
		{outcomes, map[string]string{"authgate_reason": "token_expired", "http_response_status_code": "401"}, 2},
		{outcomes, map[string]string{"authgate_reason": "credentials_missing", "authgate_result": "none", "http_route": "/v1/reports"}, 2},
		{"authgate_authentication_duration_seconds", map[string]string{}, 8},
		{"authgate_keyset_fetches_total", map[string]string{"authgate_issuer": e2eIssuer, "authgate_result": "failure"}, 1},
		{"authgate_keyset_fetches_total", map[string]string{"authgate_issuer": e2eIssuer, "authgate_result": "success"}, 1},
		{"authgate_keyset_keys", map[string]string{"authgate_issuer": e2eIssuer}, 1},
		{"authgate_token_cache_lookups_total", map[string]string{"authgate_token_cache_result": "hit"}, 3},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if age := value(t, fams, "authgate_keyset_age_seconds", map[string]string{"authgate_issuer": e2eIssuer}); age < 0 || age > 60 {
		t.Errorf("key-set age %v s", age)
	}

	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	for _, secret := range []string{tok, expired, f.key, "client-7", "svc-0"} {
		if strings.Contains(body.String(), secret) {
			t.Errorf("/metrics holds %.16s...", secret)
		}
	}
}

// TestNoMetricsWithoutFlag: /metrics is not served without -metrics,
// /readyz always is.
func TestNoMetricsWithoutFlag(t *testing.T) {
	f := newFixture(t)
	s := start(t, f.args()...)
	if r := do(t, "GET", s.base+"/metrics"); r.status != http.StatusNotFound {
		t.Errorf("/metrics without -metrics: %d", r.status)
	}
	if r := do(t, "GET", s.base+"/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz with static keys: %d %s", r.status, r.body)
	}
}

// TestBadObservabilityFlags: a negative -unknown-key-refresh is a usage
// error (exit 2), named.
func TestBadObservabilityFlags(t *testing.T) {
	cmd := exec.Command(binPath, "-addr", "127.0.0.1:0", "-unknown-key-refresh", "-1s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "-unknown-key-refresh: -1s is negative") {
		t.Errorf("exit %v, stderr %q; want 2 naming the flag", err, stderr.String())
	}
}
