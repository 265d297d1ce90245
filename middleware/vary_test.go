package middleware_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestCachingHeaders pins the Vary and Cache-Control of the responses the
// gate lets through. Require: none for Authorization (shared caches do not
// store those, RFC 9111 §3.5), private and Vary on the field for another
// header (RFC 9110 §16.4.2). Optional: every response, anonymous or not,
// varies on all the route's credential fields, since the anonymous answer
// is not the authenticated one; private as on Require.
func TestCachingHeaders(t *testing.T) {
	t.Parallel()
	b := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	k := apikeyV(map[string]func() (*verifiers.Identity, error){"k-good": ident(verifiers.SchemeAPIKey, "svc")})
	cookie := &cookieVerifier{fakeVerifier: *bearerV(nil)}
	g, _ := testGate()
	none := []string(nil)
	for _, tc := range []struct {
		name         string
		h            http.Handler
		req          *http.Request
		vary         []string
		cacheControl []string
	}{
		{"Require/Authorization", g.Require(b, k)(okHandler), get("/", "Authorization", "Bearer good"), none, none},
		{"Require/X-API-Key", g.Require(b, k)(okHandler), get("/", "X-API-Key", "k-good"), []string{"X-API-Key"}, []string{"private"}},
		{"Optional/anonymous", g.Optional(b, k)(okHandler), get("/"), []string{"Authorization, X-API-Key"}, none},
		{"Optional/Authorization", g.Optional(b, k)(okHandler), get("/", "Authorization", "Bearer good"), []string{"Authorization, X-API-Key"}, none},
		{"Optional/X-API-Key", g.Optional(b, k)(okHandler), get("/", "X-API-Key", "k-good"), []string{"Authorization, X-API-Key"}, []string{"private"}},
		{"Optional/bearer_only_anonymous", g.Optional(b)(okHandler), get("/"), []string{"Authorization"}, none},
		{"Optional/bearer_only_authenticated", g.Optional(b)(okHandler), get("/", "Authorization", "Bearer good"), []string{"Authorization"}, none},
		{"Optional/cookie", g.Optional(b, cookie)(okHandler), get("/", "Cookie", "session=s-good"), []string{"Authorization, Cookie"}, []string{"private"}},
		{"Optional/keeps_earlier_Vary", keepVary(g.Optional(b, k)(okHandler)), get("/"), []string{"Origin", "Authorization, X-API-Key"}, none},
		{"Optional/inside_Require_keeps_identity", g.Require(k)(g.Optional(b)(okHandler)), get("/", "X-API-Key", "k-good"), []string{"X-API-Key", "Authorization"}, []string{"private"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(tc.h, tc.req)
			if w.Code != 200 {
				t.Fatalf("status %d", w.Code)
			}
			if got := w.Header().Values("Vary"); !reflect.DeepEqual(got, tc.vary) {
				t.Errorf("Vary %q, want %q", got, tc.vary)
			}
			if got := w.Header().Values("Cache-Control"); !reflect.DeepEqual(got, tc.cacheControl) {
				t.Errorf("Cache-Control %q, want %q", got, tc.cacheControl)
			}
		})
	}
}

// keepVary sets a Vary before the gate runs, as a CORS middleware does.
func keepVary(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		h.ServeHTTP(w, r)
	})
}

// cookieVerifier authenticates the session cookie "s-good".
type cookieVerifier struct{ fakeVerifier }

func (c *cookieVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	ck, err := r.Cookie("session")
	if err != nil {
		return nil, verifiers.ErrNoCredentials
	}
	if ck.Value != "s-good" {
		return nil, verifiers.Reject(verifiers.CredentialsInvalid, "unknown session")
	}
	return &verifiers.Identity{Subject: "web", Scheme: "Session", Source: verifiers.Source{In: verifiers.InCookie, Name: "session"}}, nil
}
