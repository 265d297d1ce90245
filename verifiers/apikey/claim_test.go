package apikey_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestClaimedPrincipal: the key id is read from the key's syntax alone,
// never from the store, and nothing else is claimed.
func TestClaimedPrincipal(t *testing.T) {
	t.Parallel()
	key, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := apikey.Generate(apikey.DefaultPrefix, "live") // not in the store
	if err != nil {
		t.Fatal(err)
	}
	store, err := apikey.NewMemoryStore(key.Record("svc", nil, time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := apikey.New(store)
	if err != nil {
		t.Fatal(err)
	}
	var _ verifiers.PrincipalClaimer = v
	typo := []byte(key.Reveal())
	typo[len(typo)-1] ^= 1 // breaks the checksum
	cases := []struct {
		name    string
		headers []string
		want    string
		ok      bool
	}{
		{"known_key_claims_its_id", []string{"X-API-Key", key.Reveal()}, key.ID(), true},
		{"unknown_key_claims_its_id_without_lookup", []string{"X-API-Key", unknown.Reveal()}, unknown.ID(), true},
		{"no_key", nil, "", false},
		{"checksum_invalid", []string{"X-API-Key", string(typo)}, "", false},
		{"foreign_key_has_no_id", []string{"X-API-Key", "sk_live_whatever"}, "", false},
		{"two_keys", []string{"X-API-Key", key.Reveal(), "X-API-Key", key.Reveal()}, "", false},
		{"oversized", []string{"X-API-Key", key.Reveal() + strings.Repeat("a", 4096)}, "", false},
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
			if ok && strings.Contains(key.Reveal(), got) && len(got) >= len(key.Reveal())/2 {
				t.Errorf("claimed principal %q holds most of the key", got)
			}
		})
	}
}

func BenchmarkClaimedPrincipal(b *testing.B) {
	key, _ := apikey.Generate(apikey.DefaultPrefix, "live")
	store, _ := apikey.NewMemoryStore(key.Record("svc", nil, time.Time{}))
	v, _ := apikey.New(store)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-API-Key", key.Reveal())
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := v.ClaimedPrincipal(r); !ok {
			b.Fatal("no claim")
		}
	}
}
