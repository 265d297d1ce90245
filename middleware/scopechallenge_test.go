package middleware_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

// TestScopeInChallenge checks that a 401 for missing credentials on a route
// whose scope step is mounted right behind the gate names the scopes in
// its Bearer challenges (RFC 6750 §3; the MCP authorization spec's SHOULD),
// and nowhere else.
func TestScopeInChallenge(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){"r": ident(verifiers.SchemeBearer, "alice", "read")})
	basic := basicV(map[string]func() (*verifiers.Identity, error){})
	rm := "https://api.example.com/.well-known/oauth-protected-resource"
	bch, err := challenge.Bearer(challenge.BearerParams{Realm: "api", ResourceMetadata: rm})
	if err != nil {
		t.Fatal(err)
	}
	bm := &fakeVerifier{ch: bch, scheme: "Bearer", outcomes: map[string]func() (*verifiers.Identity, error){}}

	g, _ := testGate()
	chiRouter := func(mws ...func(http.Handler) http.Handler) http.Handler {
		r := chi.NewRouter()
		r.With(mws...).Get("/", okHandler)
		return r
	}
	tests := []struct {
		name string
		h    http.Handler
		req  *http.Request
		want []string
	}{
		{"C1_no_scope_step_no_scope", g.Require(b)(okHandler), get("/"), []string{chBearer}},
		{"C1_RequireScopes", g.Require(b)(g.RequireScopes("orders:write", "orders:read")(okHandler)), get("/"),
			[]string{`Bearer realm="api", scope="orders:write orders:read"`}},
		{"C1_RequireAnyScope", g.Require(b)(g.RequireAnyScope("a", "b")(okHandler)), get("/"),
			[]string{`Bearer realm="api", scope="a b"`}},
		{"C1_steps_in_a_row_each_scope_once", g.Require(b)(g.RequireScopes("a")(g.RequireAnyScope("b", "a")(okHandler))), get("/"),
			[]string{`Bearer realm="api", scope="a b"`}},
		{"C1_chi_With", chiRouter(g.Require(b), g.RequireScopes("admin")), get("/"),
			[]string{`Bearer realm="api", scope="admin"`}},
		{"D1_with_resource_metadata_scope_after_realm", g.Require(bm)(g.RequireScopes("admin")(okHandler)), get("/"),
			[]string{`Bearer realm="api", scope="admin", resource_metadata="` + rm + `"`}},
		{"A7_only_the_Bearer_line_gets_scope", g.Require(basic, b)(g.RequireScopes("admin")(okHandler)), get("/"),
			[]string{chBasic, `Bearer realm="api", scope="admin"`}},
		{"C1_scheme_not_accepted_names_scope_too", g.Require(b)(g.RequireScopes("admin")(okHandler)), get("/", "Authorization", "Digest x"),
			[]string{`Bearer realm="api", scope="admin"`}},
		{"no_Bearer_verifier_unchanged", g.Require(basic)(g.RequireScopes("admin")(okHandler)), get("/"), []string{chBasic}},
		{"step_behind_a_policy_not_seen", g.Require(b)(g.RequirePolicy("p", func(*http.Request, *verifiers.Identity) error { return nil })(g.RequireScopes("admin")(okHandler))), get("/"),
			[]string{chBearer}},
		{"C1_Optional_anonymous_reaching_the_step", g.Optional(bm)(g.RequireScopes("admin")(okHandler)), get("/"),
			[]string{`Bearer realm="api", scope="admin", resource_metadata="` + rm + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := serve(tt.h, tt.req)
			if w.Code != 401 {
				t.Fatalf("status %d", w.Code)
			}
			wantChallenges(t, w, tt.want...)
		})
	}
	t.Run("C4_insufficient_scope_keeps_resource_metadata", func(t *testing.T) {
		t.Parallel()
		ok := &fakeVerifier{ch: bch, scheme: "Bearer", outcomes: map[string]func() (*verifiers.Identity, error){"r": ident(verifiers.SchemeBearer, "alice", "read")}}
		w := serve(g.Require(ok)(g.RequireScopes("admin")(okHandler)), get("/", "Authorization", "Bearer r"))
		if w.Code != 403 {
			t.Fatalf("status %d", w.Code)
		}
		wantChallenges(t, w, `Bearer realm="api", resource_metadata="`+rm+`", error="insufficient_scope", scope="admin"`)
	})
	t.Run("authenticated_with_the_scope_passes", func(t *testing.T) {
		t.Parallel()
		w := serve(g.Require(b)(g.RequireScopes("read")(okHandler)), get("/", "Authorization", "Bearer r"))
		if w.Code != 200 || w.Body.String() != "Bearer:alice" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}
