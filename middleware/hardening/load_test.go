package hardening

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// newDefaultFixture is a fixture whose gate has the default settings
// (log sampling on), over a fresh verifier set.
func newDefaultFixture(t *testing.T) *fixture {
	t.Helper()
	vs := newVerifierSet(t)
	f := &fixture{vs: vs, log: &authgatetest.Log{}}
	f.gate = middleware.New(middleware.WithLogger(zerolog.New(f.log)))
	f.router = f.newRouter(nil)
	return f
}

// loadCase is one kind of request of the load test and what it deserves.
type loadCase struct {
	name   string
	path   string
	hdr    func(i int) []string // i makes per-request credentials unique
	status int
	reason verifiers.Reason // public reason in the body; "" for 2xx
	body   string           // 2xx body
}

func loadCases(vs *verifierSet) []loadCase {
	h := func(kv ...string) func(int) []string { return func(int) []string { return kv } }
	return []loadCase{
		{"bearer_ok", "/bearer", h("Authorization", "Bearer "+vs.tokAll), 200, "", "Bearer user-42\n"},
		{"bearer_expired", "/bearer", h("Authorization", "Bearer "+vs.tokExpired), 401, verifiers.TokenExpired, ""},
		{"bearer_unique_malformed", "/bearer", func(i int) []string { return []string{"Authorization", fmt.Sprintf("Bearer not-a-jwt-%d", i)} }, 401, verifiers.TokenMalformed, ""},
		{"all_bearer_read", "/all", h("Authorization", "bearer "+vs.tokRead), 200, "", "Bearer user-42\n"},
		{"scoped_bearer_read", "/scoped", h("Authorization", "Bearer "+vs.tokRead), 403, verifiers.ScopeInsufficient, ""},
		{"scoped_bearer_all", "/scoped", h("Authorization", "Bearer "+vs.tokAll), 200, "", "Bearer user-42\n"},
		{"basic_ok", "/basic", h("Authorization", basicAuth(basicUser, basicPassword)), 200, "", "Basic alice\n"},
		{"all_basic_ok", "/all", h("Authorization", basicAuth(bobUser, bobPassword)), 200, "", "Basic bob\n"},
		{"basic_wrong_password", "/basic", h("Authorization", basicAuth(basicUser, "nope")), 401, verifiers.CredentialsInvalid, ""},
		{"basic_unknown_user", "/all", h("Authorization", basicAuth("mallory", basicPassword)), 401, verifiers.CredentialsInvalid, ""},
		{"basic_malformed", "/basic", h("Authorization", "Basic %%%"), 401, verifiers.CredentialsMalformed, ""},
		{"apikey_ok", "/apikey", h("X-API-Key", vs.keyGood), 200, "", "APIKey svc-reports\n"},
		{"apikey_ok_authorization", "/all", h("Authorization", "APIKey "+vs.keyGood), 200, "", "APIKey svc-reports\n"},
		{"apikey_revoked", "/apikey", h("X-API-Key", vs.keyRevoked), 401, verifiers.APIKeyRevoked, ""},
		{"apikey_expired", "/all", h("X-API-Key", vs.keyExpired), 401, verifiers.APIKeyExpired, ""},
		{"apikey_unknown", "/apikey", h("X-API-Key", vs.keyUnknown), 401, verifiers.CredentialsInvalid, ""},
		{"apikey_typo", "/apikey", h("X-API-Key", typo(vs.keyGood)), 401, verifiers.APIKeyChecksumInvalid, ""},
		{"apikey_two_ways", "/apikey", h("X-API-Key", vs.keyGood, "Authorization", "APIKey "+vs.keyGood), 400, verifiers.RequestMalformed, ""},
		{"scoped_apikey", "/scoped", h("X-API-Key", vs.keyGood), 403, verifiers.ScopeInsufficient, ""},
		{"missing", "/all", h(), 401, verifiers.CredentialsMissing, ""},
		{"optional_anonymous", "/optional", h(), 200, "", "anonymous\n"},
		{"optional_bad", "/optional", h("X-API-Key", vs.keyRevoked), 401, verifiers.APIKeyRevoked, ""},
		{"two_authorization", "/all", h("Authorization", "Bearer "+vs.tokAll, "Authorization", basicAuth(basicUser, basicPassword)), 400, verifiers.RequestMalformed, ""},
		{"too_large", "/bearer", h("Authorization", "Bearer "+strings.Repeat("a", 11<<10)), 431, verifiers.CredentialsTooLarge, ""},
		{"scheme_not_accepted", "/apikey", h("Authorization", "Bearer "+vs.tokAll), 401, verifiers.SchemeNotAccepted, ""},
	}
}

// settleGoroutines waits until the goroutine count is at most limit, or
// the deadline passes, and returns the last count.
func settleGoroutines(limit int, deadline time.Duration) int {
	end := time.Now().Add(deadline)
	for {
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(end) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestLoadConcurrentClients runs 300 clients of ~20 requests each over
// real HTTP on loopback against the fixture (default gate settings, log
// sampling on), mixing valid and invalid credentials of all schemes. Every
// answer must be exactly what its credentials deserve (status, public
// reason or body, challenge presence on 401), no credential may leak into
// the log, and the goroutines must go back to the baseline after the
// server is closed. It does not run in parallel with other tests, so
// that the goroutine count means something.
func TestLoadConcurrentClients(t *testing.T) {
	f := newDefaultFixture(t)
	cases := loadCases(f.vs)
	const clients, perClient = 300, 20

	heapBefore := heapInuse()
	before := runtime.NumGoroutine()
	srv := httptest.NewServer(f.router)
	tr := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Second}
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}

	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		failures atomic.Int64
		mu       sync.Mutex
		counts   = map[string]int{}
	)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				n := c*perClient + i
				lc := cases[n%len(cases)]
				req, err := http.NewRequest(http.MethodGet, srv.URL+lc.path, nil)
				if err != nil {
					t.Error(err)
					return
				}
				kv := lc.hdr(n)
				for j := 0; j+1 < len(kv); j += 2 {
					req.Header.Add(kv[j], kv[j+1])
				}
				resp, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					t.Errorf("%s: %v", lc.name, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				requests.Add(1)
				if msg := lc.verify(resp, string(body)); msg != "" {
					failures.Add(1)
					if failures.Load() < 20 {
						t.Errorf("%s (request %d): %s", lc.name, n, msg)
					}
				}
				mu.Lock()
				counts[lc.name]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	srv.Close()
	tr.CloseIdleConnections()
	after := settleGoroutines(before, 5*time.Second)
	heapAfter := heapInuse()
	t.Logf("load: %d requests by %d clients in %v (%.0f req/s), %d wrong answers; goroutines %d before, %d after; HeapInuse %.1f MiB before, %.1f MiB after",
		requests.Load(), clients, took.Round(time.Millisecond), float64(requests.Load())/took.Seconds(), failures.Load(),
		before, after, float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20))
	if requests.Load() != clients*perClient {
		t.Errorf("%d requests answered, want %d", requests.Load(), clients*perClient)
	}
	if after > before+5 {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after close: leak?\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	assertNoSecret(t, map[string]string{"gate log": f.log.String(), "bearer log": f.vs.bearerLog.String()}, f.vs.secrets()...)
	if refusals := f.log.Refusals(t); len(refusals) == 0 || len(refusals) > 400 {
		t.Errorf("%d refusal events logged for %d requests: sampling should keep them few but not none", len(refusals), requests.Load())
	}
}

// verify returns what is wrong with resp for lc, or "".
func (lc loadCase) verify(resp *http.Response, body string) string {
	if resp.StatusCode != lc.status {
		return fmt.Sprintf("status %d, want %d (body %q)", resp.StatusCode, lc.status, body)
	}
	if lc.reason == "" {
		if body != lc.body {
			return fmt.Sprintf("body %q, want %q", body, lc.body)
		}
		return ""
	}
	var p struct {
		Status int
		Reason string
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return fmt.Sprintf("body is not JSON: %v: %q", err, body)
	}
	if p.Reason != string(lc.reason.Public()) || p.Status != lc.status {
		return fmt.Sprintf("body reason %q status %d, want %q %d", p.Reason, p.Status, lc.reason.Public(), lc.status)
	}
	if lc.status == 401 && len(resp.Header.Values("Www-Authenticate")) == 0 {
		return "A1: 401 without WWW-Authenticate"
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		return fmt.Sprintf("A11: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	return ""
}

// TestLoadFloodCachesBounded sends 20,000 unique, well-formed, ES256
// tokens with the fixture's kid and a random signature (each is
// token_signature_invalid, a rejection the Bearer verifier remembers),
// half of them from distinct client addresses (the gate's log sampler
// keeps per-client state, bounded to 10,000 clients), and 20,000 unique
// unknown API keys in our format with valid checksums (apikey_unknown),
// from 8 goroutines, straight into the router. The
// verifiers export no cache statistics, so the bound is checked on the
// heap: HeapInuse after a GC may grow by at most 12 MiB. The documented
// bounds are DefaultTokenCacheBytes/8 = 2 MiB for remembered rejections
// (plus bookkeeping) and nothing at all for API-key failures; without a
// bound, 20,000 remembered rejections of ~450-byte tokens would take
// well over 12 MiB (about 25 MiB measured without the bound in mind:
// token, rejection and entry per flood request). Valid credentials still
// work after the flood.
func TestLoadFloodCachesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("flood skipped in -short mode")
	}
	f := newDefaultFixture(t)
	vs := f.vs
	// The log is scanned for the credentials as it is written and not
	// kept: half the flood comes from distinct clients, each logged (the
	// sampler is per client), and keeping megabytes of log would hide the
	// caches in the heap figures.
	scan := newScanWriter(vs.secrets()...)
	f.gate = middleware.New(middleware.WithLogger(zerolog.New(scan)))
	f.router = f.newRouter(nil)
	// Warm up: the paths, the sampler and the caches' first entries.
	for _, r := range []*http.Request{request("/bearer", "Authorization", "Bearer "+vs.tokAll), request("/apikey", "X-API-Key", vs.keyGood)} {
		if res := f.serve(t, r); res.code != 200 {
			t.Fatalf("warm-up: %d %s", res.code, res.body)
		}
	}
	// The flood's tokens are a valid token's header and claims, each with
	// its own jti, and a random signature.
	tmpl := strings.Split(token(t, vs.iss, "orders:read", authgatetest.Claim("jti", "JTI")), ".")
	hdr := tmpl[0]
	tmplJSON, err := base64.RawURLEncoding.DecodeString(tmpl[1])
	if err != nil {
		t.Fatal(err)
	}
	before, after, _ := strings.Cut(string(tmplJSON), `"JTI"`)
	const floodN, workers = 20000, 8
	heapBefore := heapInuse()
	start := time.Now()
	var (
		wg    sync.WaitGroup
		wrong atomic.Int64
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sig := make([]byte, 64)
			for i := w; i < floodN; i += workers {
				body := before + `"flood-` + strconv.Itoa(i) + `"` + after
				_, _ = rand.Read(sig)
				tok := hdr + "." + b64url([]byte(body)) + "." + b64url(sig)
				rec := httptest.NewRecorder()
				r := request("/bearer", "Authorization", "Bearer "+tok)
				// Half the flood comes from distinct addresses, for the
				// gate's log sampler (bounded to 10,000 clients).
				if i%2 == 0 {
					r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4000", i>>16&255, i>>8&255, i&255)
				}
				f.router.ServeHTTP(rec, r)
				if rec.Code != 401 || !strings.Contains(rec.Body.String(), string(verifiers.TokenSignatureInvalid)) {
					if wrong.Add(1) < 5 {
						t.Errorf("flood token %d: %d %s", i, rec.Code, rec.Body)
					}
				}
				k, err := apikey.Generate("", "live")
				if err != nil {
					t.Error(err)
					return
				}
				rec = httptest.NewRecorder()
				f.router.ServeHTTP(rec, request("/apikey", "X-API-Key", k.Reveal()))
				if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"reason":"credentials_invalid"`) {
					if wrong.Add(1) < 5 {
						t.Errorf("flood key %d: %d %s", i, rec.Code, rec.Body)
					}
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	heapAfter := heapInuse()
	growth := int64(heapAfter) - int64(heapBefore)
	t.Logf("flood: %d bad tokens + %d unknown keys in %v; HeapInuse %.1f MiB before, %.1f MiB after (growth %.2f MiB); %d log lines, %d bytes",
		floodN, floodN, took.Round(time.Millisecond), float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20), float64(growth)/(1<<20), scan.lines.Load(), scan.bytes.Load())
	if growth > 12<<20 {
		t.Errorf("HeapInuse grew by %.1f MiB after the flood: a cache is not bounded", float64(growth)/(1<<20))
	}
	for _, r := range []*http.Request{request("/bearer", "Authorization", "Bearer "+vs.tokAll), request("/apikey", "X-API-Key", vs.keyGood),
		request("/basic", "Authorization", basicAuth(basicUser, basicPassword))} {
		if res := f.serve(t, r); res.code != 200 {
			t.Errorf("after the flood: %d %s", res.code, res.body)
		}
	}
	if n := scan.leaks.Load(); n > 0 {
		t.Errorf("%d log lines held a credential", n)
	}
}

// scanWriter is a log writer that counts lines and looks for credentials
// in each, keeping nothing.
type scanWriter struct {
	forms               []string
	lines, bytes, leaks atomic.Int64
}

func newScanWriter(secrets ...string) *scanWriter {
	w := &scanWriter{}
	for _, s := range secrets {
		w.forms = append(w.forms, secretForms(s)...)
	}
	return w
}

func (w *scanWriter) Write(p []byte) (int, error) {
	w.lines.Add(1)
	w.bytes.Add(int64(len(p)))
	for _, f := range w.forms {
		if strings.Contains(string(p), f) {
			w.leaks.Add(1)
			break
		}
	}
	return len(p), nil
}

// typo changes the last character of key to another one (a fixed
// replacement would leave a key that already ends with it unchanged:
// valid, one time in 62).
func typo(key string) string {
	c := byte('0')
	if key[len(key)-1] == c {
		c = '1'
	}
	return key[:len(key)-1] + string(c)
}
