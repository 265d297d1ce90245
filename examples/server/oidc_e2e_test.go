package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
)

// The OpenID provider test runs panva's oidc-provider (npm) on loopback
// and points the server at it by issuer discovery alone. .ci/run installs
// it; elsewhere the test skips unless it is installed:
//
//	npm ci --prefix examples/server/testdata/oidc-provider

const (
	providerDir = "testdata/oidc-provider"
	apiResource = "https://api.example.test"
)

func startProvider(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(providerDir + "/node_modules/oidc-provider/package.json"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("oidc-provider is not installed in %s: .ci/run must run npm ci there", providerDir)
		}
		t.Skipf("oidc-provider is not installed; run: npm ci --prefix examples/server/%s", providerDir)
	}
	cmd := exec.Command("node", "provider.mjs")
	cmd.Dir = providerDir
	cmd.Env = append(os.Environ(), "RESOURCES="+apiResource+",https://other.example.test")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &authgatetest.Log{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close() // the provider exits when its stdin closes
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if s, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- s
			}
		}
	}()
	select {
	case iss := <-ready:
		return iss
	case <-time.After(30 * time.Second):
		t.Fatalf("oidc-provider did not start:\n%s", stderr)
	}
	return ""
}

// clientToken gets an access token with the client_credentials grant for
// resource (RFC 8707), so that the provider issues a JWT (typ at+jwt).
func clientToken(t *testing.T, issuer, resource, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope}}
	req, _ := http.NewRequest("POST", issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", "svc-secret-for-tests-only")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || resp.StatusCode != 200 || strings.Count(tr.AccessToken, ".") != 2 {
		t.Fatalf("token request: %d %s", resp.StatusCode, b)
	}
	return tr.AccessToken
}

func TestOpenIDProviderEndToEnd(t *testing.T) {
	issuer := startProvider(t)
	writer := clientToken(t, issuer, apiResource, "orders:write")
	reader := clientToken(t, issuer, apiResource, "orders:read")
	other := clientToken(t, issuer, "https://other.example.test", "orders:write")

	t.Run("discovery", func(t *testing.T) {
		s := start(t, "-issuer", issuer, "-audience", apiResource)
		if r := do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+writer); r.status != 200 || !strings.Contains(r.body, `"subject":"svc","scheme":"Bearer","scopes":["orders:write"]`) {
			t.Errorf("token for our audience: %d %s", r.status, r.body)
		}
		if r := do(t, "POST", s.base+"/v1/orders", "Authorization", "Bearer "+writer); r.status != 201 {
			t.Errorf("order with orders:write: %d %s", r.status, r.body)
		}
		r := do(t, "POST", s.base+"/v1/orders", "Authorization", "Bearer "+reader)
		if r.status != 403 || strings.Join(r.challenges, "|") != `Bearer realm="api", error="insufficient_scope", scope="orders:write"` {
			t.Errorf("order without the scope: %d %q", r.status, r.challenges)
		}
		r = do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+other)
		if r.status != 401 || !strings.Contains(r.body, `"reason":"token_audience_mismatch"`) {
			t.Errorf("token for another resource: %d %s", r.status, r.body)
		}
		evs := s.refusals(t, 2)
		if len(evs) != 2 || evs[0]["reason"] != "scope_insufficient" || evs[1]["reason"] != "token_audience_mismatch" {
			t.Fatalf("refusals: %v", evs)
		}
		if d, _ := evs[1]["detail"].(string); !strings.Contains(d, "https://other.example.test") || !strings.Contains(d, apiResource) {
			t.Errorf("audience detail lacks the values: %q", d)
		}
	})

	u, _ := url.Parse(issuer)
	variants := map[string]string{
		"trailing_slash": issuer + "/",
		"localhost":      "http://localhost:" + u.Port(),
	}
	for name, configured := range variants {
		t.Run("issuer_"+name, func(t *testing.T) {
			s := start(t, "-issuer", configured, "-audience", apiResource)
			r := do(t, "GET", s.base+"/v1/me", "Authorization", "Bearer "+writer)
			if r.status != 401 || !strings.Contains(r.body, `"reason":"token_issuer_mismatch"`) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			evs := s.refusals(t, 1)
			if len(evs) != 1 || evs[0]["reason"] != "token_issuer_mismatch" {
				t.Fatalf("refusals: %v", evs)
			}
			t.Logf("logged: %v", evs[0])
			text, _ := evs[0]["detail"].(string)
			hint, _ := evs[0]["hint"].(string)
			if !strings.Contains(text+hint, issuer+`'`) || !strings.Contains(text+hint, configured) {
				t.Errorf("detail/hint must show both %q and %q: %q / %q", issuer, configured, text, hint)
			}
		})
	}
}
