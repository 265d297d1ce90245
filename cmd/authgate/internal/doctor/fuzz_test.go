package doctor

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadHAR: any input gives a request that can be sent or an ErrHAR,
// never a panic.
func FuzzReadHAR(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "har", "chromium.har")); err == nil {
		f.Add(string(b), -1)
	}
	f.Add(devtoolsHAR, -1)
	f.Add(devtoolsHAR, 3)
	f.Add(`{"log":{"entries":[{"request":{"method":"GET","url":"http://a/"},"response":{"status":-1}}]}}`, 0)
	f.Fuzz(func(t *testing.T, har string, index int) {
		r, err := ReadHAR(strings.NewReader(har), index)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ReadHAR returned a request that does not validate: %v", err)
		}
		for k, vs := range r.Header {
			if !validHeader(k, strings.Join(vs, "")) {
				t.Fatalf("header %q would not be sendable", k)
			}
		}
	})
}

// FuzzParseAuthorization: the Authorization parser never panics and never
// puts the credential (or a long piece of it) into what it prints.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer " + jwtOf(`{"exp":1}`), jwtOf(`{}`), `Bearer "abc.def.ghi"`, "Bearer Bearer x", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:$(pw)")),
		"Basic !!", "Bearer $(cat t)", "APIKey ak_live_x_y", "", "Basic " + base64.StdEncoding.EncodeToString([]byte("ak_live_0123456789AB_abcdefghijklmnopqrstuv012345:x"))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := parseAuthorization(v)
		out := c.describe() + strings.Join(c.Faults, " ")
		secret := strings.Trim(strings.TrimSpace(c.Value), `"' `)
		if len(secret) >= 12 && strings.Contains(out, secret) {
			t.Fatalf("the credential is in the description: %q", out)
		}
		if w, _, _ := strings.Cut(strings.TrimSpace(v), " "); len(w) >= 8 && strings.ContainsAny(w, "0123456789") && !knownScheme(w) && strings.Contains(out, w) {
			// (Words with a digit: shorter or plain words occur in the
			// fixed texts, such as "Bear" in "Bearer".)
			t.Fatalf("a first word that is no known scheme (maybe the credential) is in the description: %q", out)
		}
		if raw, err := decodeAnyBase64(secret); err == nil {
			if _, pass, ok := strings.Cut(raw, ":"); ok && len(pass) >= 12 && strings.Contains(out, pass) {
				t.Fatalf("the password is in the description: %q", out)
			}
		}
	})
}
