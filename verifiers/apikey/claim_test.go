package apikey_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestClaimedPrincipal: the key id is read from the key's syntax alone,
// never from the store, and nothing else is claimed.
func TestClaimedPrincipal(t *testing.T) {
	t.Parallel()
	key, rec := authgatetest.APIKeyIn(t, "live", "svc")
	unknown, unknownRec := authgatetest.APIKeyIn(t, "live", "svc") // not in the store
	store := authgatetest.APIKeyStore(t, rec)
	v, err := apikey.New(store)
	if err != nil {
		t.Fatal(err)
	}
	var _ verifiers.PrincipalClaimer = v
	typo := []byte(key)
	typo[len(typo)-1] ^= 1 // breaks the checksum
	cases := []struct {
		name    string
		headers []string
		want    string
		ok      bool
	}{
		{"known_key_claims_its_id", []string{"X-API-Key", key}, rec.ID, true},
		{"unknown_key_claims_its_id_without_lookup", []string{"X-API-Key", unknown}, unknownRec.ID, true},
		{"no_key", nil, "", false},
		{"checksum_invalid", []string{"X-API-Key", string(typo)}, "", false},
		{"foreign_key_has_no_id", []string{"X-API-Key", "sk_live_whatever"}, "", false},
		{"two_keys", []string{"X-API-Key", key, "X-API-Key", key}, "", false},
		{"oversized", []string{"X-API-Key", key + strings.Repeat("a", 4096)}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for i := 0; i+1 < len(tc.headers); i += 2 {
				r.Header.Add(tc.headers[i], tc.headers[i+1])
			}
			got, ok := v.ClaimedPrincipal(r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ClaimedPrincipal = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if ok && strings.Contains(key, got) && len(got) >= len(key)/2 {
				t.Errorf("claimed principal %q holds most of the key", got)
			}
		})
	}
}

func BenchmarkClaimedPrincipal(b *testing.B) {
	key, rec := authgatetest.APIKeyIn(b, "live", "svc")
	v, _ := apikey.New(authgatetest.APIKeyStore(b, rec))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-API-Key", key)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := v.ClaimedPrincipal(r); !ok {
			b.Fatal("no claim")
		}
	}
}
