package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
)

// harTestToken is the test token that replaced the real one in
// testdata/har/chromium.har (see testdata/har/README.md).
const harTestToken = "eyJhbGciOiJFUzI1NiIsImtpZCI6Imhhci10ZXN0IiwidHlwIjoiYXQrand0In0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5oYXIudGVzdCIsInN1YiI6Imhhci10ZXN0IiwiYXVkIjoiaHR0cHM6Ly9hcGkuaGFyLnRlc3QiLCJleHAiOjE3NjcyMjU2MDB9.c2lnbmF0dXJlIHJlbW92ZWQ6IHRoaXMgaXMgYSB0ZXN0IHRva2Vu"

// harWithToken copies the Chromium HAR with its test token swapped for
// tok, so that the fixture's issuer can verify it.
func harWithToken(t *testing.T, tok string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "har", "chromium.har"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(harTestToken)) {
		t.Fatal("testdata/har/chromium.har does not hold the test token")
	}
	p := filepath.Join(t.TempDir(), "chromium.har")
	if err := os.WriteFile(p, bytes.ReplaceAll(b, []byte(harTestToken), []byte(tok)), 0o400); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHARFromChromium replays the requests headless Chromium recorded
// against the reference server (testdata/har/README.md), against the
// fixture: the recorded URLs' scheme and host are replaced by BASE_URL.
func TestHARFromChromium(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	t.Run("cross_origin_request_blocked_by_CORS", func(t *testing.T) {
		tok := f.token(t)
		p := harWithToken(t, tok)
		before, _ := os.ReadFile(p)
		r := doctorRun(t, "--har", p, f.srv.URL)
		// The token is valid: behind the failed preflight the server
		// authorizes the request, so CORS is the only cause.
		expect(t, r, 1, "cors_blocked", "no CORS middleware answered it", tok, harTestToken)
		if res, ev := r.check("recorded"); res != "info" || ev != "the browser got no readable response (net::ERR_FAILED)" {
			t.Errorf("recorded check %s %q, want the browser's net::ERR_FAILED", res, ev)
		}
		if !strings.Contains(r.stdout, "HAR entry 2") || !strings.Contains(r.stdout, "OPTIONS (built from the request) from origin http://localhost:") {
			t.Errorf("the report does not say which entry and origin it used\n%s", r.stdout)
		}
		after, _ := os.ReadFile(p)
		if !bytes.Equal(before, after) {
			t.Error("the HAR file was modified")
		}
	})
	t.Run("same_origin_401_expired", func(t *testing.T) {
		exp := mint(t, f.iss, authgatetest.Expired())
		p := harWithToken(t, exp)
		r := doctorRun(t, "--har", p, "--har-entry", "1", f.srv.URL)
		expect(t, r, 1, "invalid_credential", "the token expired at", exp, harTestToken)
		if res, _ := r.check("cors_preflight"); res != "n/a" {
			t.Errorf("a same-origin request got a CORS check (%s)", res)
		}
	})
}
