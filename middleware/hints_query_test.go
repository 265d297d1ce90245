package middleware

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// queryTokenParamRef is queryTokenParam by way of url.ParseQuery: what a
// handler's r.URL.Query() sees.
func queryTokenParamRef(raw string) int {
	m, _ := url.ParseQuery(raw)
	for i, p := range queryTokenParams {
		if _, ok := m[p]; ok {
			return i
		}
	}
	return -1
}

// TestQueryTokenParamDecodesNames: a token parameter whose name is
// percent-escaped is seen by the gate as by the handler's r.URL.Query(),
// and recognising it allocates nothing.
func TestQueryTokenParamDecodesNames(t *testing.T) {
	// Not parallel: AllocsPerRun.
	for _, tc := range []struct {
		raw  string
		want string // "" for none
	}{
		{"access%5Ftoken=abc", "access_token"},
		{"api%5Fkey=abc", "api_key"},
		{"%61ccess_token=abc", "access_token"},
		{"%61%63%63%65%73%73%5f%74%6f%6b%65%6e=abc", "access_token"},
		{"x=1&TOKEN=abc&api%5fkey=k", "api_key"},
		{"access_token=%zz", ""},    // ParseQuery drops the pair
		{"access%5Ftoken%=abc", ""}, // bad escape in the key
		{"access%5Ftoken=a;b", ""},  // semicolon
		{"access+token=abc", ""},    // '+' is a space
		{"jwt=1&access%5Ftoken=2", "access_token"},
		{"k%65y", "key"}, // no '=': a key with an empty value
		{"access_token%00=abc", ""},
	} {
		want := -1
		for i, p := range queryTokenParams {
			if p == tc.want {
				want = i
			}
		}
		if got := queryTokenParam(tc.raw); got != want {
			t.Errorf("queryTokenParam(%q) = %d, want %d (%s)", tc.raw, got, want, tc.want)
		}
		if ref := queryTokenParamRef(tc.raw); ref != want {
			t.Errorf("url.ParseQuery(%q) finds %d, the table says %d", tc.raw, ref, want)
		}
		r := &http.Request{URL: &url.URL{RawQuery: tc.raw}, Header: http.Header{}}
		if h := missingHint(r); want >= 0 && !strings.Contains(h, "("+tc.want+")") {
			t.Errorf("hint %q for %q", h, tc.raw)
		}
		if n := testing.AllocsPerRun(100, func() { queryTokenParam(tc.raw) }); n != 0 {
			t.Errorf("queryTokenParam(%q) allocates %v times", tc.raw, n)
		}
	}
}

// FuzzQueryTokenParam: queryTokenParam finds what url.ParseQuery finds.
func FuzzQueryTokenParam(f *testing.F) {
	for _, s := range []string{"access%5Ftoken=abc", "%61ccess_token=x&jwt=1", "key;=1", "api_key=%", "token+=1", "a=1&&key=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := queryTokenParam(raw), queryTokenParamRef(raw); got != want {
			t.Fatalf("queryTokenParam(%q) = %d, url.ParseQuery finds %d", raw, got, want)
		}
	})
}
