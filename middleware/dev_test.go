package middleware_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// TestDevelopmentModeIsNoOracle: in development mode, the responses to an
// unknown user and to a wrong password (an unknown key id and a wrong
// secret) are byte for byte the same, body and headers, though the
// verifier's hints, details and attributes differ; the log keeps the
// precise reason and hint.
func TestDevelopmentModeIsNoOracle(t *testing.T) {
	t.Parallel()
	rejection := func(reason verifiers.Reason, detail, hint, attr string) func() (*verifiers.Identity, error) {
		return func() (*verifiers.Identity, error) {
			return nil, verifiers.Reject(reason, detail).WithHint(hint).With(verifiers.AttrUser, attr)
		}
	}
	for _, tc := range []struct {
		name       string
		v          verifiers.Verifier
		hdr        string
		unknown    string
		mismatch   string
		unknownR   verifiers.Reason
		mismatchR  verifiers.Reason
		unknownH   string
		mismatchH  string
		wantPublic string
	}{
		{
			name: "basic", hdr: "Authorization",
			v: basicV(map[string]func() (*verifiers.Identity, error){
				"bWFsbG9yeTp4": rejection(verifiers.UserUnknown, "no user mallory", "no such user in users.htpasswd", "mallory"),
				"YWxpY2U6eA==": rejection(verifiers.PasswordMismatch, "wrong password for alice", "the password differs; it was changed 2 days ago", "alice"),
			}),
			unknown: "Basic bWFsbG9yeTp4", mismatch: "Basic YWxpY2U6eA==",
			unknownR: verifiers.UserUnknown, mismatchR: verifiers.PasswordMismatch,
			unknownH: "no such user in users.htpasswd", mismatchH: "the password differs; it was changed 2 days ago",
		},
		{
			name: "apikey", hdr: "X-API-Key",
			v: apikeyV(map[string]func() (*verifiers.Identity, error){
				"ak_nokey_0123456789": rejection(verifiers.APIKeyUnknown, "no key nokey", "no key with this id: was it created in this environment's store?", "nokey"),
				"ak_known_0123456789": rejection(verifiers.APIKeySecretMismatch, "secret differs for key known", "the key id exists but the secret differs: a regenerated key?", "known"),
			}),
			unknown: "ak_nokey_0123456789", mismatch: "ak_known_0123456789",
			unknownR: verifiers.APIKeyUnknown, mismatchR: verifiers.APIKeySecretMismatch,
			unknownH: "no key with this id: was it created in this environment's store?", mismatchH: "the key id exists but the secret differs: a regenerated key?",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, lb := testGate(middleware.WithDevelopmentMode())
			h := g.Require(tc.v)(okHandler)
			for _, rid := range []string{"", "req-7"} {
				lb.b.Reset()
				a := serve(h, get("/", tc.hdr, tc.unknown, "X-Request-Id", rid))
				b := serve(h, get("/", tc.hdr, tc.mismatch, "X-Request-Id", rid))
				if a.Code != 401 || a.Body.String() != b.Body.String() {
					t.Errorf("bodies differ:\n%s\n%s", a.Body, b.Body)
				}
				if !reflect.DeepEqual(a.Header(), b.Header()) {
					t.Errorf("headers differ:\n%v\n%v", a.Header(), b.Header())
				}
				var p map[string]any
				if err := json.Unmarshal(a.Body.Bytes(), &p); err != nil {
					t.Fatal(err)
				}
				hint, _ := p["hint"].(string)
				if p["reason"] != "credentials_invalid" || !strings.Contains(hint, "credentials_invalid") || !strings.Contains(hint, "server log") {
					t.Errorf("body %s: want credentials_invalid and the group's hint", a.Body)
				}
				evs := lb.events(t)
				if len(evs) != 2 || evs[0]["reason"] != string(tc.unknownR) || evs[0]["hint"] != tc.unknownH ||
					evs[1]["reason"] != string(tc.mismatchR) || evs[1]["hint"] != tc.mismatchH {
					t.Errorf("the log lost the precise reason or hint: %v", evs)
				}
			}
		})
	}
}

// TestDevelopmentModeClientTextIsScrubbed: a careless verifier's hint,
// detail, challenge parameter or header attribute holding the request's
// credential (or its base64) never reaches the response, in development
// mode too; the hint is sanitised like the log's.
func TestDevelopmentModeClientTextIsScrubbed(t *testing.T) {
	t.Parallel()
	c := canary(t)
	b64 := base64.StdEncoding.EncodeToString([]byte(c))
	careless := func(reason verifiers.Reason) func() (*verifiers.Identity, error) {
		return func() (*verifiers.Identity, error) {
			rej := verifiers.Reject(reason, "token "+c+" rejected").
				WithHint("the token "+c+" (base64 "+b64+") expired\u202e\r\nforged").
				With(verifiers.AttrHeader, c)
			rej.Params = []challenge.Param{{Name: "error_description", Value: "bad " + c}, {Name: "x_" + c, Value: "1"}}
			return nil, rej
		}
	}
	b := bearerV(map[string]func() (*verifiers.Identity, error){})
	k := apikeyV(map[string]func() (*verifiers.Identity, error){})
	for _, reason := range []verifiers.Reason{verifiers.TokenExpired, verifiers.CredentialsTooLarge, verifiers.APIKeyRevoked} {
		for _, where := range []string{"Authorization", "X-API-Key"} {
			t.Run(string(reason)+"/"+where, func(t *testing.T) {
				b.outcomes = map[string]func() (*verifiers.Identity, error){c: careless(reason)}
				k.outcomes = map[string]func() (*verifiers.Identity, error){c: careless(reason)}
				var got middleware.Problem
				for _, custom := range []bool{false, true} {
					opts := []middleware.Option{middleware.WithDevelopmentMode()}
					if custom {
						opts = append(opts, middleware.WithProblemWriter(func(w http.ResponseWriter, r *http.Request, p middleware.Problem) {
							got = p
							middleware.WriteProblem(w, r, p)
						}))
					}
					g, lb := testGate(opts...)
					r := get("/", "Authorization", "Bearer "+c)
					if where == "X-API-Key" {
						r = get("/", "X-API-Key", c)
					}
					w := serve(g.Require(b, k)(okHandler), r)
					if w.Code != reason.Status() {
						t.Fatalf("status %d", w.Code)
					}
					assertNoLeak(t, lb, w, leaks(c, b64))
					if !strings.Contains(w.Body.String(), "[redacted]") {
						t.Errorf("body %s: no redaction mark", w.Body)
					}
					if strings.ContainsAny(w.Body.String(), "\u202e") || strings.Contains(w.Body.String(), `\r\n`) {
						t.Errorf("body %s: hint not sanitised", w.Body)
					}
					if custom {
						for _, s := range []string{got.Hint, got.Detail} {
							if strings.Contains(s, c) {
								t.Errorf("the problem writer got the credential: %+v", got)
							}
						}
					}
				}
			})
		}
	}
}
