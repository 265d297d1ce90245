package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// readyVerifier is a fakeVerifier that says whether it is ready.
type readyVerifier struct {
	*fakeVerifier
	ready atomic.Bool
}

func (v *readyVerifier) Ready(context.Context) error {
	if v.ready.Load() {
		return nil
	}
	return errors.New("keys at https://idp.internal.example/jwks not fetched yet")
}

// TestReady: /readyz answers 503 naming the scheme that is not ready (and
// not its error, which names hosts), then 200 once it is; a verifier that
// is no Readier counts as ready.
func TestReady(t *testing.T) {
	t.Parallel()
	slow := &readyVerifier{fakeVerifier: bearerV(nil)}
	plain := basicV(nil)
	h := middleware.Ready(plain, slow)

	w := serve(h, get("/readyz"))
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != "not ready: Bearer (verifier 1)\n" {
		t.Errorf("not ready: %d %q", w.Code, w.Body.String())
	}
	if strings.Contains(w.Body.String(), "idp.internal") || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("body %q, Cache-Control %q", w.Body.String(), w.Header().Get("Cache-Control"))
	}
	err := middleware.CheckReady(context.Background(), plain, slow)
	if err == nil || !strings.Contains(err.Error(), "verifier 1 (Bearer): keys at") {
		t.Errorf("CheckReady = %v", err)
	}

	slow.ready.Store(true)
	w = serve(h, get("/readyz"))
	if w.Code != http.StatusOK || w.Body.String() != "ready\n" {
		t.Errorf("ready: %d %q", w.Code, w.Body.String())
	}
	head := get("/readyz")
	head.Method = http.MethodHead
	if w := serve(h, head); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d body bytes", w.Code, w.Body.Len())
	}
	if err := middleware.CheckReady(context.Background(), plain, slow); err != nil {
		t.Errorf("CheckReady = %v", err)
	}
	var _ verifiers.Readier = slow
}
