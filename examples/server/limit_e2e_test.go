package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestFailureLimitFlags: with -failure-limit-ip 3, a client's fourth
// wrong key is answered 429 too_many_failures with Retry-After, and so is
// a valid key from the same address: the limit is per address, checked
// before any verifier.
func TestFailureLimitFlags(t *testing.T) {
	key, rec := authgatetest.APIKeyIn(t, "live", "reports-service", "reports:read")
	line, err := apikey.FormatFileLine(rec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "-apikeys", path, "-failure-limit-ip", "3", "-failure-window", "1m", "-log-level", "warn")
	send := func(k string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.base+"/v1/reports", nil)
		req.Header.Set("X-API-Key", k)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := send(key); r.StatusCode != 200 {
		t.Fatalf("valid key: %d", r.StatusCode)
	}
	for i := range 3 {
		unknown, _ := authgatetest.APIKeyIn(t, "live", "nobody")
		if r := send(unknown); r.StatusCode != 401 {
			t.Fatalf("guess %d: %d, want 401", i+1, r.StatusCode)
		}
	}
	unknown, _ := authgatetest.APIKeyIn(t, "live", "nobody")
	r := send(unknown)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth guess: %d, Retry-After %q; want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := send(key); r.StatusCode != 429 {
		t.Errorf("valid key from the same address after the limit: %d, want 429 (the limit is per address)", r.StatusCode)
	}
	evs := s.refusals(t, 5)
	if len(evs) != 5 || evs[3]["reason"] != "too_many_failures" || !strings.Contains(evs[3]["detail"].(string), "3") {
		t.Errorf("refusals: %v", evs)
	}
}
