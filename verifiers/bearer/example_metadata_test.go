package bearer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// An MCP server or any OAuth 2.1 resource server: the RFC 9728 metadata is
// served without credentials in front of the gate, every 401 points to it,
// and a route that needs a scope names it in its 401.
func ExampleWithProtectedResource() {
	jwks, mint := exampleIssuer()
	v, err := bearer.New(context.Background(), "https://api.example.com/mcp",
		[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}},
		bearer.WithProtectedResource(bearer.ProtectedResource{ScopesSupported: []string{"mcp:tools"}}))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	gate := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)))
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := v.Metadata().Middleware(gate.Require(v)(gate.RequireScopes("mcp:tools")(app)))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/.well-known/oauth-protected-resource/mcp", nil))
	fmt.Println(w.Code, w.Body)
	send(h, "POST", "/mcp", "")
	send(h, "POST", "/mcp", mint(claimsFor("https://api.example.com/mcp", time.Now().Add(time.Hour), "mcp:tools")))
	send(h, "POST", "/mcp", mint(claimsFor("https://api.example.com/mcp", time.Now().Add(time.Hour), "profile")))
	// Output:
	// 200 {"resource":"https://api.example.com/mcp","authorization_servers":["https://login.example.com/"],"scopes_supported":["mcp:tools"],"bearer_methods_supported":["header"]}
	// 401 Bearer realm="api", scope="mcp:tools", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"
	// 200
	// 403 Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", scope="mcp:tools"
}
