package basic

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/verifiers"
)

// benchVerifier has alice at bcrypt cost 10 (bcrypt.DefaultCost), the
// cost the issue asks benchmarks to use.
func benchVerifier(b *testing.B, opts ...Option) *Verifier {
	b.Helper()
	m, err := NewMemoryStore(map[string]string{"alice": bcryptHash(b, "correct horse", bcrypt.DefaultCost)})
	if err != nil {
		b.Fatal(err)
	}
	return newVerifier(b, m, opts...)
}

func benchVerify(b *testing.B, v *Verifier, auth string, wantErr bool) {
	b.Helper()
	r := authReq(auth)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		id, err := v.Verify(r)
		if (err != nil) != wantErr || (err == nil && id == nil) {
			b.Fatalf("Verify: %v", err)
		}
	}
}

// BenchmarkVerify_cache_hit: the right password, seen before.
func BenchmarkVerify_cache_hit(b *testing.B) {
	v := benchVerifier(b)
	auth := "Basic " + b64("alice:correct horse")
	if _, err := v.Verify(authReq(auth)); err != nil {
		b.Fatal(err)
	}
	benchVerify(b, v, auth, false)
}

// BenchmarkVerify_cache_miss_bcrypt10: the right password with the cache
// off, so every request runs bcrypt at cost 10.
func BenchmarkVerify_cache_miss_bcrypt10(b *testing.B) {
	benchVerify(b, benchVerifier(b, WithCache(0, 0)), "Basic "+b64("alice:correct horse"), false)
}

// BenchmarkVerify_user_unknown: checked against the cost-10 decoy.
func BenchmarkVerify_user_unknown(b *testing.B) {
	benchVerify(b, benchVerifier(b), "Basic "+b64("mallory:correct horse"), true)
}

// BenchmarkVerify_password_mismatch: a full cost-10 bcrypt, never cached.
func BenchmarkVerify_password_mismatch(b *testing.B) {
	benchVerify(b, benchVerifier(b), "Basic "+b64("alice:wrong horse"), true)
}

// BenchmarkVerify_malformed: no colon, rejected before any lookup.
func BenchmarkVerify_malformed(b *testing.B) {
	benchVerify(b, benchVerifier(b), "Basic "+b64("alice"), true)
}

// BenchmarkVerify_no_credentials: another scheme, passed over.
func BenchmarkVerify_no_credentials(b *testing.B) {
	v := benchVerifier(b)
	r := authReq("Bearer abc")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != verifiers.ErrNoCredentials {
			b.Fatal(err)
		}
	}
}
