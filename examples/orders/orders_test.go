package orders_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/examples/orders"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// TestCreate tests the handler alone: the request carries the identity a
// gate would have put there.
func TestCreate(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/v1/orders", nil)
	r = authgatetest.WithIdentity(r, &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"orders:write"}})
	w := httptest.NewRecorder()
	orders.Create(w, r)
	if w.Code != http.StatusCreated || w.Body.String() != "order placed by alice\n" {
		t.Errorf("%d %q", w.Code, w.Body)
	}
}

// TestRoutes tests the route behind the real Bearer verifier, with tokens
// of a test issuer that serves discovery and its keys on loopback.
func TestRoutes(t *testing.T) {
	iss := authgatetest.NewIssuer(t)
	var log authgatetest.Log
	tokens, err := bearer.New(t.Context(), iss.Audience(), []bearer.Issuer{{URL: iss.URL(), Keys: bearer.Discovery()}},
		bearer.WithLogger(log.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tokens.Close() })
	h := orders.Routes(middleware.New(middleware.WithLogger(log.Logger())), tokens)

	for _, tc := range []struct {
		name   string
		token  string
		status int
		reason string // logged by the gate
	}{
		{"writer", iss.Token(t, authgatetest.Subject("alice"), authgatetest.Scopes("orders:write")), 201, ""},
		{"reader", iss.Token(t, authgatetest.Scopes("orders:read")), 403, "scope_insufficient"},
		{"expired", iss.Token(t, authgatetest.Scopes("orders:write"), authgatetest.Expired()), 401, "token_expired"},
		{"other_audience", iss.Token(t, authgatetest.Scopes("orders:write"), authgatetest.Audience("https://billing.example")), 401, "token_audience_mismatch"},
		{"other_key", iss.Token(t, authgatetest.Scopes("orders:write"), authgatetest.OtherKey()), 401, "token_signature_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.Reset()
			r := httptest.NewRequest(http.MethodPost, "/v1/orders", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			var want []string // no refusal logged for a success
			if tc.reason != "" {
				want = []string{tc.reason}
			}
			if got := log.Reasons(t); !slices.Equal(got, want) {
				t.Errorf("logged reasons %q, want %q", got, want)
			}
		})
	}
}
