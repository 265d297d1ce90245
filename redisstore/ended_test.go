package redisstore_test

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
)

// doEnded is do with the request's context already ended, as the server
// ends it when the client half-closes its connection right after sending
// the request (it can still read the answer).
func (in *instance) doEnded(addr, user, pw string) int {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	r.RemoteAddr = addr
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
	w := httptest.NewRecorder()
	in.h.ServeHTTP(w, r)
	return w.Code
}

// TestEndedRequestStillSeesSharedCount: a client whose guesses were
// counted on one instance cannot escape the shared limit on another by
// ending its request's context at once (half-closing its connection):
// the count is still read from Redis, and the answer is 429, for the
// pair's limit and for the address's. Reading with the request's context
// failed before reaching Redis and counted only this instance's
// failures: the request went on to the verifier (Basic answered 503, a
// verifier that does not watch the context answers 401 or 200), so a
// client spreading guesses over N instances had N budgets.
func TestEndedRequestStillSeesSharedCount(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	fl := middleware.FailureLimit{PerIP: 6, PerPrincipal: 3, Window: time.Minute}
	a := newInstance(t, fl, d.failureStore(t, newClient(t, testAddr())))
	b := newInstance(t, fl, d.failureStore(t, newClient(t, testAddr())))
	const ip = "192.0.2.9:1000"
	for n := 1; n <= 3; n++ {
		if got := a.do(ip, "alice", "wrong-"+strconv.Itoa(n)); got != 401 {
			t.Fatalf("guess %d for alice on a: %d, want 401", n, got)
		}
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := b.store.Failures(ended, pairKey("192.0.2.9", "alice")); err != nil || c.N != 3 {
		t.Fatalf("b's Failures of (alice, address) with an ended context: %+v, %v; want the 3 counted on a", c, err)
	}
	if _, p, err := b.store.PairFailures(ended, pairKey("192.0.2.9", "alice")); err != nil || p.N != 3 {
		t.Fatalf("b's PairFailures with an ended context: pair %+v, %v; want the 3 counted on a", p, err)
	}
	if got := b.doEnded(ip, "alice", "wrong-4"); got != 429 {
		t.Fatalf("a 4th guess for alice on b, its request's context ended: %d, want 429", got)
	}
	for n := 1; n <= 3; n++ {
		if got := a.do(ip, "bob", "wrong-"+strconv.Itoa(n)); got != 401 {
			t.Fatalf("guess %d for bob on a: %d, want 401", n, got)
		}
	}
	// No claimed principal: the address's own count alone (Failures).
	if got := b.doEnded(ip, "", ""); got == 200 {
		t.Fatalf("no credentials: 200")
	}
	if got := b.doEnded(ip, "carol", "x"); got != 429 {
		t.Fatalf("a guess from the address after 6 failures on a, on b with its context ended: %d, want 429", got)
	}
}
