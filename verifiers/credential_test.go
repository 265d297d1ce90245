package verifiers_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// realNames are user names and identifiers that must never be taken for
// a credential: the false positives LooksLikeCredential is tuned against.
var realNames = []string{
	"", "alice", "admin", "root", "svc-reports-01", "first.last", "jean-luc.picard",
	"alice@example.com", "firstname.lastname@subsidiary.example.co.uk",
	"ci_runner_production_eu_west_1", "reports_readonly_2024_q3", "build-agent-2024-11-03-07",
	"ServiceAccountForBackups", "ServiceAccountForBackups2024", "GetAllUsersForReport",
	"MyService2Backup3Node4", "S3BucketReader2024Q1", "Win10Pro64BitAdmin01", "AdminUser01Backup02",
	"k8s-node-pool-a1b2-worker", "x86_64_builder_v2_node03", "jenkins2-deploy3-bot", "team42_user17_prod3",
	"user1234567890abcdefgh", "prometheus-scraper", "kubernetes-dashboard-admin", "OPS_ADMIN_BACKUP_USER",
	`CORP\svc_backup_2024`, "Jürgen Müller-Lüdenscheidt", "system:serviceaccount:kube-system:default",
	"1234-abcdefgh.apps.googleusercontent.com", "0oa1b2c3d4e5f6g7h8i9", // Okta client id: 20 bytes, 2 digit runs, few changes
	"ak_live_short", "sk_live_", "ghp_tooshort", "AKIA1234", "eyJhbGciOiJIUzI1NiJ9", "eyJ.eyJ.sig-but.no",
	strings.Repeat("a", 300), strings.Repeat("ab12", 4), // short
}

func TestLooksLikeCredential(t *testing.T) {
	t.Parallel()
	key, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, s, kind string
	}{
		{"authgate_key", key.Reveal(), verifiers.CredentialAPIKey},
		{"authgate_key_other_prefix", "acme2_test_Zx81bQ0aLm3c_AAAAAAAAAAAAAAAAAAAAAAAAAAAA", verifiers.CredentialAPIKey},
		{"authgate_key_mistyped_checksum_still_a_key", key.Reveal()[:len(key.Reveal())-1] + "0", verifiers.CredentialAPIKey},
		{"stripe_secret", "sk_live_" + strings.Repeat("aB3", 8), verifiers.CredentialAPIKey},
		{"stripe_test", "sk_test_51HxYzABCDEFGHIJKLMNOP", verifiers.CredentialAPIKey},
		{"stripe_webhook", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", verifiers.CredentialAPIKey},
		{"github_pat_classic", "ghp_" + strings.Repeat("x", 36), verifiers.CredentialAPIKey},
		{"github_pat_fine_grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW", verifiers.CredentialAPIKey},
		{"gitlab", "glpat-xxxxxxxxxxxxxxxxxxxx", verifiers.CredentialAPIKey},
		{"slack_bot", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", verifiers.CredentialAPIKey},
		{"aws_access_key_id", "AKIAIOSFODNN7EXAMPLE", verifiers.CredentialAPIKey},
		{"aws_sts", "ASIAIOSFODNN7EXAMPLE", verifiers.CredentialAPIKey},
		{"google_api_key", "AIza" + strings.Repeat("S", 35), verifiers.CredentialAPIKey},
		{"npm", "npm_" + strings.Repeat("a", 36), verifiers.CredentialAPIKey},
		{"openai", "sk-proj-abcdefghijklmnopqrstuvwx", verifiers.CredentialAPIKey},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", verifiers.CredentialJWT},
		{"jwt_alg_none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", verifiers.CredentialJWT},
		{"jwe", "eyJhbGciOiJSU0EtT0FFUCJ9.ZW5j.aXY.Y2lwaGVy.dGFn", verifiers.CredentialJWT},
		{"hex_128_bits", "3f786850e387550fdab836ed7e6dc881", verifiers.CredentialHighEntropy},
		{"hex_sha1_upper", "3F786850E387550FDAB836ED7E6DC881DE23001B", verifiers.CredentialHighEntropy},
		{"uuid", "123e4567-e89b-42d3-a456-426614174000", verifiers.CredentialHighEntropy},
		{"base62_32", "q9Xr2LmT7vKp3ZsW8nYb4HcJ6dFg1RtE", verifiers.CredentialHighEntropy},
		{"base64_std", "dGhpcyBpcyBhIDMyIGJ5dGUgc2VjcmV0IGtleSE9", verifiers.CredentialHighEntropy},
		{"base64url_with_separators", "h7Kq-9xZ2_pW4mR8-tY3vN6b", verifiers.CredentialHighEntropy},
	}
	for _, tc := range cases {
		t.Run("credential/"+tc.name, func(t *testing.T) {
			kind, ok := verifiers.LooksLikeCredential(tc.s)
			if !ok || kind != tc.kind {
				t.Errorf("LooksLikeCredential(%q) = %q, %v; want %q, true", tc.s, kind, ok, tc.kind)
			}
		})
	}
	for _, s := range realNames {
		t.Run("name/"+s, func(t *testing.T) {
			if kind, ok := verifiers.LooksLikeCredential(s); ok || kind != "" {
				t.Errorf("LooksLikeCredential(%q) = %q, %v; want a name", s, kind, ok)
			}
		})
	}
}

// TestLooksLikeCredential_random_keys is a property test: every key this
// project generates, whatever its prefix and environment, every random
// token of 32 bytes or more in base64, base64url or hex, every JWT-shaped
// string is recognised.
func TestLooksLikeCredential_random_keys(t *testing.T) {
	t.Parallel()
	for i := range 500 {
		prefix := []string{"ak", "acme", "x9", "product16chars00"}[i%4]
		env := []string{"live", "test", "e", "0123456789abcdef"}[i%4]
		k, err := apikey.Generate(prefix, env)
		if err != nil {
			t.Fatal(err)
		}
		if kind, ok := verifiers.LooksLikeCredential(k.Reveal()); kind != verifiers.CredentialAPIKey {
			t.Fatalf("generated key %s: %q, %v", k, kind, ok)
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		for _, s := range []string{hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b[:16])),
			base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)} {
			kind, ok := verifiers.LooksLikeCredential(s)
			if strings.ContainsAny(s, "0123456789") && strings.Trim(s, "0123456789") != "" && !ok {
				// Hex always; base64 of 32 random bytes (43 characters) nearly
				// always, and a miss must be a rare name-like draw.
				if len(s) == 64 || len(s) == 32 {
					t.Fatalf("hex %q not recognised", s)
				}
				t.Logf("random base64 %q passes for a name (%q)", s, kind)
			}
		}
		jwt := "eyJ" + base64.RawURLEncoding.EncodeToString(b[:9]) + "." + base64.RawURLEncoding.EncodeToString(b[9:20]) + "." + base64.RawURLEncoding.EncodeToString(b)
		if kind, _ := verifiers.LooksLikeCredential(jwt); kind != verifiers.CredentialJWT {
			t.Fatalf("JWT-shaped %q: %q", jwt, kind)
		}
	}
}

// TestLooksLikeCredential_base64_rate measures the high-entropy rule on
// 2,000 random base64 strings of 32 bytes (43 characters): at least 90%
// must be recognised (the documented rate is about 95% at 40 bytes).
func TestLooksLikeCredential_base64_rate(t *testing.T) {
	t.Parallel()
	hits := 0
	const n = 2000
	for range n {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if _, ok := verifiers.LooksLikeCredential(base64.RawStdEncoding.EncodeToString(b)); ok {
			hits++
		}
	}
	if hits*10 < n*9 {
		t.Errorf("%d of %d random 43-character base64 strings recognised, want at least 90%%", hits, n)
	}
}

// TestLooksLikeCredential_names_property: adding a dot, an at sign or a
// space anywhere in a high-entropy string makes it a name, since user
// names are made of such characters and tokens are not (JWTs and foreign
// prefixes aside).
func TestLooksLikeCredential_names_property(t *testing.T) {
	t.Parallel()
	s := "q9Xr2LmT7vKp3ZsW8nYb4HcJ6dFg1RtE"
	for i := 0; i <= len(s); i++ {
		for _, c := range []string{".", "@", " "} {
			v := s[:i] + c + s[i:]
			if kind, ok := verifiers.LooksLikeCredential(v); ok {
				t.Errorf("%q: %q", v, kind)
			}
		}
	}
}

func TestLooksLikeCredential_no_allocation(t *testing.T) {
	key, _ := apikey.Generate("", "live")
	for _, s := range []string{"alice", "alice@example.com", "ci_runner_production_eu_west_1", key.Reveal(),
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"} {
		if n := testing.AllocsPerRun(100, func() { verifiers.LooksLikeCredential(s) }); n != 0 {
			t.Errorf("%q: %v allocations", s, n)
		}
	}
}

// FuzzLooksLikeCredential: never panics, answers the same twice, names
// one of the three kinds when it says yes, never says yes below 20 bytes
// or for text holding a byte no credential shape allows.
func FuzzLooksLikeCredential(f *testing.F) {
	for _, s := range append(realNames, "AKIAIOSFODNN7EXAMPLE", "3f786850e387550fdab836ed7e6dc881",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "ak_live_Zx81bQ0aLm3c_AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"123e4567-e89b-42d3-a456-426614174000", "q9Xr2LmT7vKp3ZsW8nYb4HcJ6dFg1RtE") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, ok := verifiers.LooksLikeCredential(s)
		k2, ok2 := verifiers.LooksLikeCredential(s)
		if kind != k2 || ok != ok2 {
			t.Fatalf("not deterministic: %q", s)
		}
		if !ok {
			if kind != "" {
				t.Fatalf("kind %q without ok", kind)
			}
			return
		}
		switch kind {
		case verifiers.CredentialAPIKey, verifiers.CredentialJWT, verifiers.CredentialHighEntropy:
		default:
			t.Fatalf("kind %q", kind)
		}
		if len(s) < 20 {
			t.Fatalf("%q (%d bytes) taken for %s", s, len(s), kind)
		}
		if strings.ContainsAny(s, " @:\x00\n") || strings.ContainsFunc(s, func(r rune) bool { return r > 0x7e }) {
			t.Fatalf("%q taken for %s despite a byte no shape has", s, kind)
		}
		if kind == verifiers.CredentialHighEntropy && strings.Contains(s, ".") {
			t.Fatalf("%q with a dot taken for a high-entropy string", s)
		}
	})
}

func BenchmarkLooksLikeCredential(b *testing.B) {
	key, _ := apikey.Generate("", "live")
	for _, bc := range []struct{ name, s string }{
		{"short_name", "alice"},
		{"email", "firstname.lastname@example.com"},
		{"long_name", "ci_runner_production_eu_west_1"},
		{"authgate_key", key.Reveal()},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
		{"base64_random", "dGhpcyBpcyBhIDMyIGJ5dGUgc2VjcmV0IGtleSE9"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				verifiers.LooksLikeCredential(bc.s)
			}
		})
	}
}

// TestLooksLikeCredentialUser: a token-like user-id with an empty password
// is curl -u KEY:, whatever its letters; the same user-id with a password,
// and names with an empty password, are not.
func TestLooksLikeCredentialUser(t *testing.T) {
	for _, tc := range []struct {
		user, password, kind string
	}{
		{"CNRYLEMGMZBCWSQKXXUR6GL4QPUDWG", "", verifiers.CredentialNoPassword}, // base32 that the high-entropy rule takes for a name
		{"ServiceAccountForBackups2024", "", verifiers.CredentialNoPassword},
		{"0123456789abcdef", "", verifiers.CredentialNoPassword},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "", verifiers.CredentialJWT},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "x", verifiers.CredentialJWT},
		{"CNRYLEMGMZBCWSQKXXUR6GL4QPUDWG", "hunter22", ""},
		{"0123456789abcde", "", ""},            // 15 bytes
		{"alice@example.com", "", ""},          // not token characters
		{"firstname.lastname.admin", "", ""},   // dotted
		{"admin", "", ""},                      // short
		{"Jürgen Müller-Lüdenscheidt", "", ""}, // non-ASCII, space
	} {
		kind, ok := verifiers.LooksLikeCredentialUser(tc.user, tc.password)
		if kind != tc.kind || ok != (tc.kind != "") {
			t.Errorf("LooksLikeCredentialUser(%q, %q) = %q, %v; want %q", tc.user, tc.password, kind, ok, tc.kind)
		}
	}
	if n := testing.AllocsPerRun(100, func() { verifiers.LooksLikeCredentialUser("CNRYLEMGMZBCWSQKXXUR6GL4QPUDWG", "") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
