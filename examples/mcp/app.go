package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// Scopes of the example: every MCP request needs ScopeTools; the
// admin_stats tool needs ScopeAdmin too.
const (
	ScopeTools = "mcp:tools"
	ScopeAdmin = "mcp:admin"
)

// config is the command line.
type config struct {
	addr     string
	issuer   string // the authorization server's issuer identifier
	resource string // the MCP endpoint's URL: the audience of its tokens
	// loopbackHTTP lets resource and issuer be http URLs to a loopback
	// host, for development.
	loopbackHTTP bool
	// origins are the browser origins allowed to POST (the MCP transport
	// has servers check Origin against DNS rebinding).
	origins []string
}

// app is the MCP server behind authgate.
type app struct {
	handler  http.Handler
	verifier *bearer.Verifier
}

func (a *app) Close() error { return a.verifier.Close() }

// newApp builds the handler:
//
//	cross-origin check → metadata (public) → gate (Bearer, scope mcp:tools)
//	→ tool scopes (mcp:admin for admin_stats) → the SDK's TokenInfo
//	(RequireBearerToken with tokenInfo) → the SDK's streamable HTTP handler
//
// The SDK keeps the token's information in a context key of its own, set
// only by its RequireBearerToken: authgate's identity goes there through
// it, so that SDK-native handlers (req.Extra.TokenInfo) and the SDK's
// session checks (TokenInfo.UserID) see it.
//
// Only the resource's path and the metadata's paths answer; everything
// else is 404.
func newApp(ctx context.Context, cfg config, log zerolog.Logger) (*app, error) {
	u, err := url.Parse(cfg.resource)
	if err != nil || u.Path == "" {
		return nil, fmt.Errorf("-resource %q must be the URL of the MCP endpoint, with its path (https://mcp.example.com/mcp)", cfg.resource)
	}
	// README.md "Protecting an MCP server" holds the lines from here
	// to "README ends", verbatim (TestReadmeMCP).
	v, err := bearer.New(ctx, cfg.resource, []bearer.Issuer{{URL: cfg.issuer, Keys: bearer.Discovery()}},
		bearer.WithAccessTokenProfile(), // RFC 9068: typ at+jwt, sub, client_id, iat, jti
		bearer.WithProtectedResource(bearer.ProtectedResource{
			ScopesSupported:   []string{"mcp:tools", "mcp:admin"},
			ResourceName:      "authgate MCP example",
			AllowLoopbackHTTP: cfg.loopbackHTTP,
		}),
		bearer.WithLogger(log))
	if err != nil {
		return nil, err
	}
	gate := middleware.New(middleware.WithLogger(log))

	server := mcp.NewServer(&mcp.Implementation{Name: "authgate-mcp-example", Version: "0.1.0"}, nil)
	addTools(server)
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)

	mux := http.NewServeMux()
	mux.Handle(u.Path, gate.Require(v)(gate.RequireScopes("mcp:tools")(
		toolScopes(gate, map[string]string{"admin_stats": "mcp:admin"})(
			auth.RequireBearerToken(tokenInfo, sdkOptions)(mcpHandler)))))
	handler := v.Metadata().Middleware(mux)
	// README ends.

	// Browsers' cross-origin POSTs are refused (the MCP transport has
	// servers check Origin, against DNS rebinding), but from -origins.
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.origins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			v.Close()
			return nil, fmt.Errorf("-origin %q: %w", o, err)
		}
	}
	return &app{handler: cop.Handler(handler), verifier: v}, nil
}

// sdkOptions are RequireBearerToken's: its own expiry check must not be
// stricter than the gate's, which accepts a token until exp plus the
// leeway; otherwise a token in the leeway would pass the gate and get the
// SDK's bare 401, without a challenge.
var sdkOptions = &auth.RequireBearerTokenOptions{ClockSkew: bearer.DefaultLeeway}

// identityKey is where tokenInfo puts authgate's identity in
// TokenInfo.Extra.
const identityKey = "authgate.identity"

// tokenInfo is the SDK's TokenVerifier. It runs behind the gate, which
// has verified the token already: it only copies the identity.
func tokenInfo(ctx context.Context, _ string, r *http.Request) (*auth.TokenInfo, error) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		// Unreachable behind the gate; refuse rather than pass.
		return nil, fmt.Errorf("%w: no authgate identity", auth.ErrInvalidToken)
	}
	exp, ok := id.Claims["exp"].(float64)
	if !ok {
		return nil, errors.Join(auth.ErrInvalidToken, errors.New("the token has no numeric exp"))
	}
	iss, _ := id.Attr("iss")
	return &auth.TokenInfo{
		Scopes:     id.Scopes,
		Expiration: unixTime(exp),
		// Issuer and subject: the same sub from two issuers is two users.
		UserID: iss + " " + id.Subject,
		Extra:  map[string]any{identityKey: id},
	}, nil
}
