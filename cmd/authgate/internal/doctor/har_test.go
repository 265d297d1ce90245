package doctor

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// devtoolsHAR is shaped like Chrome DevTools' export: the preflight is an
// entry of its own, before the request, and HTTP/2 pseudo-headers appear.
const devtoolsHAR = `{"log":{"version":"1.2","entries":[
{"request":{"method":"GET","url":"https://app.test/","headers":[]},"response":{"status":200,"headers":[]}},
{"request":{"method":"OPTIONS","url":"https://api.test/v1/me","headers":[
  {"name":":authority","value":"api.test"},{"name":"origin","value":"https://app.test"},
  {"name":"access-control-request-method","value":"DELETE"},{"name":"access-control-request-headers","value":"authorization"}]},
 "response":{"status":204,"headers":[]}},
{"request":{"method":"DELETE","url":"https://api.test/v1/me","headers":[
  {"name":":method","value":"DELETE"},{"name":"origin","value":"https://app.test"},{"name":"authorization","value":"Bearer x"},
  {"name":"content-length","value":"0"},{"name":"bad header","value":"x"},{"name":"X-Evil","value":"a\r\nb"}]},
 "response":{"status":0,"headers":[],"_error":"net::ERR_FAILED"}},
{"request":{"method":"GET","url":"https://api.test/v1/ok","headers":[]},"response":{"status":200,"headers":[]}}
]}}`

func TestReadHAR_DevToolsPreflight(t *testing.T) {
	t.Parallel()
	r, err := ReadHAR(strings.NewReader(devtoolsHAR), -1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "DELETE" || r.Origin != "https://app.test" || r.Source != "HAR entry 2, preflight entry 1" {
		t.Errorf("picked %s from %q (%s)", r.Method, r.Origin, r.Source)
	}
	if r.Preflight == nil || r.Preflight.Header.Get("Access-Control-Request-Method") != "DELETE" {
		t.Errorf("preflight %+v", r.Preflight)
	}
	for _, h := range []string{":method", "Content-Length", "Bad Header", "X-Evil"} {
		if _, ok := r.Header[h]; ok {
			t.Errorf("header %q is replayed", h)
		}
	}
	if r.Header.Get("Authorization") != "Bearer x" || r.Recorded.Error != "net::ERR_FAILED" {
		t.Errorf("headers %v, recorded %+v", r.Header, r.Recorded)
	}
	r, err = ReadHAR(strings.NewReader(devtoolsHAR), 3)
	if err != nil || r.URL != "https://api.test/v1/ok" || r.Preflight != nil {
		t.Errorf("entry 3: %+v, %v", r, err)
	}
	if err := r.Rebase("http://127.0.0.1:8080"); err != nil || r.URL != "http://127.0.0.1:8080/v1/ok" {
		t.Errorf("Rebase: %q, %v", r.URL, err)
	}
}

func TestReadHAR_Chromium(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "har", "chromium.har"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadHAR(f, -1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "HAR entry 2" || r.Recorded.Status != -1 || !strings.HasPrefix(r.Origin, "http://localhost:") || r.Preflight != nil {
		t.Errorf("picked %s, recorded %+v, origin %q (from Referer)", r.Source, r.Recorded, r.Origin)
	}
}

func TestReadHAR_Errors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, har string
		index     int
		want      string
	}{
		{"not_json", "nope", -1, "not JSON"},
		{"no_entries", `{"log":{"entries":[]}}`, -1, "no entries"},
		{"no_log", `{}`, -1, "no entries"},
		{"nothing_refused", `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.test/"},"response":{"status":200}}]}}`, -1, "no refused request"},
		{"index_out_of_range", devtoolsHAR, 9, "entry 9 asked for, the file has 4"},
		{"no_url", `{"log":{"entries":[{"request":{"method":"GET"},"response":{"status":401}}]}}`, -1, "no method or URL"},
		{"relative_url", `{"log":{"entries":[{"request":{"method":"GET","url":"/v1"},"response":{"status":401}}]}}`, -1, "not an absolute http(s) URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadHAR(strings.NewReader(c.har), c.index)
			if !errors.Is(err, ErrHAR) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want ErrHAR saying %q", err, c.want)
			}
		})
	}
}
