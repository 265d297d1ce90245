package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

const testMetaURL = "https://api.example.com/.well-known/oauth-protected-resource"

// metaVerifier is staticVerifier with WithProtectedResource(pr).
func metaVerifier(t *testing.T, pr ProtectedResource, opts ...Option) *Verifier {
	t.Helper()
	return staticVerifier(t, allKeys(), append([]Option{WithProtectedResource(pr)}, opts...)...)
}

// TestProtectedResourceRefused checks what New refuses, with the exact
// error and ErrProtectedResource.
func TestProtectedResourceRefused(t *testing.T) {
	t.Parallel()
	newWith := func(aud string, pr ProtectedResource, opts ...Option) error {
		opts = append([]Option{WithProtectedResource(pr), quiet()}, opts...)
		_, err := New(context.Background(), aud, []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}}, opts...)
		return err
	}
	const pre = "bearer: invalid protected resource metadata: "
	tests := []struct {
		name string
		aud  string
		pr   ProtectedResource
		opts []Option
		want string
	}{
		{name: "D2_resource_is_not_the_audience", aud: testAud, pr: ProtectedResource{Resource: "https://other.example.com"},
			want: `resource 'https://other.example.com' is not the audience 'https://api.example.com' given to New; they must be the same identifier, since tokens are checked for that audience`},
		{name: "D2_resource_trailing_slash_is_another_identifier", aud: testAud, pr: ProtectedResource{Resource: testAud + "/"},
			want: `resource 'https://api.example.com/' is not the audience 'https://api.example.com' given to New; they must be the same identifier, since tokens are checked for that audience`},
		{name: "http_resource", aud: "http://api.example.com", pr: ProtectedResource{},
			want: `resource 'http://api.example.com' must be an https URL (RFC 9728 §3); http is accepted only to a loopback host, with AllowLoopbackHTTP`},
		{name: "http_non_loopback_even_when_allowed", aud: "http://10.0.0.1", pr: ProtectedResource{AllowLoopbackHTTP: true},
			want: `resource 'http://10.0.0.1' must be an https URL (RFC 9728 §3); http is accepted only to a loopback host, with AllowLoopbackHTTP`},
		{name: "http_loopback_not_allowed", aud: "http://127.0.0.1:8080/mcp", pr: ProtectedResource{},
			want: `resource 'http://127.0.0.1:8080/mcp' uses http; set AllowLoopbackHTTP to accept http to a loopback host`},
		{name: "not_absolute", aud: "api", pr: ProtectedResource{},
			want: `resource 'api' is not an absolute URL with a host`},
		{name: "fragment", aud: "https://api.example.com/#x", pr: ProtectedResource{},
			want: `resource 'https://api.example.com/#x' has a fragment, which RFC 9728 §1.2 and RFC 8414 §2 forbid`},
		{name: "query", aud: "https://api.example.com/?tenant=1", pr: ProtectedResource{},
			want: `resource 'https://api.example.com/?tenant=1' has a query; authgate refuses one (RFC 9728 §1.2: SHOULD NOT)`},
		{name: "userinfo", aud: "https://u:p@api.example.com", pr: ProtectedResource{},
			want: `resource 'https://u:xxxxx@api.example.com' holds user information`},
		{name: "authorization_server_http", aud: testAud, pr: ProtectedResource{AuthorizationServers: []string{"http://login.example.com"}},
			want: `authorization server 0 'http://login.example.com' must be an https URL (RFC 9728 §3); http is accepted only to a loopback host, with AllowLoopbackHTTP`},
		{name: "authorization_server_query", aud: testAud, pr: ProtectedResource{AuthorizationServers: []string{"https://login.example.com/?a=b"}},
			want: `authorization server 0, 'https://login.example.com/?a=b', has a query, which an issuer identifier may not have (RFC 8414 §2)`},
		{name: "authorization_server_twice", aud: testAud, pr: ProtectedResource{AuthorizationServers: []string{testIss, testIss}},
			want: `authorization server 'https://issuer.example.com/' is listed twice`},
		{name: "scope_with_space", aud: testAud, pr: ProtectedResource{ScopesSupported: []string{"read write"}},
			want: `scope 'read write' has byte 0x20 at offset 4, which a scope-token may not hold (RFC 6749 §3.3)`},
		{name: "scope_empty", aud: testAud, pr: ProtectedResource{ScopesSupported: []string{"read", ""}},
			want: `scope 1 is empty`},
		{name: "scope_twice", aud: testAud, pr: ProtectedResource{ScopesSupported: []string{"read", "read"}},
			want: `scope 'read' is listed twice`},
		{name: "resource_name_control", aud: testAud, pr: ProtectedResource{ResourceName: "Orders\nAPI"},
			want: `resource name 'Orders\x0aAPI' must be valid UTF-8 text without control characters`},
		{name: "documentation_http", aud: testAud, pr: ProtectedResource{ResourceDocumentation: "http://docs.example.com"},
			want: `resource documentation 'http://docs.example.com' must be an https URL (RFC 9728 §3); http is accepted only to a loopback host, with AllowLoopbackHTTP`},
		{name: "D4_resource_metadata_elsewhere", aud: testAud, pr: ProtectedResource{}, opts: []Option{WithResourceMetadata("https://meta.example.com/x")},
			want: `WithResourceMetadata('https://meta.example.com/x') names another URL than the one the metadata is served at, 'https://api.example.com/.well-known/oauth-protected-resource'; drop WithResourceMetadata`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := newWith(tt.aud, tt.pr, tt.opts...)
			if !errors.Is(err, ErrProtectedResource) {
				t.Fatalf("err = %v, want ErrProtectedResource", err)
			}
			if err.Error() != pre+tt.want {
				t.Errorf("err =\n%s\nwant\n%s", err, pre+tt.want)
			}
		})
	}
	t.Run("opaque_needs_resource_and_servers", func(t *testing.T) {
		t.Parallel()
		fn := func(context.Context, string) (*verifiers.Identity, error) { return nil, ErrTokenInvalid }
		_, err := NewOpaque(fn, WithProtectedResource(ProtectedResource{}))
		if !errors.Is(err, ErrProtectedResource) || !strings.Contains(err.Error(), "set ProtectedResource.Resource") {
			t.Errorf("no resource: %v", err)
		}
		_, err = NewOpaque(fn, WithProtectedResource(ProtectedResource{Resource: testAud}))
		if !errors.Is(err, ErrProtectedResource) || !strings.Contains(err.Error(), "set ProtectedResource.AuthorizationServers") {
			t.Errorf("no servers: %v", err)
		}
	})
	t.Run("matching_resource_metadata_is_accepted", func(t *testing.T) {
		t.Parallel()
		if err := newWith(testAud, ProtectedResource{}, WithResourceMetadata(testMetaURL)); err != nil {
			t.Error(err)
		}
	})
}

// metaDoc is the document as a client reads it.
type metaDoc struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
	ResourceDocumentation  string   `json:"resource_documentation"`
}

// TestMetadataDocument parses the document and checks it field by field,
// and that no member is empty (D3).
func TestMetadataDocument(t *testing.T) {
	t.Parallel()
	t.Run("D2_defaults_from_the_verifier", func(t *testing.T) {
		t.Parallel()
		m := metaVerifier(t, ProtectedResource{}).Metadata()
		if got, want := string(m.JSON()), `{"resource":"https://api.example.com","authorization_servers":["https://issuer.example.com/"],"bearer_methods_supported":["header"]}`; got != want {
			t.Errorf("document =\n%s\nwant\n%s", got, want)
		}
		if m.Resource() != testAud || m.URL() != testMetaURL {
			t.Errorf("Resource %q URL %q", m.Resource(), m.URL())
		}
		if !reflect.DeepEqual(m.Paths(), []string{WellKnownPath}) {
			t.Errorf("Paths = %q", m.Paths())
		}
	})
	t.Run("D2_every_field", func(t *testing.T) {
		t.Parallel()
		v := metaVerifier(t, ProtectedResource{
			AuthorizationServers:  []string{"https://login.example.com", "https://backup.example.com/tenant"},
			ScopesSupported:       []string{"orders:read", "orders:write"},
			ResourceName:          "Orders API — Ä",
			ResourceDocumentation: "https://docs.example.com/orders",
		}, WithQueryTokens(), WithFormTokens())
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(v.Metadata().JSON(), &raw); err != nil {
			t.Fatal(err)
		}
		for k, val := range raw {
			if s := string(val); s == `""` || s == "[]" || s == "null" || s == "false" {
				t.Errorf("D3: member %s is empty (%s): it must be left out", k, s)
			}
		}
		var d metaDoc
		if err := json.Unmarshal(v.Metadata().JSON(), &d); err != nil {
			t.Fatal(err)
		}
		want := metaDoc{
			Resource:               testAud,
			AuthorizationServers:   []string{"https://login.example.com", "https://backup.example.com/tenant"},
			ScopesSupported:        []string{"orders:read", "orders:write"},
			BearerMethodsSupported: []string{"header", "body", "query"},
			ResourceName:           "Orders API — Ä",
			ResourceDocumentation:  "https://docs.example.com/orders",
		}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("document = %+v\nwant %+v", d, want)
		}
		if len(raw) != 6 {
			t.Errorf("members %d, want 6: %s", len(raw), v.Metadata().JSON())
		}
	})
	t.Run("options_copied", func(t *testing.T) {
		t.Parallel()
		scopes := []string{"a", "b"}
		opt := WithProtectedResource(ProtectedResource{ScopesSupported: scopes})
		scopes[0] = "changed"
		v := staticVerifier(t, allKeys(), opt)
		if !strings.Contains(string(v.Metadata().JSON()), `"scopes_supported":["a","b"]`) {
			t.Errorf("document %s", v.Metadata().JSON())
		}
	})
	t.Run("no_metadata_without_the_option", func(t *testing.T) {
		t.Parallel()
		if m := staticVerifier(t, allKeys()).Metadata(); m != nil {
			t.Errorf("Metadata() = %v, want nil", m)
		}
	})
	t.Run("D2_opaque", func(t *testing.T) {
		t.Parallel()
		v, err := NewOpaque(func(context.Context, string) (*verifiers.Identity, error) { return nil, ErrTokenInvalid },
			WithProtectedResource(ProtectedResource{Resource: "https://api.example.com/v1", AuthorizationServers: []string{testIss}}))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(v.Metadata().JSON()), `{"resource":"https://api.example.com/v1","authorization_servers":["https://issuer.example.com/"],"bearer_methods_supported":["header"]}`; got != want {
			t.Errorf("document %s, want %s", got, want)
		}
		line, _ := v.Challenge().Format()
		if want := `Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/v1"`; line != want {
			t.Errorf("challenge %s, want %s", line, want)
		}
	})
}

// TestMetadataPaths checks where the document is (RFC 9728 §3.1).
func TestMetadataPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, resource, url string
		paths               []string
		loopback            bool
	}{
		{name: "D2_host_only", resource: "https://api.example.com", url: testMetaURL, paths: []string{WellKnownPath}},
		{name: "D2_host_and_slash", resource: "https://api.example.com/", url: testMetaURL, paths: []string{WellKnownPath}},
		{name: "D2_path_inserted", resource: "https://api.example.com/mcp", url: testMetaURL + "/mcp", paths: []string{WellKnownPath + "/mcp", WellKnownPath}},
		{name: "D2_deep_path_trailing_slash_kept", resource: "https://api.example.com/a/b/", url: testMetaURL + "/a/b/", paths: []string{WellKnownPath + "/a/b/", WellKnownPath}},
		{name: "D2_escaped_path", resource: "https://api.example.com/a%20b", url: testMetaURL + "/a%20b", paths: []string{WellKnownPath + "/a b", WellKnownPath}},
		{name: "D2_port", resource: "https://api.example.com:8443/mcp", url: "https://api.example.com:8443/.well-known/oauth-protected-resource/mcp", paths: []string{WellKnownPath + "/mcp", WellKnownPath}},
		{name: "D2_loopback_http", resource: "http://127.0.0.1:8080/mcp", url: "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", paths: []string{WellKnownPath + "/mcp", WellKnownPath}, loopback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := New(context.Background(), tt.resource, []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}},
				quiet(), WithProtectedResource(ProtectedResource{AllowLoopbackHTTP: tt.loopback}))
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			m := v.Metadata()
			if m.URL() != tt.url || !reflect.DeepEqual(m.Paths(), tt.paths) {
				t.Errorf("URL %q Paths %q, want %q %q", m.URL(), m.Paths(), tt.url, tt.paths)
			}
			line, _ := v.Challenge().Format()
			if want := `Bearer realm="api", resource_metadata="` + tt.url + `"`; line != want {
				t.Errorf("D1: challenge %s, want %s", line, want)
			}
		})
	}
}

// TestMetadataHTTP checks the answers of ServeHTTP: exact headers, the
// body, and the methods.
func TestMetadataHTTP(t *testing.T) {
	t.Parallel()
	m := metaVerifier(t, ProtectedResource{ScopesSupported: []string{"read"}}).Metadata()
	do := func(method string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, WellKnownPath, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		return w
	}
	wantHeaders := func(t *testing.T, w *httptest.ResponseRecorder, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	}
	t.Run("D2_GET", func(t *testing.T) {
		w := do("GET", "Origin", "https://app.example.net")
		if w.Code != 200 || w.Body.String() != string(m.JSON()) {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		wantHeaders(t, w, map[string]string{
			"Content-Type":                "application/json",
			"Cache-Control":               "public, max-age=3600",
			"Access-Control-Allow-Origin": "*",
			"X-Content-Type-Options":      "nosniff",
			"Content-Length":              strconv.Itoa(len(m.JSON())),
		})
		if w.Header().Get("Vary") != "" || w.Header().Get("Set-Cookie") != "" {
			t.Errorf("unexpected headers %v", w.Header())
		}
	})
	t.Run("HEAD_has_no_body", func(t *testing.T) {
		w := do("HEAD")
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(m.JSON())) {
			t.Fatalf("%d %q %v", w.Code, w.Body, w.Header())
		}
	})
	t.Run("CORS_preflight", func(t *testing.T) {
		w := do("OPTIONS", "Origin", "https://app.example.net", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "mcp-protocol-version")
		if w.Code != 204 || w.Body.Len() != 0 {
			t.Fatalf("%d %q", w.Code, w.Body)
		}
		wantHeaders(t, w, map[string]string{
			"Access-Control-Allow-Origin":  "*",
			"Access-Control-Allow-Methods": "GET, HEAD",
			"Access-Control-Allow-Headers": "*",
			"Allow":                        "GET, HEAD, OPTIONS",
		})
	})
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"} {
		t.Run("405_"+method, func(t *testing.T) {
			w := do(method)
			if w.Code != 405 || strings.Contains(w.Body.String(), "resource") && strings.Contains(w.Body.String(), "{") {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			wantHeaders(t, w, map[string]string{"Allow": "GET, HEAD, OPTIONS", "Access-Control-Allow-Origin": "*", "Cache-Control": ""})
		})
	}
}

// TestMetadataBeforeTheGate mounts Middleware in front of a gate and a
// scope step: the document is served without credentials at its paths
// only, and every other path, near misses included, stays behind the
// gate. The challenges all name the document (D1), and the 401 of a
// route that needs a scope names it.
func TestMetadataBeforeTheGate(t *testing.T) {
	t.Parallel()
	v := metaVerifier(t, ProtectedResource{Resource: "https://api.example.com", ScopesSupported: []string{"read", "admin"}})
	g := middleware.New(middleware.WithLogger(zerolog.Nop()), middleware.WithLogSampling(0, 0))
	reached := 0
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++; _, _ = w.Write([]byte("secret data")) })
	mux := http.NewServeMux()
	mux.Handle("/", g.Require(v)(app))
	mux.Handle("/admin", g.Require(v)(g.RequireScopes("admin")(app)))
	h := v.Metadata().Middleware(mux)

	serve := func(method, target string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "https://api.example.com/", nil)
		r.URL.Path, r.URL.RawPath = target, ""
		if i := strings.IndexByte(target, '%'); i >= 0 {
			r = httptest.NewRequest(method, "https://api.example.com"+target, nil)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	t.Run("D2_served_without_credentials", func(t *testing.T) {
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer not-a-token"}, {"Authorization", "Basic dTpw"}} {
			w := serve("GET", WellKnownPath, hdr...)
			var d metaDoc
			if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &d) != nil || d.Resource != testAud {
				t.Errorf("%v: %d %s", hdr, w.Code, w.Body)
			}
			if w.Header().Get("WWW-Authenticate") != "" {
				t.Errorf("the document came with a challenge")
			}
		}
	})
	t.Run("preflight_and_other_methods_answered_by_the_document", func(t *testing.T) {
		before := reached
		w := serve("OPTIONS", WellKnownPath, "Origin", "https://app.example.net", "Access-Control-Request-Method", "GET")
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("preflight: %d %v", w.Code, w.Header())
		}
		if w := serve("POST", WellKnownPath, "Authorization", "Bearer x"); w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("POST: %d %v", w.Code, w.Header())
		}
		if reached != before {
			t.Error("the handler behind the gate was reached")
		}
	})
	t.Run("opens_no_other_path", func(t *testing.T) {
		for _, p := range []string{
			"/", "/orders", WellKnownPath + "/", WellKnownPath + "/x", WellKnownPath + "x", WellKnownPath + "/../orders",
			"/.well-known/oauth-protected-resourc", "/.well-known/OAUTH-PROTECTED-RESOURCE", "//.well-known/oauth-protected-resource",
			"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/admin", "/x" + WellKnownPath,
			"/.well-known/oauth-protected-resource%2F..%2Forders",
		} {
			before := reached
			w := serve("GET", p)
			// 401 from the gate, or the mux's redirect to the cleaned
			// path (which is then behind the gate too).
			if (w.Code != 401 && w.Code != 307) || reached != before || strings.Contains(w.Body.String(), "secret data") || strings.Contains(w.Body.String(), `"resource"`) {
				t.Errorf("%s: %d %q, handler reached %v", p, w.Code, w.Body, reached != before)
			}
		}
	})
	t.Run("D1_C1_no_credentials", func(t *testing.T) {
		w := serve("GET", "/orders")
		if got, want := w.Header().Values("WWW-Authenticate"), []string{`Bearer realm="api", resource_metadata="` + testMetaURL + `"`}; !reflect.DeepEqual(got, want) {
			t.Errorf("WWW-Authenticate %q, want %q", got, want)
		}
	})
	t.Run("D1_C1_no_credentials_on_a_scoped_route_names_the_scope", func(t *testing.T) {
		w := serve("GET", "/admin")
		if got, want := w.Header().Values("WWW-Authenticate"), []string{`Bearer realm="api", scope="admin", resource_metadata="` + testMetaURL + `"`}; w.Code != 401 || !reflect.DeepEqual(got, want) {
			t.Errorf("%d WWW-Authenticate %q, want %q", w.Code, got, want)
		}
	})
	t.Run("D1_C2_invalid_token", func(t *testing.T) {
		w := serve("GET", "/orders", "Authorization", "Bearer "+sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("aud", "https://other.example.com")))
		want := `Bearer realm="api", resource_metadata="` + testMetaURL + `", error="invalid_token", error_description="` + "The access token is not meant for this resource." + `"`
		if got := w.Header().Values("WWW-Authenticate"); w.Code != 401 || len(got) != 1 || got[0] != want {
			t.Errorf("%d WWW-Authenticate %q,\nwant %q", w.Code, got, want)
		}
	})
	t.Run("D1_C3_invalid_request", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/orders", nil)
		r.Header.Add("Authorization", "Bearer a")
		r.Header.Add("Authorization", "Bearer b")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		want := `Bearer realm="api", resource_metadata="` + testMetaURL + `", error="invalid_request", error_description="The request carries credentials in a malformed way."`
		if got := w.Header().Values("WWW-Authenticate"); w.Code != 400 || len(got) != 1 || got[0] != want {
			t.Errorf("%d WWW-Authenticate %q,\nwant %q", w.Code, got, want)
		}
	})
	t.Run("D1_C4_insufficient_scope", func(t *testing.T) {
		before := reached
		w := serve("GET", "/admin", "Authorization", "Bearer "+sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))
		want := `Bearer realm="api", resource_metadata="` + testMetaURL + `", error="insufficient_scope", scope="admin"`
		if got := w.Header().Values("WWW-Authenticate"); w.Code != 403 || len(got) != 1 || got[0] != want || reached != before {
			t.Errorf("%d WWW-Authenticate %q,\nwant %q", w.Code, got, want)
		}
	})
	t.Run("good_token_reaches_the_handler", func(t *testing.T) {
		w := serve("GET", "/orders", "Authorization", "Bearer "+sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))
		if w.Code != 200 || w.Body.String() != "secret data" {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	})
}
