package basic

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/authgatetest"
)

func TestParseHash(t *testing.T) {
	t.Parallel()
	bc := authgatetest.PasswordHash(t, "pw") // $2a$04$...
	ar := argonHash("pw", 64, 1, 1)
	tests := []struct {
		name    string
		enc     string
		wantAlg string
		wantErr error
		wantMsg string // substring of the error
	}{
		{"bcrypt_2a", bc, AlgBcrypt, nil, ""},
		{"bcrypt_2y", "$2y$" + bc[4:], AlgBcrypt, nil, ""},
		{"bcrypt_2b", "$2b$" + bc[4:], AlgBcrypt, nil, ""},
		{"argon2id", ar, AlgArgon2id, nil, ""},
		{"insecure_plain", "hunter2-plain", "", ErrInsecureHash, "plain text"},
		{"insecure_DES_crypt", "rl0uE7e0LTz/U", "", ErrInsecureHash, "DES crypt"},
		{"insecure_apr1", "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", "", ErrInsecureHash, "MD5 ($apr1$)"},
		{"insecure_md5_crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "", ErrInsecureHash, "MD5-crypt"},
		{"insecure_SHA", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "", ErrInsecureHash, "SHA-1 ({SHA})"},
		{"insecure_SSHA", "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9gxyz==", "", ErrInsecureHash, "salted SHA-1"},
		{"unsupported_2x", "$2x$" + bc[4:], "", ErrUnsupportedHash, "$2x$"},
		{"unsupported_sha512crypt", "$6$salt$abc", "", ErrUnsupportedHash, "SHA-512-crypt"},
		{"unsupported_sha256crypt", "$5$salt$abc", "", ErrUnsupportedHash, "SHA-256-crypt"},
		{"unsupported_argon2i", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "", ErrUnsupportedHash, "argon2i"},
		{"unsupported_yescrypt", "$y$j9T$salt$hash", "", ErrUnsupportedHash, "yescrypt"},
		{"unsupported_unknown_id", "$zz$whatever", "", ErrUnsupportedHash, "unknown"},
		{"malformed_empty", "", "", ErrMalformedHash, "empty"},
		{"malformed_bcrypt_short", bc[:59], "", ErrMalformedHash, "60 in all"},
		{"malformed_bcrypt_trailing_space", bc + " ", "", ErrMalformedHash, "60 in all"},
		{"malformed_bcrypt_cost_3", "$2y$03$" + bc[7:], "", ErrMalformedHash, "cost 3"},
		{"malformed_bcrypt_cost_32", "$2y$32$" + bc[7:], "", ErrMalformedHash, "cost 32"},
		{"malformed_bcrypt_cost_letters", "$2y$1a$" + bc[7:], "", ErrMalformedHash, "cost digits"},
		{"malformed_bcrypt_alphabet", bc[:59] + "=", "", ErrMalformedHash, "alphabet"},
		{"malformed_argon_version", strings.Replace(ar, "v=19", "v=16", 1), "", ErrMalformedHash, "v=19"},
		{"malformed_argon_fields", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "", ErrMalformedHash, "fields"},
		{"malformed_argon_param_order", strings.Replace(ar, "m=64,t=1,p=1", "t=1,m=64,p=1", 1), "", ErrMalformedHash, "in that order"},
		{"malformed_argon_leading_zero", strings.Replace(ar, "m=64", "m=064", 1), "", ErrMalformedHash, "leading zeros"},
		{"malformed_argon_p0", strings.Replace(ar, "p=1", "p=0", 1), "", ErrMalformedHash, "p=0"},
		{"malformed_argon_t0", strings.Replace(ar, "t=1", "t=0", 1), "", ErrMalformedHash, "t=0"},
		{"too_expensive_argon_memory_2GiB", strings.Replace(ar, "m=64", "m=2097152", 1), "", ErrHashTooExpensive, "m=2097152 KiB (2048 MiB) is over the maximum of 131072 KiB (MaxArgon2Memory, 128 MiB)"},
		{"too_expensive_argon_memory_1GiB", strings.Replace(ar, "m=64", "m=1048576", 1), "", ErrHashTooExpensive, "m=1048576 KiB (1024 MiB) is over the maximum of 131072 KiB"},
		{"too_expensive_argon_memory_one_over", strings.Replace(ar, "m=64", "m=131073", 1), "", ErrHashTooExpensive, "m=131073 KiB"},
		{"too_expensive_argon_lanes", strings.Replace(ar, "m=64,t=1,p=1", "m=1024,t=1,p=17", 1), "", ErrHashTooExpensive, "p=17 lanes is over the maximum of 16 (MaxArgon2Parallelism)"},
		{"too_expensive_bcrypt_cost_15", "$2y$15$" + bc[7:], "", ErrHashTooExpensive, "bcrypt cost 15 is over the maximum of 14 (MaxBcryptCost): one check would cost 2^5 times the work of cost 10, about 2.2s of CPU; re-hash the password at cost 14 or lower"},
		{"too_expensive_bcrypt_cost_31", "$2y$31$" + bc[7:], "", ErrHashTooExpensive, "bcrypt cost 31 is over the maximum of 14 (MaxBcryptCost): one check would cost 2^21 times the work of cost 10, about 40h46m41s of CPU"},
		{"malformed_argon_memory_below_8p", strings.Replace(ar, "m=64,t=1,p=1", "m=8,t=1,p=2", 1), "", ErrMalformedHash, "at least 8 KiB per lane"},
		{"too_expensive_argon_time", strings.Replace(ar, "t=1", "t=11", 1), "", ErrHashTooExpensive, "t=11 passes is over the maximum of 10 (MaxArgon2Time)"},
		{"malformed_argon_huge_number", strings.Replace(ar, "m=64", "m=99999999999", 1), "", ErrMalformedHash, "32-bit"},
		{"malformed_argon_padded_salt", func() string {
			p := strings.Split(ar, "$")
			p[4] += "=="
			return strings.Join(p, "$")
		}(), "", ErrMalformedHash, "salt"},
		{"malformed_argon_short_salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "", ErrMalformedHash, "salt"},
		{"malformed_argon_short_digest", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "", ErrMalformedHash, "digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := ParseHash(tc.enc)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if h.Algorithm() != tc.wantAlg {
					t.Errorf("algorithm %s, want %s", h.Algorithm(), tc.wantAlg)
				}
				if !h.verify([]byte("pw")) || h.verify([]byte("pW")) {
					t.Error("verify does not tell the right password from a wrong one")
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			// The message never quotes the hash: a "hash" may be a
			// plain-text password.
			if len(tc.enc) > 4 && strings.Contains(err.Error(), tc.enc[4:]) {
				t.Errorf("error %q quotes the input", err)
			}
		})
	}
}

// TestParseHash_at_the_maxima: the maxima themselves are accepted.
func TestParseHash_at_the_maxima(t *testing.T) {
	t.Parallel()
	bc := authgatetest.PasswordHash(t, "pw")
	ar := argonHash("pw", 64, 1, 1)
	for _, enc := range []string{
		"$2y$14$" + bc[7:],
		strings.Replace(ar, "m=64,t=1,p=1", "m=131072,t=10,p=16", 1),
	} {
		if _, err := ParseHash(enc); err != nil {
			t.Errorf("at the maxima: %v", err)
		}
	}
}

func TestHash_Params(t *testing.T) {
	t.Parallel()
	h, err := ParseHash(bcryptHash(t, "pw", 5))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Params(); got != "cost 5" {
		t.Errorf("bcrypt Params() = %q", got)
	}
	a, err := ParseHash(argonHash("pw", 64, 2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Params(); got != "m=64,t=2,p=1" {
		t.Errorf("argon2id Params() = %q", got)
	}
}

func TestHash_Decoy(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{bcryptHash(t, "pw", 5), argonHash("pw", 64, 2, 1)} {
		h, err := ParseHash(enc)
		if err != nil {
			t.Fatal(err)
		}
		d := h.Decoy()
		if d.alg != h.alg || d.Params() != h.Params() {
			t.Errorf("decoy %s %s, want %s %s", d.alg, d.Params(), h.alg, h.Params())
		}
		if d.encoded == h.encoded || d.encoded == h.Decoy().encoded {
			t.Error("decoys are not random")
		}
		// A decoy parses as what it claims to be, and matches nothing.
		if _, err := ParseHash(d.encoded); err != nil {
			t.Errorf("decoy does not parse: %v", err)
		}
		if d.verify([]byte("pw")) || d.verify(nil) {
			t.Error("decoy matched a password")
		}
	}
}

func TestDecoyFor(t *testing.T) {
	t.Parallel()
	b4, _ := ParseHash(bcryptHash(t, "pw", 4))
	b6, _ := ParseHash(bcryptHash(t, "pw", 6))
	aSmall, _ := ParseHash(argonHash("pw", 64, 1, 1))
	aBig, _ := ParseHash(argonHash("pw", 128, 2, 1))
	tests := []struct {
		name       string
		hashes     []*Hash
		wantAlg    string
		wantParams string
		wantAlso   string // the other algorithm's decoy, "" for none
	}{
		{"empty_is_bcrypt_default_cost", nil, AlgBcrypt, "cost 10", ""},
		{"bcrypt_highest_cost", []*Hash{b4, b6, b4}, AlgBcrypt, "cost 6", ""},
		{"argon2id_strongest", []*Hash{aSmall, aBig}, AlgArgon2id, "m=128,t=2,p=1", ""},
		{"mixed_majority_argon2id", []*Hash{b6, aSmall, aBig}, AlgArgon2id, "m=128,t=2,p=1", "bcrypt cost 6"},
		{"mixed_tie_is_bcrypt", []*Hash{b4, aBig}, AlgBcrypt, "cost 4", "argon2id m=128,t=2,p=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := decoyFor(slices.Values(tc.hashes))
			if d.alg != tc.wantAlg || d.Params() != tc.wantParams {
				t.Errorf("decoy %s %s, want %s %s", d.alg, d.Params(), tc.wantAlg, tc.wantParams)
			}
			if got := chainString(d.also); got != tc.wantAlso {
				t.Errorf("decoy's other algorithm %q, want %q", got, tc.wantAlso)
			}
		})
	}
}

func chainString(h *Hash) string {
	var parts []string
	for ; h != nil; h = h.also {
		parts = append(parts, describeHash(h))
	}
	return strings.Join(parts, " + ")
}

// TestCovering: a decoy is raised to a stronger hash of its algorithm,
// gains the other algorithm, and is left alone by a weaker hash.
func TestCovering(t *testing.T) {
	t.Parallel()
	b5, _ := ParseHash(bcryptHash(t, "pw", 5))
	b6, _ := ParseHash(bcryptHash(t, "pw", 6))
	a, _ := ParseHash(argonHash("pw", 64, 2, 1))
	aBig, _ := ParseHash(argonHash("pw", 128, 2, 1))
	d := b5.Decoy()
	if covering(d, b5) != d {
		t.Error("an equal hash changed the decoy")
	}
	d = covering(d, a)
	if got := chainString(d); got != "bcrypt cost 5 + argon2id m=64,t=2,p=1" {
		t.Errorf("after argon2id: %s", got)
	}
	d = covering(covering(d, b6), aBig)
	if got := chainString(d); got != "bcrypt cost 6 + argon2id m=128,t=2,p=1" {
		t.Errorf("after stronger hashes: %s", got)
	}
	if covering(d, b5) != d || covering(d, a) != d {
		t.Error("a weaker hash changed the decoy")
	}
}

// TestPad_runs_for_every_shape: padding a cheaper bcrypt, a cheaper
// argon2id and a hash of the other algorithm runs without failing, and
// never makes a wrong password right.
func TestPad_runs_for_every_shape(t *testing.T) {
	t.Parallel()
	b4, _ := ParseHash(bcryptHash(t, "pw", 4))
	b6, _ := ParseHash(bcryptHash(t, "pw", 6))
	a, _ := ParseHash(argonHash("pw", 64, 1, 1))
	aBig, _ := ParseHash(argonHash("pw", 256, 2, 1))
	decoy := decoyFor(slices.Values([]*Hash{b4, b6, a, aBig}))
	for _, h := range []*Hash{b4, b6, a, aBig, decoy} {
		pad(h, decoy, []byte("pw"))
	}
}
