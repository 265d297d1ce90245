package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// TestToolScopes checks the per-tool scope step: which bodies it sends
// through RequireScopes, and that the SDK gets every body whole.
func TestToolScopes(t *testing.T) {
	g := middleware.New(middleware.WithLogger(zerolog.Nop()))
	var got []byte
	reached := false
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		got, _ = io.ReadAll(r.Body)
	})
	h := toolScopes(g, map[string]string{"admin_stats": ScopeAdmin})(next)
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_stats","arguments":{"x":"` + strings.Repeat("a", mcp.DefaultMaxRequestBodyBytes) + `"}}}`
	tests := []struct {
		name, method, body string
		scopes             []string
		want               int // 0: passed on
	}{
		{"other_tool_passes", "POST", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}`, []string{ScopeTools}, 0},
		{"tools_list_passes", "POST", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, []string{ScopeTools}, 0},
		{"scoped_tool_without_scope_403", "POST", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_stats"}}`, []string{ScopeTools}, 403},
		{"scoped_tool_with_scope_passes", "POST", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"admin_stats"}}`, []string{ScopeTools, ScopeAdmin}, 0},
		{"hidden_in_a_batch_403", "POST", ` [{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"admin_stats"}}]`, []string{ScopeTools}, 403},
		{"key_in_another_case_403", "POST", `{"jsonrpc":"2.0","id":1,"METHOD":"tools/call","params":{"NAME":"admin_stats"}}`, []string{ScopeTools}, 403},
		{"not_json_passes_to_the_SDK", "POST", `{"jsonrpc":`, []string{ScopeTools}, 0},
		{"over_the_limit_passes_whole_to_the_SDK", "POST", big, []string{ScopeTools}, 0},
		{"GET_passes", "GET", "", []string{ScopeTools}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached, got = false, nil
			r := httptest.NewRequest(tt.method, "/mcp", strings.NewReader(tt.body))
			r = authgatetest.WithIdentity(r, &verifiers.Identity{Subject: "svc", Scheme: verifiers.SchemeBearer, Scopes: tt.scopes})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tt.want != 0 {
				if w.Code != tt.want || reached {
					t.Fatalf("status %d, reached %v; want %d, not reached", w.Code, reached, tt.want)
				}
				return
			}
			if !reached || !bytes.Equal(got, []byte(tt.body)) {
				t.Fatalf("reached %v, body of %d bytes, want the %d sent", reached, len(got), len(tt.body))
			}
		})
	}
}

// FuzzCalledTools: any body, no panic; a call of any tool name, written
// by encoding/json, is read back as that name.
func FuzzCalledTools(f *testing.F) {
	f.Add([]byte(`{"method":"tools/call","params":{"name":"admin_stats"}}`), "admin_stats")
	f.Add([]byte(`[{"method":"tools/call","params":{"name":"a"}},{"method":"tools/call","params":{"name":"b"}}]`), "a")
	f.Add([]byte(`[`), "")
	f.Add([]byte(`{"method":"tools/call","params":{"name":"x","name":"admin_stats"}}`), "\u0000")
	f.Fuzz(func(t *testing.T, body []byte, name string) {
		_ = calledTools(body)
		if !utf8.ValidString(name) {
			return
		}
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{"name": name}})
		if got := calledTools(b); len(got) != 1 || got[0] != name {
			t.Fatalf("calledTools(%s) = %q, want [%q]", b, got, name)
		}
	})
}
