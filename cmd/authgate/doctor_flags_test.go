package main

import (
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// TestParseDoctorCurlFlags: curl's flags, before or after the URL.
func TestParseDoctorCurlFlags(t *testing.T) {
	t.Parallel()
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	req, _, err := parseDoctor([]string{"https://api.test/v1", "-H", "Content-Type: application/json", "-d", "@" + body, "-H", "X-Trace: 1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || string(req.Body) != `{"a":1}` || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("X-Trace") != "1" {
		t.Errorf("-d @file: %s %q %v", req.Method, req.Body, req.Header)
	}
	req, _, err = parseDoctor([]string{"-X", "PUT", "-d", "x=1", "https://admin:pw@api.test/v1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw"))
	if req.Method != "PUT" || req.URL != "https://api.test/v1" || req.Header.Get("Authorization") != want || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("URL user information is sent as Basic, as curl does: %s %s %v", req.Method, req.URL, req.Header)
	}
}

// TestJSONShape: the --json keys are API (README, "When a client gets a
// 401"); a change to them must be deliberate.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	r := doctorRun(t, f.srv.URL+"/v1/me")
	var keys []string
	for k := range r.report {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"checks", "method", "outcome", "request_id", "source", "status", "url", "verdict", "version"}; !slices.Equal(keys, want) {
		t.Errorf("top-level keys %v, want %v", keys, want)
	}
	v := r.report["verdict"].(map[string]any)
	if v["cause"] != "no_credentials" || v["number"] != float64(1) || v["summary"] == "" || v["action"] == "" || r.report["version"] != float64(1) || r.report["outcome"] != "refused" {
		t.Errorf("verdict %v", v)
	}
	steps := []string{}
	for _, c := range r.report["checks"].([]any) {
		m := c.(map[string]any)
		if !slices.Contains([]string{"pass", "fail", "n/a", "info"}, m["result"].(string)) {
			t.Errorf("result %v", m["result"])
		}
		steps = append(steps, m["step"].(string))
	}
	want := []string{"cors_preflight", "request", "credentials_sent", "format", "challenges", "scheme", "server_reason", "clock", "token_claims", "apikey", "basic"}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
}
