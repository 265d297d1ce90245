package basic_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/basic"
)

// TestClaimedPrincipal: the user-id is read from the decoded credentials
// without asking the source or checking the password, and the password is
// never part of the claim.
func TestClaimedPrincipal(t *testing.T) {
	t.Parallel()
	users, err := basic.NewMemoryStore(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := basic.New(users, basic.WithNormalizer(strings.ToLower))
	if err != nil {
		t.Fatal(err)
	}
	var _ verifiers.PrincipalClaimer = v
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name string
		auth string
		want string
		ok   bool
	}{
		{"B3_user_before_first_colon", b64("alice:pass:with:colons"), "alice", true},
		{"unknown_user_claimed_without_lookup", b64("nobody:x"), "nobody", true},
		{"normalized_like_Verify", b64("Alice:x"), "alice", true},
		{"no_credentials", "", "", false},
		{"other_scheme", "Bearer abc", "", false},
		{"empty_credentials", "Basic", "", false},
		{"not_base64", "Basic alice:secret", "", false},
		{"no_colon", b64("alicesecret"), "", false},
		{"empty_user", b64(":secret"), "", false},
		{"user_too_long", b64(strings.Repeat("u", basic.MaxUserLength+1) + ":x"), "", false},
		{"oversized", "Basic " + strings.Repeat("QUFB", basic.MaxCredentialsLength), "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			got, ok := v.ClaimedPrincipal(r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ClaimedPrincipal = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
