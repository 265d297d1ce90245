package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPreflightWildcardDoesNotCoverAuthorization: in the Fetch standard,
// "Access-Control-Allow-Headers: *" does not cover Authorization, which
// must be named; a preflight allowing "*" still blocks a Bearer request.
func TestPreflightWildcardDoesNotCoverAuthorization(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		allow   string
		blocked bool
	}{{"*", true}, {"*, Authorization", false}, {"authorization", false}} {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Access-Control-Allow-Origin", "https://app.test")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Headers", c.allow)
				w.WriteHeader(http.StatusNoContent)
			}
		}))
		h := http.Header{}
		h.Set("Authorization", "Bearer opaque-token-for-cors-test")
		rep, err := Run(context.Background(), Config{}, &Request{URL: s.URL + "/v1", Header: h, Origin: "https://app.test"})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Verdict.Cause == CauseCORS; got != c.blocked {
			t.Errorf("Allow-Headers %q: blocked %v, want %v (%s)", c.allow, got, c.blocked, rep.Verdict.Summary)
		}
		if c.blocked && !strings.Contains(rep.Verdict.Summary, "request header authorization is not in Access-Control-Allow-Headers [*]") {
			t.Errorf("summary %q", rep.Verdict.Summary)
		}
	}
}
