package apikey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestVerifyAllocations pins the cost of the outcomes a client can cause
// at will, as issue 15 measures them: a known key allocates nothing, and
// an unknown key or a wrong secret allocates the rejection (with its two
// attributes), its detail and the fingerprint: three allocations, where
// fmt.Sprintf and chained With calls took seven. Not parallel: AllocsPerRun
// counts the whole process.
func TestVerifyAllocations(t *testing.T) {
	f := newFixture(t)
	v := newVerifier(t, f.store)
	for _, tc := range []struct {
		name   string
		key    string
		reason verifiers.Reason
		max    float64
		detail string
	}{
		{"success", f.keys["good"], "", 0, ""},
		{"unknown", f.keys["unknown"], verifiers.APIKeyUnknown, 3,
			"no API key with id " + f.ids["unknown"] + " in the store (read from header X-API-Key)"},
		{"secret_mismatch", f.mismatch(t), verifiers.APIKeySecretMismatch, 3,
			"API key " + f.ids["good"] + " exists but the secret sent does not match the stored hash (read from header X-API-Key)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get("/", "X-API-Key", tc.key)
			id, err := v.Verify(r)
			if tc.reason == "" {
				if err != nil || id == nil {
					t.Fatalf("Verify = %v, %v; want an identity", id, err)
				}
			} else {
				var rej *verifiers.Rejection
				if !errors.As(err, &rej) || rej.Reason != tc.reason || rej.Detail != tc.detail {
					t.Fatalf("Verify error %v; want %s with detail %q", err, tc.reason, tc.detail)
				}
				if len(rej.Attrs) != 2 || rej.Attrs[0].Key != verifiers.AttrKeyID || rej.Attrs[1].Key != verifiers.AttrFingerprint || rej.Attrs[1].Value == "" {
					t.Fatalf("attrs %v; want key_id then fingerprint", rej.Attrs)
				}
				// The attributes are the rejection's own: an append by
				// whoever holds it does not write past them.
				if cap(rej.Attrs) != len(rej.Attrs) {
					t.Fatalf("attrs capacity %d, want %d (clipped)", cap(rej.Attrs), len(rej.Attrs))
				}
			}
			if raceEnabled {
				return // the fingerprint's sync.Pool drops items under -race
			}
			if n := testing.AllocsPerRun(100, func() { _, _ = v.Verify(r) }); n > tc.max {
				t.Errorf("Verify allocates %v times, want at most %v", n, tc.max)
			}
		})
	}
}

// TestVerifyClockReadOnlyWhenNeeded: a key with neither a revocation nor an
// expiry does not read the clock; one with either still does, and is
// refused once the time has come.
func TestVerifyClockReadOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	plain, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		t.Fatal(err)
	}
	dated, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s, err := apikey.NewMemoryStore(plain.Record("svc-plain", nil, time.Time{}), dated.Record("svc-dated", nil, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	reads, now := 0, t0
	v, err := apikey.New(s, apikey.WithClock(func() time.Time { reads++; return now }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(get("/", "X-API-Key", plain.Reveal())); err != nil || reads != 0 {
		t.Fatalf("plain key: err %v, clock read %d times; want nil, 0", err, reads)
	}
	if _, err := v.Verify(get("/", "X-API-Key", dated.Reveal())); err != nil || reads != 1 {
		t.Fatalf("dated key before expiry: err %v, clock read %d times; want nil, 1", err, reads)
	}
	now = t0.Add(2 * time.Hour)
	if _, err := v.Verify(get("/", "X-API-Key", dated.Reveal())); !errors.Is(err, verifiers.ErrRejected) {
		t.Fatalf("dated key after expiry: err %v; want a rejection", err)
	}
}
