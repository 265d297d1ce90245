package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/auth/extauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/authgate/authgate/authgatetest"
)

// The end-to-end test runs panva's oidc-provider (npm) on loopback as the
// authorization server, and the SDK's own client against the example.
// .ci/run installs the provider; elsewhere the test skips unless it is
// installed:
//
//	npm ci --prefix examples/mcp/testdata/oidc-provider

const (
	providerDir   = "testdata/oidc-provider"
	otherResource = "https://other.example.test"
)

// startProvider runs the provider for resources (the first is the default
// resource of a token request that names none) and returns its issuer.
func startProvider(t *testing.T, resources ...string) string {
	t.Helper()
	if _, err := os.Stat(providerDir + "/node_modules/oidc-provider/package.json"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("oidc-provider is not installed in %s: .ci/run must run npm ci there", providerDir)
		}
		t.Skipf("oidc-provider is not installed; run: npm ci --prefix examples/mcp/%s", providerDir)
	}
	cmd := exec.Command("node", "provider.mjs")
	cmd.Dir = providerDir
	cmd.Env = append(os.Environ(), "RESOURCES="+strings.Join(resources, ","), "DEFAULT_RESOURCE="+resources[0], "SCOPES="+ScopeTools+" "+ScopeAdmin)
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

// token gets an access token with the client_credentials grant from the
// token endpoint, for resource (RFC 8707).
func token(t *testing.T, endpoint, client, resource, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {scope}}
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, client+"-secret-for-tests-only")
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

// exchange is one request and the answer the client got.
type exchange struct {
	method, path string
	status       int
	challenges   []string
}

// recorder is an http.RoundTripper that records every exchange and, when
// bearer is set, sends it as the token.
type recorder struct {
	mu     sync.Mutex
	log    []exchange
	bearer string
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if rc.bearer != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+rc.bearer)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		rc.mu.Lock()
		rc.log = append(rc.log, exchange{r.Method, r.URL.Path, resp.StatusCode, resp.Header.Values("WWW-Authenticate")})
		rc.mu.Unlock()
	}
	return resp, err
}

// find returns the first exchange with status.
func (rc *recorder) find(status int) (exchange, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, e := range rc.log {
		if e.status == status {
			return e, true
		}
	}
	return exchange{}, false
}

func (rc *recorder) String() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var b strings.Builder
	for _, e := range rc.log {
		b.WriteString(e.method + " " + e.path + " " + http.StatusText(e.status) + " " + strings.Join(e.challenges, " | ") + "\n")
	}
	return b.String()
}

// env is a running example with its authorization server.
type env struct {
	issuer, resource, metadata string
	tokenEndpoint              string
	log                        *authgatetest.Log
}

func startExample(t *testing.T) *env {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{resource: "http://" + l.Addr().String() + "/mcp", log: &authgatetest.Log{}}
	e.metadata = "http://" + l.Addr().String() + "/.well-known/oauth-protected-resource/mcp"
	e.issuer = startProvider(t, e.resource, otherResource)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := newApp(ctx, config{issuer: e.issuer, resource: e.resource, loopbackHTTP: true}, e.log.Logger())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.handler)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	asm, err := auth.GetAuthServerMetadata(ctx, e.issuer, http.DefaultClient)
	if err != nil || asm == nil {
		t.Fatalf("authorization server metadata: %v", err)
	}
	e.tokenEndpoint = asm.TokenEndpoint
	return e
}

// connect opens an SDK client session over the streamable transport.
func connect(t *testing.T, e *env, rc *recorder, h auth.OAuthHandler) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	tr := &mcp.StreamableClientTransport{Endpoint: e.resource, HTTPClient: &http.Client{Transport: rc}, OAuthHandler: h, MaxRetries: -1, DisableStandaloneSSE: true}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, tr, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func credentials(t *testing.T, client string, hc *http.Client) *extauth.ClientCredentialsHandler {
	t.Helper()
	h, err := extauth.NewClientCredentialsHandler(&extauth.ClientCredentialsHandlerConfig{
		Credentials: &oauthex.ClientCredentials{ClientID: client, ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: client + "-secret-for-tests-only"}},
		HTTPClient:  hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func callWhoami(t *testing.T, cs *mcp.ClientSession) Caller {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "whoami"})
	if err != nil || res.IsError {
		t.Fatalf("whoami: %v %+v", err, res)
	}
	var c Caller
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMCPEndToEnd drives the example with the SDK's own client and tokens
// of a real authorization server.
func TestMCPEndToEnd(t *testing.T) {
	e := startExample(t)
	challenge401 := `Bearer realm="api", scope="mcp:tools", resource_metadata="` + e.metadata + `"`
	challenge403 := `Bearer realm="api", resource_metadata="` + e.metadata + `", error="insufficient_scope", scope="mcp:admin"`
	var tokens []string

	t.Run("D1_no_token_401_leads_through_the_metadata_to_the_authorization_server", func(t *testing.T) {
		resp, err := http.Post(e.resource, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != 401 || !reflect.DeepEqual(got, []string{challenge401}) {
			t.Fatalf("%d %q, want 401 %q", resp.StatusCode, got, challenge401)
		}
		cs, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
		if err != nil || len(cs) != 1 || cs[0].Scheme != "bearer" || cs[0].Params["resource_metadata"] != e.metadata || cs[0].Params["scope"] != ScopeTools {
			t.Fatalf("the SDK reads the challenge as %+v (%v)", cs, err)
		}
		// The SDK's own fetch and type, which checks resource against the
		// URL it asked for.
		prm, err := oauthex.GetProtectedResourceMetadata(context.Background(), cs[0].Params["resource_metadata"], e.resource, http.DefaultClient)
		if err != nil {
			t.Fatal(err)
		}
		want := oauthex.ProtectedResourceMetadata{
			Resource:               e.resource,
			AuthorizationServers:   []string{e.issuer},
			ScopesSupported:        []string{ScopeTools, ScopeAdmin},
			BearerMethodsSupported: []string{"header"},
			ResourceName:           "authgate MCP example",
		}
		if !reflect.DeepEqual(*prm, want) {
			t.Errorf("metadata %+v\nwant %+v", *prm, want)
		}
		// The root form, where clients that do not insert the path look.
		root, err := oauthex.GetProtectedResourceMetadata(context.Background(), strings.TrimSuffix(e.metadata, "/mcp"), e.resource, http.DefaultClient)
		if err != nil || !reflect.DeepEqual(*root, want) {
			t.Errorf("root metadata %+v %v", root, err)
		}
		asm, err := auth.GetAuthServerMetadata(context.Background(), prm.AuthorizationServers[0], http.DefaultClient)
		if err != nil || asm == nil || asm.Issuer != e.issuer || asm.TokenEndpoint == "" {
			t.Fatalf("authorization server metadata %+v %v", asm, err)
		}
		tok := token(t, asm.TokenEndpoint, "svc", e.resource, cs[0].Params["scope"])
		tokens = append(tokens, tok)
		rc := &recorder{bearer: tok}
		s, err := connect(t, e, rc, nil)
		if err != nil {
			t.Fatalf("connect with the token found that way: %v\n%s", err, rc)
		}
		if c := callWhoami(t, s); c.Subject != "svc" {
			t.Errorf("whoami %+v", c)
		}
	})

	t.Run("sdk_client_credentials_handler_discovers_lists_calls_and_steps_up", func(t *testing.T) {
		rc := &recorder{}
		hc := &http.Client{Transport: rc}
		cs, err := connect(t, e, rc, credentials(t, "svc", hc))
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, rc)
		}
		if ex, ok := rc.find(401); !ok || !reflect.DeepEqual(ex.challenges, []string{challenge401}) {
			t.Errorf("the handler's first answer: %+v", ex)
		}
		tools, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tl := range tools.Tools {
			names = append(names, tl.Name)
		}
		slices.Sort(names)
		if !reflect.DeepEqual(names, []string{"admin_stats", "whoami"}) {
			t.Errorf("tools %q", names)
		}
		c := callWhoami(t, cs)
		want := Caller{Subject: "svc", Issuer: e.issuer, ClientID: "svc", Scopes: []string{ScopeTools}, UserID: e.issuer + " svc", Expires: c.Expires}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("whoami %+v\nwant %+v", c, want)
		}
		if exp, err := time.Parse(time.RFC3339, c.Expires); err != nil || time.Until(exp) < time.Minute || time.Until(exp) > 6*time.Minute {
			t.Errorf("expires %q: the token's exp (300 s) should be in TokenInfo", c.Expires)
		}
		// admin_stats needs mcp:admin: 403 insufficient_scope, and the
		// SDK's handler asks for the union of scopes and retries.
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "admin_stats"})
		if err != nil || res.IsError {
			t.Fatalf("admin_stats after step-up: %v %+v\n%s", err, res, rc)
		}
		if ex, ok := rc.find(403); !ok || !reflect.DeepEqual(ex.challenges, []string{challenge403}) {
			t.Errorf("403 %+v, want %q", ex, challenge403)
		}
		t.Logf("exchanges:\n%s", rc)
		// Scopes are a set (RFC 6749 §3.3: order-independent): the order
		// of the new token's scope depends on the order in which the SDK
		// asks for the union, which varies from run to run.
		if c := callWhoami(t, cs); !reflect.DeepEqual(slices.Sorted(slices.Values(c.Scopes)), []string{ScopeAdmin, ScopeTools}) {
			t.Errorf("scopes after step-up %q, want %q and %q", c.Scopes, ScopeTools, ScopeAdmin)
		}
	})

	t.Run("C4_missing_scope_403_with_scope_and_resource_metadata", func(t *testing.T) {
		tok := token(t, e.tokenEndpoint, "reader", e.resource, ScopeTools)
		tokens = append(tokens, tok)
		rc := &recorder{bearer: tok}
		cs, err := connect(t, e, rc, nil)
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, rc)
		}
		if c := callWhoami(t, cs); c.Subject != "reader" || !reflect.DeepEqual(c.Scopes, []string{ScopeTools}) {
			t.Errorf("whoami %+v", c)
		}
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "admin_stats"}); err == nil {
			t.Fatal("admin_stats without mcp:admin succeeded")
		}
		if ex, ok := rc.find(403); !ok || ex.path != "/mcp" || !reflect.DeepEqual(ex.challenges, []string{challenge403}) {
			t.Errorf("403 %+v, want %q\n%s", ex, challenge403, rc)
		}
		// The reader cannot step up: its client may not get mcp:admin.
		rc2 := &recorder{}
		cs2, err := connect(t, e, rc2, credentials(t, "reader", &http.Client{Transport: rc2}))
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, rc2)
		}
		if _, err := cs2.CallTool(context.Background(), &mcp.CallToolParams{Name: "admin_stats"}); err == nil {
			t.Errorf("the reader stepped up to mcp:admin:\n%s", rc2)
		}
		// A batch that hides the call among others is refused the same.
		body := `[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_stats"}}]`
		req, _ := http.NewRequest("POST", e.resource, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || !reflect.DeepEqual(resp.Header.Values("WWW-Authenticate"), []string{challenge403}) {
			t.Errorf("batch: %d %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
		}
	})

	t.Run("E4_token_for_another_resource_401", func(t *testing.T) {
		tok := token(t, e.tokenEndpoint, "svc", otherResource, ScopeTools)
		tokens = append(tokens, tok)
		rc := &recorder{bearer: tok}
		if _, err := connect(t, e, rc, nil); err == nil {
			t.Fatal("connected with a token for another resource")
		}
		want := `Bearer realm="api", resource_metadata="` + e.metadata + `", error="invalid_token", error_description="The access token is not meant for this resource."`
		if ex, ok := rc.find(401); !ok || !reflect.DeepEqual(ex.challenges, []string{want}) {
			t.Errorf("401 %+v, want %q\n%s", ex, want, rc)
		}
		found := false
		for _, ev := range e.log.Events(t) {
			if ev["reason"] == "token_audience_mismatch" {
				found = true
				if d, _ := ev["detail"].(string); !strings.Contains(d, otherResource) || !strings.Contains(d, e.resource) {
					t.Errorf("detail lacks the audiences: %q", d)
				}
			}
		}
		if !found {
			t.Errorf("no token_audience_mismatch logged:\n%s", e.log)
		}
	})

	t.Run("browser_reads_the_metadata_but_cannot_post_cross_origin", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.metadata, nil)
		req.Header.Set("Origin", "https://app.example.net")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("metadata to a browser: %d %v", resp.StatusCode, resp.Header)
		}
		// The MCP transport's Origin check (DNS rebinding): a cross-site
		// POST is refused before the gate.
		req, _ = http.NewRequest("POST", e.resource, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Origin", "https://evil.example.net")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("cross-site POST: %d %v", resp.StatusCode, resp.Header)
		}
	})

	t.Run("I2_no_token_in_the_log", func(t *testing.T) {
		for _, tok := range tokens {
			for _, form := range authgatetest.CredentialForms(tok) {
				if strings.Contains(e.log.String(), form) {
					t.Error("a token (or an encoding of it) is in the log")
				}
			}
			if sig := tok[strings.LastIndexByte(tok, '.')+1:]; strings.Contains(e.log.String(), sig) {
				t.Error("a token's signature is in the log")
			}
		}
	})
}
