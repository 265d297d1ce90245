package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestGateHints checks each hint the gate gives by itself, whatever the
// verifiers say.
func TestGateHints(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){})
	k := apikeyV(nil)
	cases := []struct {
		name   string
		req    *http.Request
		reason string
		hint   string // substring of the logged hint
		detail string // substring of the logged detail
	}{
		{"proxy_moved_authorization", get("/", "X-Forwarded-Authorization", "Bearer abc"),
			"credentials_missing", "X-Forwarded-Authorization is present: a proxy in front of this server probably moved or stripped the Authorization header", ""},
		{"proxy_original_authorization", get("/", "X-Original-Authorization", "Bearer abc"),
			"credentials_missing", "X-Original-Authorization is present", ""},
		{"bare_jwt_without_scheme", get("/", "Authorization", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
			"scheme_not_accepted", "looks like a bare JWT with no scheme; send it as 'Authorization: Bearer <token>'", "does not start with a recognised scheme"},
		{"scheme_not_accepted_names_accepted", get("/", "Authorization", "Digest username=\"x\""),
			"scheme_not_accepted", "one of the accepted schemes: Bearer, APIKey", "uses the Digest scheme, which this route does not accept; it accepts Bearer, APIKey"},
		{"token_in_query_string", get("/?access_token=abc"),
			"credentials_missing", "a credential was sent in the query string (access_token)", ""},
		{"token_in_query_string_escaped_name", get("/?access%5Ftoken=abc"),
			"credentials_missing", "a credential was sent in the query string (access_token)", ""},
		{"key_in_query_string_escaped_name", get("/?api%5Fkey=abc"),
			"credentials_missing", "a credential was sent in the query string (api_key)", ""},
		{"token_in_query_string_escaped_letter", get("/?%61ccess_token=abc"),
			"credentials_missing", "a credential was sent in the query string (access_token)", ""},
		{"bearer_written_twice", get("/", "Authorization", "Bearer Bearer abc"),
			"credentials_invalid", "the scheme is written twice ('Bearer Bearer ...')", ""},
		{"bearer_lowercase_twice", get("/", "Authorization", "bearer Bearer abc"),
			"credentials_invalid", "the scheme is written twice", ""},
		{"token_in_quotes", get("/", "Authorization", `Bearer "abc"`),
			"credentials_invalid", "wrapped in quotes", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, lb := testGate()
			w := serve(g.Require(b, k)(okHandler), tc.req)
			if w.Code != 401 {
				t.Fatalf("status %d", w.Code)
			}
			ev := one(t, lb)
			if ev["reason"] != tc.reason {
				t.Errorf("reason = %v, want %s", ev["reason"], tc.reason)
			}
			if h, _ := ev["hint"].(string); !strings.Contains(h, tc.hint) {
				t.Errorf("hint = %q, want it to contain %q", h, tc.hint)
			}
			if d, _ := ev["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail = %q, want it to contain %q", d, tc.detail)
			}
		})
	}
}

func TestSchemeNotAcceptedBodyListsSchemes(t *testing.T) {
	t.Parallel()
	g, _ := testGate()
	w := serve(g.Require(bearerV(nil), apikeyV(nil))(okHandler), get("/", "Authorization", "Basic dTpw"))
	if !strings.Contains(w.Body.String(), `"detail":"The authentication scheme is not accepted here. Accepted: Bearer, APIKey."`) {
		t.Errorf("body = %s", w.Body)
	}
}
