package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

func TestContextWithIdentity(t *testing.T) {
	t.Parallel()
	id := &verifiers.Identity{Subject: "svc-reports", Scheme: "Bearer", Scopes: []string{"reports:read"}}
	ctx := middleware.ContextWithIdentity(context.Background(), id)
	if got, ok := middleware.IdentityFrom(ctx); !ok || got != id {
		t.Fatalf("IdentityFrom = %v, %v; want the identity put in", got, ok)
	}
	if _, ok := middleware.IdentityFrom(middleware.ContextWithIdentity(context.Background(), nil)); ok {
		t.Fatal("a nil identity must leave the request anonymous")
	}

	// The scope step reads it like a gate's identity: 200 with the scope,
	// 403 without it.
	g := middleware.New(middleware.WithLogger(zerolog.Nop()))
	h := g.RequireScopes("reports:read")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		scopes []string
		want   int
	}{{[]string{"reports:read"}, http.StatusNoContent}, {[]string{"orders:read"}, http.StatusForbidden}} {
		r := httptest.NewRequest(http.MethodGet, "/reports", nil)
		r = r.WithContext(middleware.ContextWithIdentity(r.Context(), &verifiers.Identity{Subject: "svc", Scheme: "APIKey", Scopes: tc.scopes}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("scopes %v: status %d, want %d", tc.scopes, rec.Code, tc.want)
		}
	}
}
