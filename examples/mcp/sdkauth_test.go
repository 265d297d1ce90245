package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// TestSDKTokenInfo checks the bridge into the SDK's TokenInfo: the
// identity's scopes, expiry and user, and a token the gate accepts within
// its leeway after exp is not refused by the SDK's own expiry check.
func TestSDKTokenInfo(t *testing.T) {
	var got *auth.TokenInfo
	h := auth.RequireBearerToken(tokenInfo, sdkOptions)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = auth.TokenInfoFromContext(r.Context())
	}))
	serve := func(id *verifiers.Identity) int {
		got = nil
		r := httptest.NewRequest("POST", "/mcp", nil)
		r.Header.Set("Authorization", "Bearer x")
		if id != nil {
			r = authgatetest.WithIdentity(r, id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, ago := range []time.Duration{-time.Hour, 0, bearer.DefaultLeeway - 2*time.Second} {
		exp := time.Now().Add(-ago).Truncate(time.Second)
		id := &verifiers.Identity{Subject: "svc", Scheme: verifiers.SchemeBearer, Scopes: []string{ScopeTools},
			Attrs:  []verifiers.Attr{{Key: "iss", Value: "https://login.example.com"}},
			Claims: map[string]any{"exp": float64(exp.Unix())}}
		if code := serve(id); code != 200 || got == nil {
			t.Fatalf("exp %v ago: %d", ago, code)
		}
		if got.UserID != "https://login.example.com svc" || !got.Expiration.Equal(exp) || len(got.Scopes) != 1 || got.Extra[identityKey] != id {
			t.Errorf("TokenInfo %+v", got)
		}
	}
	if code := serve(nil); code != 401 || got != nil {
		t.Errorf("no identity: %d, want 401 and nothing passed", code)
	}
}
