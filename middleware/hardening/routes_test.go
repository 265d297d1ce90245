package hardening

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/verifiers"
)

// TestFixtureRoutes checks the fixture itself: each route accepts exactly
// the credentials its verifiers read, refuses the others with the right
// reason and challenges, and no credential leaks anywhere.
func TestFixtureRoutes(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)
	ok := func(body string) expect { return expect{status: 200, body: body} }
	type tc struct {
		name, path string
		hdr        []string
		want       expect
	}
	missing := func(path string) expect {
		return expect{status: 401, challenges: challengesOf(path), reason: verifiers.CredentialsMissing}
	}
	cases := []tc{
		{"apikey/valid", "/apikey", []string{"X-API-Key", vs.keyGood}, ok("APIKey svc-reports")},
		{"apikey/valid_in_authorization", "/apikey", []string{"Authorization", "APIKey " + vs.keyGood}, ok("APIKey svc-reports")},
		{"apikey/revoked", "/apikey", []string{"X-API-Key", vs.keyRevoked}, expect{401, []string{chAPIKey}, verifiers.APIKeyRevoked, "", false}},
		{"apikey/expired", "/apikey", []string{"X-API-Key", vs.keyExpired}, expect{401, []string{chAPIKey}, verifiers.APIKeyExpired, "", false}},
		{"apikey/unknown", "/apikey", []string{"X-API-Key", vs.keyUnknown}, expect{401, []string{chAPIKey}, verifiers.APIKeyUnknown, "", false}},
		{"apikey/A1_missing", "/apikey", nil, missing("/apikey")},
		{"apikey/bearer_sent", "/apikey", []string{"Authorization", "Bearer " + vs.tokAll}, expect{401, []string{chAPIKey}, verifiers.SchemeNotAccepted, "", false}},
		{"basic/valid", "/basic", []string{"Authorization", basicAuth(basicUser, basicPassword)}, ok("Basic alice")},
		{"basic/B7_wrong_password", "/basic", []string{"Authorization", basicAuth(basicUser, bobPassword)}, expect{401, []string{chBasic}, verifiers.PasswordMismatch, "", false}},
		{"basic/B7_unknown_user", "/basic", []string{"Authorization", basicAuth("mallory", basicPassword)}, expect{401, []string{chBasic}, verifiers.UserUnknown, "", false}},
		{"basic/A1_missing", "/basic", nil, missing("/basic")},
		{"bearer/valid", "/bearer", []string{"Authorization", "Bearer " + vs.tokAll}, ok("Bearer user-42")},
		{"bearer/C2_expired", "/bearer", []string{"Authorization", "Bearer " + vs.tokExpired}, expect{401, []string{chBearerInvalid(verifiers.TokenExpired)}, verifiers.TokenExpired, "", false}},
		{"bearer/C1_missing", "/bearer", nil, missing("/bearer")},
		{"all/bearer", "/all", []string{"Authorization", "Bearer " + vs.tokRead}, ok("Bearer user-42")},
		{"all/basic", "/all", []string{"Authorization", basicAuth(bobUser, bobPassword)}, ok("Basic bob")},
		{"all/apikey", "/all", []string{"X-API-Key", vs.keyGood}, ok("APIKey svc-reports")},
		{"all/A7_missing_all_challenges", "/all", nil, missing("/all")},
		{"all/C2_expired_token_only_bearer_line_has_error", "/all", []string{"Authorization", "Bearer " + vs.tokExpired},
			expect{401, []string{chBearerInvalid(verifiers.TokenExpired), chBasic, chAPIKey}, verifiers.TokenExpired, "", false}},
		{"all/revoked_key", "/all", []string{"X-API-Key", vs.keyRevoked}, expect{401, challengesOf("/all"), verifiers.APIKeyRevoked, "", false}},
		{"all/unaccepted_scheme", "/all", []string{"Authorization", "Digest username=\"x\""}, expect{401, challengesOf("/all"), verifiers.SchemeNotAccepted, "", false}},
		{"optional/anonymous", "/optional", nil, ok("anonymous")},
		{"optional/valid", "/optional", []string{"X-API-Key", vs.keyGood}, ok("APIKey svc-reports")},
		{"optional/bad_credentials_still_rejected", "/optional", []string{"Authorization", "Bearer " + vs.tokExpired},
			expect{401, []string{chBearerInvalid(verifiers.TokenExpired), chBasic, chAPIKey}, verifiers.TokenExpired, "", false}},
		{"scoped/bearer_with_scope", "/scoped", []string{"Authorization", "Bearer " + vs.tokAll}, ok("Bearer user-42")},
		{"scoped/C4_bearer_without_scope", "/scoped", []string{"Authorization", "Bearer " + vs.tokRead},
			expect{403, []string{`Bearer realm="api", error="insufficient_scope", scope="orders:write"`}, verifiers.ScopeInsufficient, "", false}},
		{"scoped/A9_apikey_without_scope_no_challenge", "/scoped", []string{"X-API-Key", vs.keyGood}, expect{403, nil, verifiers.ScopeInsufficient, "", false}},
		{"scoped/A9_basic_without_scope_no_challenge", "/scoped", []string{"Authorization", basicAuth(basicUser, basicPassword)}, expect{403, nil, verifiers.ScopeInsufficient, "", false}},
		{"scoped/A1_missing", "/scoped", nil, missing("/scoped")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vs)
			res := f.serve(t, request(c.path, c.hdr...))
			c.want.check(t, res)
			f.assertClean(t, res)
			if res.code == http.StatusOK && c.hdr != nil && c.hdr[0] == "X-API-Key" {
				// A10: authenticated by a header other than Authorization;
				// an Optional route varies on all its credential fields.
				vary := "X-API-Key"
				if c.path == "/optional" {
					vary = "Authorization, X-API-Key"
				}
				if got := res.header.Values("Vary"); res.header.Get("Cache-Control") != "private" || len(got) != 1 || got[0] != vary {
					t.Errorf("A10: Cache-Control %q, Vary %q; want private, %s", res.header.Get("Cache-Control"), got, vary)
				}
			}
			if res.code == http.StatusOK && c.path == "/optional" {
				if got := res.header.Values("Vary"); len(got) != 1 || got[0] != "Authorization, X-API-Key" {
					t.Errorf("Optional route: Vary %q, want Authorization, X-API-Key", got)
				}
			}
		})
	}
}

// TestFixtureEdges covers what the route table above cannot: HEAD
// refusals have no body (G), a token in the query string is not read (C9:
// query tokens are off) and never logged (I2), a CORS preflight is
// answered by the gate and never reaches the handler, and a policy that reports
// verifiers.ErrUnavailable is a 503.
func TestFixtureEdges(t *testing.T) {
	t.Parallel()
	vs := newVerifierSet(t)

	t.Run("G_HEAD_refusal_has_no_body", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		r := request("/all")
		r.Method = http.MethodHead
		res := f.serve(t, r)
		expect{status: 401, challenges: challengesOf("/all"), reason: verifiers.CredentialsMissing, noBody: true}.check(t, res)
		if res.body != "" {
			t.Errorf("HEAD refusal has a body: %q", res.body)
		}
	})

	t.Run("C9_I2_query_token_not_read_not_logged", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		for _, path := range []string{"/bearer", "/all", "/optional"} {
			res := f.serve(t, request(path+"?access_token="+vs.tokAll+"&api_key="+vs.keyGood))
			want := expect{status: 401, challenges: challengesOf(path), reason: verifiers.CredentialsMissing}
			if path == "/optional" {
				want = accepted("anonymous")
			}
			want.check(t, res)
			if path != "/optional" && len(res.events) == 1 {
				if h, _ := res.events[0]["hint"].(string); !strings.Contains(h, "query string") {
					t.Errorf("hint %q does not mention the query string", h)
				}
				if p, _ := res.events[0]["path"].(string); p != path {
					t.Errorf("logged path %q, want %q (without the query)", p, path)
				}
			}
			f.assertClean(t, res)
		}
		// The header decides; the query is ignored, not "sent two ways".
		res := f.serve(t, request("/bearer?access_token="+vs.tokExpired, "Authorization", "Bearer "+vs.tokAll))
		accepted("Bearer user-42").check(t, res)
		f.assertClean(t, res)
	})

	t.Run("CORS_preflight_answered_by_the_gate", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		for _, path := range routes {
			for _, cred := range [][]string{nil, {"Authorization", "Bearer " + vs.tokAll}, {"X-API-Key", vs.keyGood}, {"Authorization", "Bearer " + vs.tokExpired}} {
				r := request(path, append([]string{"Origin", "https://app.example", "Access-Control-Request-Method", "POST"}, cred...)...)
				r.Method = http.MethodOptions
				res := f.serve(t, r)
				if res.code != http.StatusNoContent || res.body != "" || len(res.header) != 0 || f.calls.Load() != 0 {
					t.Errorf("%s %v: %d %q %v, handler calls %d; want 204, no body, no header, none", path, cred, res.code, res.body, res.header, f.calls.Load())
				}
				if len(res.events) != 1 || res.events[0]["reason"] != "preflight_unanswered" {
					t.Errorf("%s: events %v", path, res.events)
				}
				f.assertClean(t, res)
			}
		}
		// A plain OPTIONS is authenticated.
		r := request("/scoped")
		r.Method = http.MethodOptions
		expect{status: 401, challenges: challengesOf("/scoped"), reason: verifiers.CredentialsMissing}.check(t, f.serve(t, r))
	})

	t.Run("A1_optional_then_scopes_anonymous_is_401", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		f.router = f.newRouter(func(r chi.Router) {
			r.With(f.gate.Optional(vs.bearer, vs.basic, vs.apikey), f.gate.RequireScopes("orders:write")).HandleFunc("/optional-scoped", hello)
		})
		expect{status: 401, challenges: challengesOf("/scoped"), reason: verifiers.CredentialsMissing}.check(t, f.serve(t, request("/optional-scoped")))
		accepted("Bearer user-42").check(t, f.serve(t, request("/optional-scoped", "Authorization", "Bearer "+vs.tokAll)))
		expect{status: 403, challenges: []string{`Bearer realm="api", error="insufficient_scope", scope="orders:write"`}, reason: verifiers.ScopeInsufficient}.
			check(t, f.serve(t, request("/optional-scoped", "Authorization", "Bearer "+vs.tokRead)))
	})

	t.Run("policy_unavailable_is_503", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vs)
		f.router = f.newRouter(func(r chi.Router) {
			r.With(f.gate.Require(vs.apikey), f.gate.RequirePolicy("quota", func(*http.Request, *verifiers.Identity) error {
				return verifiers.Unavailable("quota service down", errors.New("dial tcp 10.0.0.9:443: i/o timeout"))
			})).HandleFunc("/quota", hello)
		})
		res := f.serve(t, request("/quota", "X-API-Key", vs.keyGood))
		unavailable.check(t, res)
		f.assertClean(t, res)
	})
}
