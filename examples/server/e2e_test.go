package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers/apikey"
)

// The end-to-end tests build the server binary once and drive it over real
// HTTP on loopback, as a client would.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authgate-server-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "server")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type server struct {
	cmd    *exec.Cmd
	base   string
	banner []string // stdout lines before "listening on"
	stderr *authgatetest.Log
}

// start runs the binary with args and waits until it listens.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &authgatetest.Log{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "listening on ") {
				ready <- strings.TrimPrefix(line, "listening on ")
				break
			}
			s.banner = append(s.banner, line)
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s.base = <-ready:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("server did not start; stderr:\n%s", s.stderr)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server did not shut down cleanly on SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("server did not stop within 15s of SIGTERM")
		}
	})
	return s
}

// events returns the JSON log events with the given message.
func (s *server) events(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if msg == "" || m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// refusals waits until there are at least n refusal events and returns them.
func (s *server) refusals(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := s.events(t, "authgate: request refused")
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var expectRE = regexp.MustCompile(`^# (.+) -> expect (\d{3})(?: ([a-z_]+))?$`)

// TestDemoScenarios runs the demo and every curl command it prints, and
// checks that each behaves as its comment says, with the logged reason,
// and that no printed credential reaches the log.
func TestDemoScenarios(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: the printed scenarios are curl commands")
	}
	s := start(t)
	var secrets []string
	secretRE := regexp.MustCompile(`(X-API-Key: |Bearer |admin:)([^' ]+)`)
	n, refused := 0, 0
	for i := 0; i < len(s.banner); i++ {
		m := expectRE.FindStringSubmatch(s.banner[i])
		if m == nil {
			continue
		}
		if i+1 >= len(s.banner) || !strings.HasPrefix(s.banner[i+1], "curl ") {
			t.Fatalf("comment %q is not followed by a curl command", s.banner[i])
		}
		command := s.banner[i+1]
		for _, sm := range secretRE.FindAllStringSubmatch(command, -1) {
			if sm[2] != "not-the-password" {
				secrets = append(secrets, sm[2])
			}
		}
		n++
		t.Run(m[1], func(t *testing.T) {
			out, err := exec.Command("sh", "-c", command).Output()
			if err != nil {
				t.Fatalf("%s: %v", command, err)
			}
			status := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
			if len(status) < 2 || status[1] != m[2] {
				t.Fatalf("status line %q, want %s", status, m[2])
			}
			if m[3] == "" {
				return
			}
			refused++
			evs := s.refusals(t, refused)
			if len(evs) < refused {
				t.Fatalf("no refusal logged for %q", m[1])
			}
			if got := evs[refused-1]["reason"]; got != m[3] {
				t.Errorf("logged reason %v, want %s", got, m[3])
			}
		})
	}
	if n < 13 {
		t.Fatalf("the demo printed %d scenarios, want at least 13:\n%s", n, strings.Join(s.banner, "\n"))
	}
	if got := len(s.events(t, "authgate: request refused")); got != refused {
		t.Errorf("%d refusals logged for %d refused scenarios", got, refused)
	}
	log := s.stderr.String()
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("a demo credential was logged: %.12s...", sec)
		}
	}
}

// fixture is a configured server's files and credentials.
type fixture struct {
	dir, keysFile, htpasswd, jwksFile string
	key, revokable                    string
	records                           []*apikey.Record // of key and revokable
	iss                               *authgatetest.Issuer
}

const (
	e2eIssuer   = "https://id.e2e.test"
	e2eAudience = "https://api.e2e.test"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	var rec, revokableRec *apikey.Record
	f.key, rec = authgatetest.APIKeyIn(t, "live", "svc-0", "reports:read")
	f.revokable, revokableRec = authgatetest.APIKeyIn(t, "live", "svc-1", "reports:read")
	f.records = []*apikey.Record{rec, revokableRec}
	f.keysFile = filepath.Join(f.dir, "keys.txt")
	f.writeKeys(t, false)

	f.htpasswd = authgatetest.HtpasswdFile(t, map[string]string{"admin": "pa:ss word"})

	// The server reads the issuer's keys from a file, under the fixed
	// issuer name e2eIssuer.
	f.iss = authgatetest.NewIssuer(t, authgatetest.WithIdentifier(e2eIssuer), authgatetest.WithAudience(e2eAudience), authgatetest.WithKeyID("e2e-1"))
	f.jwksFile = filepath.Join(f.dir, "jwks.json")
	if err := os.WriteFile(f.jwksFile, f.iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeKeys writes the key file, with the revokable key revoked a minute
// ago when revoke is set.
func (f *fixture) writeKeys(t *testing.T, revoke bool) {
	t.Helper()
	var lines []string
	for i, rec := range f.records {
		if revoke && i == 1 {
			rec.Revoked = time.Now().Add(-time.Minute).UTC().Truncate(time.Second) // the record is in no store
		}
		line, err := apikey.FormatFileLine(rec)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	tmp := f.keysFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.keysFile); err != nil {
		t.Fatal(err)
	}
}

// token is a token of the configured issuer for aud with scope, issued a
// minute ago and expiring exp from now (in the past when exp < 0).
func (f *fixture) token(t *testing.T, aud, scope string, exp time.Duration) string {
	t.Helper()
	return f.tokenFrom(t, e2eIssuer, aud, scope, exp)
}

// tokenFrom is token with iss as its issuer, signed by the same key.
func (f *fixture) tokenFrom(t *testing.T, iss, aud, scope string, exp time.Duration) string {
	t.Helper()
	now := time.Now()
	return f.iss.Token(t, authgatetest.Claim("iss", iss), authgatetest.Subject("client-7"), authgatetest.Audience(aud),
		authgatetest.Claim("scope", scope), authgatetest.IssuedAt(now.Add(-time.Minute)), authgatetest.ExpiresAt(now.Add(exp)))
}

func (f *fixture) args() []string {
	return []string{"-apikeys", f.keysFile, "-htpasswd", f.htpasswd, "-jwks", f.jwksFile,
		"-issuer", e2eIssuer, "-audience", e2eAudience, "-environment", "live"}
}

type reply struct {
	status     int
	challenges []string
	body       string
	header     http.Header
}

func do(t *testing.T, method, url string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Values("WWW-Authenticate"), string(b), resp.Header}
}

const (
	chAPIKey = `APIKey realm="api", header="X-API-Key"`
	chBasic  = `Basic realm="admin", charset="UTF-8"`
	chBearer = `Bearer realm="api"`
)

// TestConfiguredRoutes drives every route with no, valid and each kind of
// invalid credentials, checking status, challenges, body and logged reason.
func TestConfiguredRoutes(t *testing.T) {
	f := newFixture(t)
	s := start(t, f.args()...)
	basicOK := "Basic " + b64("admin:pa:ss word")
	writer := f.token(t, e2eAudience, "orders:read orders:write", time.Hour)
	reader := f.token(t, e2eAudience, "orders:read", time.Hour)
	expired := f.token(t, e2eAudience, "orders:write", -time.Hour)
	otherAud := f.token(t, "https://other.e2e.test", "orders:write", time.Hour)
	typo := []byte(f.key)
	// A mistyped character that stays in the base62 alphabet (a bit flip
	// may leave it: 'a'^1 is '`'), so the checksum is what fails.
	if c := &typo[len(typo)-8]; *c == 'x' {
		*c = 'y'
	} else {
		*c = 'x'
	}
	invalid := func(desc string) string {
		return `Bearer realm="api", error="invalid_token", error_description="` + desc + `"`
	}
	cases := []struct {
		name, method, path string
		hdr                []string
		status             int
		challenges         []string
		reason             string
		body               string // substring
	}{
		{"healthz", "GET", "/healthz", nil, 200, nil, "", "ok"},
		{"reports/none", "GET", "/v1/reports", nil, 401, []string{chAPIKey}, "credentials_missing", `"reason":"credentials_missing"`},
		{"reports/valid", "GET", "/v1/reports", []string{"X-API-Key", f.key}, 200, nil, "", `"identity":{"subject":"svc-0","scheme":"APIKey","scopes":["reports:read"]}`},
		{"reports/typo", "GET", "/v1/reports", []string{"X-API-Key", string(typo)}, 401, []string{chAPIKey}, "apikey_checksum_invalid", `"reason":"apikey_checksum_invalid"`},
		{"reports/bearer_not_accepted", "GET", "/v1/reports", []string{"Authorization", "Bearer " + writer}, 401, []string{chAPIKey}, "scheme_not_accepted", `Accepted: APIKey.`},
		{"stats/none", "GET", "/admin/stats", nil, 401, []string{chBasic}, "credentials_missing", ""},
		{"stats/valid", "GET", "/admin/stats", []string{"Authorization", basicOK}, 200, nil, "", `"subject":"admin","scheme":"Basic"`},
		{"stats/wrong_password", "GET", "/admin/stats", []string{"Authorization", "Basic " + b64("admin:nope")}, 401, []string{chBasic}, "password_mismatch", `"reason":"credentials_invalid"`},
		{"stats/unknown_user", "GET", "/admin/stats", []string{"Authorization", "Basic " + b64("root:nope")}, 401, []string{chBasic}, "user_unknown", `"reason":"credentials_invalid"`},
		{"stats/no_colon", "GET", "/admin/stats", []string{"Authorization", "Basic " + b64("admin")}, 401, []string{chBasic}, "credentials_malformed", ""},
		{"me/none", "GET", "/v1/me", nil, 401, []string{chBearer, chAPIKey}, "credentials_missing", ""},
		{"me/bearer", "GET", "/v1/me", []string{"Authorization", "Bearer " + writer}, 200, nil, "", `"subject":"client-7","scheme":"Bearer","scopes":["orders:read","orders:write"]`},
		{"me/apikey", "GET", "/v1/me", []string{"X-API-Key", f.key}, 200, nil, "", `"scheme":"APIKey"`},
		{"me/expired", "GET", "/v1/me", []string{"Authorization", "Bearer " + expired}, 401, []string{invalid("The access token expired."), chAPIKey}, "token_expired", `"reason":"token_expired"`},
		{"me/other_audience", "GET", "/v1/me", []string{"Authorization", "Bearer " + otherAud}, 401, []string{invalid("The access token is not meant for this resource."), chAPIKey}, "token_audience_mismatch", ""},
		{"me/two_authorization_fields", "GET", "/v1/me", []string{"Authorization", "Bearer " + writer, "Authorization", "Bearer " + writer}, 400,
			[]string{`Bearer realm="api", error="invalid_request", error_description="The request carries credentials in a malformed way."`}, "request_malformed", ""},
		{"me/oversized", "GET", "/v1/me", []string{"Authorization", "Bearer " + strings.Repeat("a", 20<<10)}, 431, nil, "credentials_too_large", "Authorization header field is too large"},
		{"orders/writer", "POST", "/v1/orders", []string{"Authorization", "Bearer " + writer}, 201, nil, "", `"order":"accepted"`},
		{"orders/reader", "POST", "/v1/orders", []string{"Authorization", "Bearer " + reader}, 403, []string{`Bearer realm="api", error="insufficient_scope", scope="orders:write"`}, "scope_insufficient", ""},
		{"orders/none", "POST", "/v1/orders", nil, 401, []string{`Bearer realm="api", scope="orders:write"`}, "credentials_missing", ""},
		{"catalog/anonymous", "GET", "/v1/catalog", nil, 200, nil, "", `"identity":null`},
		{"catalog/personalised", "GET", "/v1/catalog", []string{"X-API-Key", f.key}, 200, nil, "", `"recommended_for":"svc-0"`},
		{"catalog/bad_credentials", "GET", "/v1/catalog", []string{"Authorization", "Bearer " + expired}, 401,
			[]string{invalid("The access token expired."), chAPIKey, chBasic}, "token_expired", ""},
	}
	refused := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, s.base+tc.path, tc.hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if strings.Join(r.challenges, "\n") != strings.Join(tc.challenges, "\n") {
				t.Errorf("WWW-Authenticate %q, want %q", r.challenges, tc.challenges)
			}
			if !strings.Contains(r.body, tc.body) {
				t.Errorf("body %s lacks %s", r.body, tc.body)
			}
			if tc.reason == "" {
				return
			}
			refused++
			evs := s.refusals(t, refused)
			if len(evs) < refused || evs[refused-1]["reason"] != tc.reason {
				t.Fatalf("last logged refusal %v, want reason %s", evs[len(evs)-1], tc.reason)
			}
		})
	}
	log := s.stderr.String()
	for _, secret := range []string{f.key, string(typo), writer, reader, expired, otherAud, "pa:ss word", basicOK[6:], b64("admin:nope")} {
		if strings.Contains(log, secret) {
			t.Errorf("I2 a credential reached the log: %.16s...", secret)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestReloadOnSIGHUP revokes a key in the file and sends SIGHUP: the key is
// refused from then on, and the other still works.
func TestReloadOnSIGHUP(t *testing.T) {
	f := newFixture(t)
	s := start(t, f.args()...)
	if r := do(t, "GET", s.base+"/v1/reports", "X-API-Key", f.revokable); r.status != 200 {
		t.Fatalf("before reload: %d", r.status)
	}
	f.writeKeys(t, true)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(s.events(t, "reloaded")) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	r := do(t, "GET", s.base+"/v1/reports", "X-API-Key", f.revokable)
	if r.status != 401 || !strings.Contains(r.body, `"reason":"apikey_revoked"`) {
		t.Fatalf("after reload: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", s.base+"/v1/reports", "X-API-Key", f.key); r.status != 200 {
		t.Errorf("the other key: %d", r.status)
	}

	// A changed password in the htpasswd file takes effect on SIGHUP too.
	if err := os.WriteFile(f.htpasswd, []byte(authgatetest.HtpasswdLine(t, "admin", "new password")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	for len(s.events(t, "reloaded")) < 4 && time.Now().Before(deadline.Add(5*time.Second)) {
		time.Sleep(20 * time.Millisecond)
	}
	if r := do(t, "GET", s.base+"/admin/stats", "Authorization", "Basic "+b64("admin:pa:ss word")); r.status != 401 {
		t.Errorf("old password after reload: %d", r.status)
	}
	if r := do(t, "GET", s.base+"/admin/stats", "Authorization", "Basic "+b64("admin:new password")); r.status != 200 {
		t.Errorf("new password after reload: %d", r.status)
	}
}

// TestCurlNegotiatesBasic: a standard client reads our challenge and
// retries with Basic.
func TestCurlNegotiatesBasic(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	f := newFixture(t)
	s := start(t, f.args()...)
	out, err := exec.Command("curl", "-s", "--anyauth", "-u", "admin:pa:ss word", "-w", "\n%{http_code}", s.base+"/admin/stats").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if lines[len(lines)-1] != "200" || !strings.Contains(string(out), `"subject":"admin"`) {
		t.Errorf("curl --anyauth: %s", out)
	}
	// curl's first, unauthenticated try was refused and logged once.
	if evs := s.refusals(t, 1); len(evs) != 1 || evs[0]["reason"] != "credentials_missing" {
		t.Errorf("refusals: %v", evs)
	}
}

// TestBadFlags: a clear message naming the flag or file, exit status 2.
func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.htpasswd")
	_ = os.WriteFile(bad, []byte("admin:plaintext\n"), 0o600)
	short := filepath.Join(dir, "short-secret")
	_ = os.WriteFile(short, []byte("12345\n"), 0o600)
	good := filepath.Join(dir, "secret")
	_ = os.WriteFile(good, []byte("0123456789abcdef0123456789abcdef"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-environment", "staging"}, "-environment"},
		{[]string{"-log-format", "xml"}, "-log-format"},
		{[]string{"-log-level", "verbose"}, "-log-level"},
		{[]string{"-jwks", "keys.json"}, "-jwks: needs -issuer"},
		{[]string{"-issuer", "https://id.example"}, "-issuer: needs -audience"},
		{[]string{"-apikeys", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"-htpasswd", bad}, "bad.htpasswd"},
		{[]string{"-leeway", "banana"}, "-leeway"},
		{[]string{"-addr", "256.0.0.1:1"}, "-addr"},
		{[]string{"-cors-origins", "https://app.example/"}, `-cors-origins: "https://app.example/" is not an origin`},
		{[]string{"-cors-origins", "https://*.example"}, "-cors-origins: \"https://*.example\": wildcards are not accepted"},
		{[]string{"-cors-origins", "app.example"}, "-cors-origins: \"app.example\" is not an origin"},
		{[]string{"-cors-origins", "https://a.example,,https://b.example"}, "-cors-origins: empty origin"},
		{[]string{"-cors-origins", "https://a.example:443"}, "leave out the default port"},
		{[]string{"-apikeys", "keys.txt", "-postgres", "postgres://db.internal/api"}, "server: -apikeys and -postgres: API keys come from one store; give one"},
		{[]string{"-max-staleness", "1m"}, "server: -postgres-schema and -max-staleness: need -postgres"},
		{[]string{"-failure-limit-ip", "-1"}, "server: -failure-limit-ip and -failure-limit-principal: a limit is 0 (off) or positive"},
		{[]string{"-failure-limit-ip", "5", "-failure-window", "0s"}, "server: -failure-window: 0s is not positive"},
		{[]string{"-redis", "127.0.0.1:6379"}, "server: -redis: shares the failure limit's counts; set -failure-limit-ip or -failure-limit-principal"},
		{[]string{"-redis", "127.0.0.1:6379", "-failure-limit-ip", "5"}, "server: -redis: needs -redis-secret-file"},
		{[]string{"-redis-prefix", "x:"}, "server: -redis-prefix, -redis-secret-file and -redis-timeout: need -redis"},
		{[]string{"-redis", "127.0.0.1:6379", "-failure-limit-ip", "5", "-redis-secret-file", good, "-redis-timeout", "0s"}, "server: -redis: redisstore: invalid configuration: timeout 0s is under 1ms (a duration without its unit is nanoseconds)"},
		{[]string{"-redis", "127.0.0.1:6379", "-failure-limit-ip", "5", "-redis-secret-file", short}, "server: -redis: redisstore: invalid configuration: the secret is 5 bytes, at least 16 are needed"},
		{[]string{"-redis", "127.0.0.1:6379", "-failure-limit-ip", "5", "-redis-secret-file", filepath.Join(dir, "none")}, "server: -redis-secret-file: open "},
		{[]string{"-redis", "redis://:Canary-Pw-51c3@127.0.0.1:6379/x", "-failure-limit-ip", "5", "-redis-secret-file", short}, "server: -redis: not a Redis URL such as redis://host:6379/0"},
		{[]string{"-postgres", "postgres://db.internal/api", "-max-staleness", "0s"}, "server: -max-staleness: 0s is not positive"},
		// Unreachable at start: an error naming the address, not the password.
		{[]string{"-postgres", "postgres://authgate:Canary-Pw-51c3@127.0.0.1:1/api?connect_timeout=2"}, "server: -postgres: pgstore: "},
		{[]string{"-postgres", "postgres://authgate:Canary-Pw-51c3@127.0.0.1:1/a pi"}, "server: -postgres: cannot parse `postgres://authgate:xxxxx@127.0.0.1:1/a pi`"},
	}
	for _, tc := range cases {
		args := tc.args
		if tc.args[0] != "-addr" {
			// A free port, so that a server already on 8080 (another
			// engineer's, a demo) cannot turn a file error into a bind error.
			args = append([]string{"-addr", "127.0.0.1:0"}, args...)
		}
		cmd := exec.Command(binPath, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: exit %v, want 2", tc.args, err)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: message %q lacks %q", tc.args, stderr.String(), tc.want)
		}
		if strings.Contains(stderr.String(), "Canary-Pw") {
			t.Errorf("%v: the password is printed: %s", tc.args, stderr.String())
		}
	}
}

// TestGenerateKey prints a key once and its key-file line.
func TestGenerateKey(t *testing.T) {
	out, err := exec.Command(binPath, "-generate-key", "billing-service", "-environment", "test", "-scopes", "reports:read, orders:write").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	k, err := apikey.ParseKey(lines[1], "")
	if err != nil || k.Environment() != "test" {
		t.Fatalf("printed key %q: %v", lines[1], err)
	}
	if !strings.Contains(string(out), k.ID()) || strings.Count(string(out), k.Reveal()) != 1 {
		t.Errorf("output:\n%s", out)
	}
	// The printed line is a valid key file that accepts the printed key.
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte(lines[4]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := apikey.OpenFileStore(file)
	if err != nil {
		t.Fatalf("key-file line %q: %v", lines[4], err)
	}
	rec, err := store.Lookup(context.Background(), k.ID())
	if err != nil || rec.Subject != "billing-service" || strings.Join(rec.Scopes, " ") != "reports:read orders:write" || rec.Environment != "test" {
		t.Errorf("record %+v, %v", rec, err)
	}
}

// TestLogLevel: -log-level info drops the per-request debug event of an
// authenticated request and keeps the rejection's warn event.
func TestLogLevel(t *testing.T) {
	f := newFixture(t)
	s := start(t, append(f.args(), "-log-level", "info")...)
	if r := do(t, "GET", s.base+"/v1/reports", "X-API-Key", f.key); r.status != 200 {
		t.Fatalf("valid key: status %d", r.status)
	}
	if r := do(t, "GET", s.base+"/v1/reports"); r.status != 401 {
		t.Fatalf("no key: status %d", r.status)
	}
	if evs := s.refusals(t, 1); len(evs) != 1 || evs[0]["reason"] != "credentials_missing" {
		t.Fatalf("refusals = %v, want one credentials_missing", evs)
	}
	for _, ev := range s.events(t, "") {
		if ev["level"] == "debug" {
			t.Errorf("debug event logged at -log-level info: %v", ev)
		}
	}
}

// TestPlainHTTPOnlyToLoopback: the server fetches keys over plain http
// from loopback (a local provider) and from nowhere else: not from a
// -jwks URL on another host beside a loopback -issuer, not from a
// jwks_uri on another host named by a loopback discovery document.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	f := newFixture(t)
	jwks, err := os.ReadFile(f.jwksFile)
	if err != nil {
		t.Fatal(err)
	}
	var jwksURI atomic.Value // string: what the discovery document names
	var issuer string
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, issuer, jwksURI.Load())
		case "/jwks":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	defer provider.Close()
	issuer = provider.URL

	t.Run("jwks_flag_on_another_host_refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, "-addr", "127.0.0.1:0", "-issuer", issuer, "-audience", e2eAudience, "-jwks", "http://keys.example.invalid/jwks")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), `-jwks: bearer: issuer '`+issuer+`': 'http://keys.example.invalid/jwks' uses plain http to a host that is not loopback`) {
			t.Errorf("exit %v, stderr:\n%s", err, stderr.String())
		}
	})

	t.Run("discovered_jwks_uri_on_another_host_refused", func(t *testing.T) {
		jwksURI.Store("http://keys.example.invalid/jwks")
		s := start(t, "-issuer", issuer, "-audience", e2eAudience)
		tok := f.tokenFrom(t, issuer, e2eAudience, "orders:write", time.Hour)
		// The key set is never fetched, so the server cannot check the
		// token: 503, never 401 or 200.
		if r := do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+tok); r.status != 503 {
			t.Errorf("status %d, want 503: %s", r.status, r.body)
		}
		if !strings.Contains(s.stderr.String(), `jwks_uri: 'http://keys.example.invalid/jwks' uses plain http to a host that is not loopback`) {
			t.Errorf("the log does not say why the key set was not fetched:\n%s", s.stderr)
		}
	})

	t.Run("loopback_discovery_and_jwks_work", func(t *testing.T) {
		jwksURI.Store(provider.URL + "/jwks")
		s := start(t, "-issuer", issuer, "-audience", e2eAudience)
		tok := f.tokenFrom(t, issuer, e2eAudience, "orders:write", time.Hour)
		if r := do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+tok); r.status != 200 {
			t.Errorf("status %d, want 200: %s", r.status, r.body)
		}
	})
}

// TestEmptyKeyFileWarns: the server starts on a key file with no key, as
// it should (every key is then refused), but its log says so, at start and
// on SIGHUP, through the server's own logger: in the -log-format it was
// given, not the key store's default JSON.
func TestEmptyKeyFileWarns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(path, []byte(apikey.FileHeader+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "-apikeys", path, "-log-format", "console")
	warned := func() int {
		n := 0
		for _, line := range strings.Split(s.stderr.String(), "\n") {
			if strings.Contains(line, "holds no key") {
				if !strings.Contains(line, " WRN ") || !strings.Contains(line, "file="+path) || strings.HasPrefix(line, "{") {
					t.Errorf("warning not in the server's console format: %s", line)
				}
				n++
			}
		}
		return n
	}
	// stderr is copied from the process by another goroutine: the line
	// may arrive a moment after the server says it is listening.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(s.stderr.String(), "holds no key") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := warned(); n != 1 {
		t.Fatalf("%d warnings at start, want 1; log:\n%s", n, s.stderr)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.stderr.String(), "reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := warned(); n != 2 {
		t.Errorf("%d warnings after SIGHUP, want 2; log:\n%s", n, s.stderr)
	}
}
