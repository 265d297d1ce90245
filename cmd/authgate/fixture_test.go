package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
	"github.com/authgate/authgate/verifiers/bearer"
)

const audience = "https://api.doctor.test"

// newIssuer is a token issuer on loopback (OIDC discovery and a JWK set)
// with one ES256 key, kid "k1": the same kid at every issuer, as
// environments often have.
func newIssuer(t *testing.T) *authgatetest.Issuer {
	t.Helper()
	return authgatetest.NewIssuer(t, authgatetest.WithKeyID("k1"), authgatetest.WithAudience(audience))
}

// mint signs a token of iss for the doctor's client, sub doctor-client
// and scope orders:read, valid for an hour unless opts say otherwise.
func mint(t *testing.T, iss *authgatetest.Issuer, opts ...authgatetest.TokenOption) string {
	t.Helper()
	return iss.Token(t, append([]authgatetest.TokenOption{authgatetest.Subject("doctor-client"), authgatetest.Scopes("orders:read")}, opts...)...)
}

// fixture is the reference server's router (examples/server's app.router,
// rebuilt here because a main package cannot be imported) on the core
// packages, with credentials the tests know.
type fixture struct {
	iss, other *authgatetest.Issuer
	handler    http.Handler
	srv        *httptest.Server
	liveKey    string // valid
	revokedKey string
	testKey    string // another environment's
	password   string // of user "admin"
	logs       *authgatetest.Log
}

type fixtureOpt struct {
	serverClockSkew time.Duration // added to the bearer verifier's clock
	wrap            func(http.Handler) http.Handler
}

func newFixture(t *testing.T, o fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{iss: newIssuer(t), other: newIssuer(t), logs: &authgatetest.Log{}}
	logger := f.logs.Logger()
	ctx := context.Background()
	now := func() time.Time { return time.Now().Add(o.serverClockSkew) }
	bv, err := bearer.New(ctx, audience, []bearer.Issuer{{URL: f.iss.URL(), Keys: bearer.Discovery()}},
		bearer.WithRealm("api"), bearer.WithPlainHTTP(), bearer.WithClock(now), bearer.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bv.Close() })

	live, liveRec := authgatetest.APIKeyIn(t, "live", "reports-service", "reports:read")
	revoked, revokedRec := authgatetest.APIKeyIn(t, "live", "old-service")
	test, _ := authgatetest.APIKeyIn(t, "test", "test-service")
	store := authgatetest.APIKeyStore(t, liveRec, revokedRec)
	if err := store.Revoke(revokedRec.ID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	kv, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		t.Fatal(err)
	}
	f.liveKey, f.revokedKey, f.testKey = live, revoked, test

	f.password = "pw-" + rand.Text()
	users, _ := basic.NewMemoryStore(map[string]string{"admin": authgatetest.PasswordHash(t, f.password)})
	uv, err := basic.New(users, basic.WithRealm("admin"))
	if err != nil {
		t.Fatal(err)
	}

	g := middleware.New(middleware.WithLogger(logger))
	r := chi.NewRouter()
	r.Use(chimw.RequestID)
	r.Use(chimw.Recoverer)
	ok := func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": id.Subject})
	}
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	r.With(g.Require(kv)).Get("/v1/reports", ok)
	r.With(g.Require(uv)).Get("/admin/stats", ok)
	r.With(g.Require(verifiers.Verifier(bv), kv)).Get("/v1/me", ok)
	r.With(g.Require(bv), g.RequireScopes("orders:write")).Post("/v1/orders", ok)
	f.handler = r
	if o.wrap != nil {
		f.handler = o.wrap(r)
	}
	f.srv = httptest.NewServer(f.handler)
	t.Cleanup(f.srv.Close)
	return f
}

// token is a valid token of the server's issuer.
func (f *fixture) token(t *testing.T) string {
	return mint(t, f.iss)
}

// proxy puts a loopback reverse proxy in front of target, with rewrite
// applied to each request on its way and modify to each response.
func proxy(t *testing.T, target string, rewrite func(*http.Request), modify func(*http.Response)) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			if rewrite != nil {
				rewrite(pr.Out)
			}
		},
		ModifyResponse: func(r *http.Response) error {
			if modify != nil {
				modify(r)
			}
			return nil
		},
	}
	s := httptest.NewServer(rp)
	t.Cleanup(s.Close)
	return s
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
	report         map[string]any // from a --json run of the same arguments
}

// doctorRun runs "authgate doctor args..." twice, as text and with --json.
func doctorRun(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), env{stdout: &out, stderr: &errb, transport: loopbackOnly}, append([]string{"doctor"}, args...))
	var jout, jerr bytes.Buffer
	jcode := run(context.Background(), env{stdout: &jout, stderr: &jerr, transport: loopbackOnly}, append([]string{"doctor", "--json"}, args...))
	if jcode != code {
		t.Errorf("exit %d as text, %d with --json", code, jcode)
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String() + jerr.String()}
	if code != 2 {
		if err := json.Unmarshal(jout.Bytes(), &r.report); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, jout.String())
		}
	}
	r.stdout += "\n" + jout.String()
	return r
}

func (r result) cause() string {
	v, _ := r.report["verdict"].(map[string]any)
	c, _ := v["cause"].(string)
	return c
}

func (r result) causes() []string {
	out := []string{r.cause()}
	also, _ := r.report["also"].([]any)
	for _, a := range also {
		m, _ := a.(map[string]any)
		c, _ := m["cause"].(string)
		out = append(out, c)
	}
	return out
}

func (r result) check(step string) (result, evidence string) {
	cs, _ := r.report["checks"].([]any)
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["step"] == step {
			return fmt.Sprint(m["result"]), fmt.Sprint(m["evidence"])
		}
	}
	return "", ""
}

// loopbackOnly is the doctor's transport in tests: it dials loopback
// addresses only, and refuses any other host before resolving it, so that
// no test sends a packet (not even a DNS query for the demo's
// issuer.demo.authgate.test) off this machine.
var loopbackOnly http.RoundTripper = &http.Transport{
	DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("test transport: %s is not a loopback address; tests stay on this machine", host)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	},
}
