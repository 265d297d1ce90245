package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

func TestServeMuxRoutes(t *testing.T) {
	k, store, err := demoStore()
	if err != nil {
		t.Fatal(err)
	}
	v, err := apikey.New(store)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	srv := httptest.NewServer(newMux(middleware.New(middleware.WithLogger(zerolog.New(&logs))), v))
	defer srv.Close()

	cases := []struct {
		method, path, key string
		status            int
		challenge         string
		reason            string
	}{
		{"GET", "/healthz", "", 200, "", ""},
		{"GET", "/v1/reports/7", k.Reveal(), 200, "", ""},
		{"GET", "/v1/reports/7", "", 401, `APIKey realm="api", header="X-API-Key"`, "credentials_missing"},
		{"DELETE", "/v1/reports/7", k.Reveal(), 403, "", "scope_insufficient"},
	}
	for _, tc := range cases {
		logs.Reset()
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if tc.key != "" {
			req.Header.Set("X-API-Key", tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("WWW-Authenticate") != tc.challenge {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if tc.reason == "" {
			continue
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		var ev map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &ev); err != nil {
			t.Fatalf("log: %v: %s", err, logs.String())
		}
		if ev["reason"] != tc.reason || ev["route"] != tc.method+" /v1/reports/{id}" {
			t.Errorf("%s %s: logged %v", tc.method, tc.path, ev)
		}
		if strings.Contains(logs.String(), k.Reveal()) {
			t.Error("the key was logged")
		}
	}
}
