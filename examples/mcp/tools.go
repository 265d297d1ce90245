package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// Caller is what whoami answers: who called, as authgate verified it.
type Caller struct {
	Subject  string   `json:"subject"`
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id,omitempty"`
	Scopes   []string `json:"scopes"`
	// UserID is the SDK's TokenInfo.UserID, which its transport binds
	// sessions to.
	UserID  string `json:"user_id"`
	Expires string `json:"expires"`
}

// Stats is what admin_stats answers.
type Stats struct {
	Caller string `json:"caller"`
	Tools  int    `json:"tools"`
}

func addTools(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "Tells who the caller is and which scopes its token grants."},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, Caller, error) {
			ti, id, err := caller(req)
			if err != nil {
				return nil, Caller{}, err
			}
			c := Caller{Subject: id.Subject, Scopes: ti.Scopes, UserID: ti.UserID, Expires: ti.Expiration.UTC().Format(time.RFC3339)}
			c.Issuer, _ = id.Attr("iss")
			c.ClientID, _ = id.Attr("client_id")
			return nil, c, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "admin_stats", Description: "Server statistics; needs the mcp:admin scope."},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, Stats, error) {
			ti, id, err := caller(req)
			if err != nil {
				return nil, Stats{}, err
			}
			// toolScopes refused the call with 403 already; this check
			// keeps the tool safe if it is mounted without it.
			if !slices.Contains(ti.Scopes, ScopeAdmin) {
				return nil, Stats{}, errors.New("admin_stats needs the " + ScopeAdmin + " scope")
			}
			return nil, Stats{Caller: id.Subject, Tools: 2}, nil
		})
}

// caller returns the SDK's TokenInfo of the request and authgate's
// identity in it.
func caller(req *mcp.CallToolRequest) (*auth.TokenInfo, *verifiers.Identity, error) {
	if req.Extra == nil || req.Extra.TokenInfo == nil {
		return nil, nil, errors.New("no token information: the server is not behind authgate")
	}
	id, ok := req.Extra.TokenInfo.Extra[identityKey].(*verifiers.Identity)
	if !ok {
		return nil, nil, errors.New("no authgate identity in the token information")
	}
	return req.Extra.TokenInfo, id, nil
}

// toolScopes sends a tools/call of a tool named in scopes through the
// gate's RequireScopes for its scope, so that a caller without it gets
// the HTTP answer the MCP authorization specification asks for: 403 with
// `WWW-Authenticate: Bearer ..., error="insufficient_scope",
// scope="..."` and resource_metadata, which an MCP client reads to step
// up. Other requests pass as they are.
//
// It reads at most mcp.DefaultMaxRequestBodyBytes of a POST body, and
// puts it back for the SDK. A body it cannot read as JSON-RPC passes
// unchecked, and the SDK refuses it; the tool checks its scope itself
// too, so that no parsing difference can call it without the scope.
func toolScopes(g *middleware.Gate, scopes map[string]string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		steps := make(map[string]http.Handler, len(scopes))
		for tool, scope := range scopes {
			steps[tool] = g.RequireScopes(scope)(next)
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.Body == nil {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, mcp.DefaultMaxRequestBodyBytes+1))
			r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			if err != nil {
				next.ServeHTTP(w, r)
				return
			}
			for _, tool := range calledTools(body) {
				if step, ok := steps[tool]; ok {
					step.ServeHTTP(w, r)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// calledTools returns the names of the tools a JSON-RPC message (or
// batch) calls.
func calledTools(body []byte) []string {
	type call struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var calls []call
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) > 0 && body[0] == '[' {
		if json.Unmarshal(body, &calls) != nil {
			return nil
		}
	} else {
		var c call
		if json.Unmarshal(body, &c) != nil {
			return nil
		}
		calls = []call{c}
	}
	var names []string
	for _, c := range calls {
		if c.Method == "tools/call" {
			names = append(names, c.Params.Name)
		}
	}
	return names
}

// readCloser reads from the reassembled body and closes the original.
type readCloser struct {
	io.Reader
	io.Closer
}

// unixTime converts a NumericDate (seconds, maybe fractional).
func unixTime(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9))
}
