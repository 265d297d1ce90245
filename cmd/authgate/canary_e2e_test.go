package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestCanaryEverywhere sends one unique canary credential in every place
// and shape a client puts one, to the reference routes and to a server
// that echoes it, and checks that neither it nor any of its base64 forms
// appears on stdout, in --json or on stderr. (Every other test runs the
// same check on its own credentials.)
func TestCanaryEverywhere(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpt{})
	// Letters and digits: it looks like a token. Random text passes for a
	// user name about 1 time in 5 (verifiers.LooksLikeCredential's
	// documented trade-off), and the doctor then rightly shows it as the
	// Basic user name of basic_user: draw until it looks like what it
	// stands for, a key sent as the user name.
	canary := "Cnry" + rand.Text()
	for _, ok := verifiers.LooksLikeCredential(canary); !ok; _, ok = verifiers.LooksLikeCredential(canary) {
		canary = "Cnry" + rand.Text()
	}
	echo := serve(t, func(w http.ResponseWriter, r *http.Request) {
		all := r.Header.Get("Authorization") + " " + r.Header.Get("X-API-Key") + " " + r.Header.Get("Cookie") + " " + r.URL.RawQuery
		w.Header().Set("WWW-Authenticate", `Bearer realm="echo", error="invalid_token"`)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"title": all, "detail": all, "request_id": all})
	})
	b64 := base64.StdEncoding.EncodeToString
	for _, c := range []struct {
		name string
		args []string
	}{
		{"bearer", []string{"-H", "Authorization: Bearer " + canary}},
		{"bare", []string{"-H", "Authorization: " + canary}},
		{"quoted", []string{"-H", `Authorization: Bearer "` + canary + `"`}},
		{"doubled", []string{"-H", "Authorization: Bearer Bearer " + canary}},
		{"unknown_scheme", []string{"-H", "Authorization: " + canary + " " + canary}},
		{"token_scheme", []string{"-H", "Authorization: Token " + canary}},
		{"basic_password", []string{"-u", "admin:" + canary}},
		{"basic_user", []string{"-u", canary + ":"}},
		{"basic_raw", []string{"-H", "Authorization: Basic " + b64([]byte("admin:"+canary))}},
		{"basic_unpadded", []string{"-H", "Authorization: Basic " + base64.RawStdEncoding.EncodeToString([]byte("admin:"+canary+"x"))}},
		{"basic_not_base64", []string{"-H", "Authorization: Basic " + canary + "!"}},
		{"api_key_header", []string{"-H", "X-API-Key: " + canary}},
		{"api_key_format", []string{"-H", "X-API-Key: ak_live_" + canary}},
		{"cookie", []string{"-H", "Cookie: session=" + canary}},
		{"query", []string{"--origin", "https://app.test"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, u := range []string{f.srv.URL + "/v1/me", f.srv.URL + "/admin/stats", f.srv.URL + "/v1/reports", echo.URL + "/v1/me"} {
				if c.name == "query" {
					u += "?access_token=" + canary + "&api_key=" + canary
				}
				r := doctorRun(t, append(c.args, u)...)
				assertNoSecret(t, r, canary, "admin:"+canary)
			}
		})
	}
}
