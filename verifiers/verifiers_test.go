package verifiers_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

func TestReasonsTable(t *testing.T) {
	t.Parallel()
	seen := map[verifiers.Reason]bool{}
	for _, r := range verifiers.Reasons() {
		if seen[r] {
			t.Errorf("%s listed twice", r)
		}
		seen[r] = true
		if !r.Known() {
			t.Errorf("%s not known", r)
		}
		switch s := r.Status(); s {
		case 204, 400, 401, 403, 429, 431, 503:
		default:
			t.Errorf("%s: status %d", r, s)
		}
		// C5, C10: descriptions are valid error_description values.
		if err := challenge.CheckBearerParam("error_description", r.Description()); err != nil {
			t.Errorf("%s: description: %v", r, err)
		}
		if !r.Public().Known() {
			t.Errorf("%s: public code %s unknown", r, r.Public())
		}
	}
	if verifiers.Reason("nope").Known() || verifiers.Reason("nope").Status() != 401 || verifiers.Reason("nope").Public() != verifiers.CredentialsInvalid {
		t.Error("unknown reasons must read as 401 credentials_invalid")
	}
}

// TestB7PublicHidesWhichPartWasWrong: the client sees the same code for an
// unknown user and a wrong password, and for an unknown key and a wrong key
// secret.
func TestB7PublicHidesWhichPartWasWrong(t *testing.T) {
	t.Parallel()
	pairs := [][2]verifiers.Reason{
		{verifiers.UserUnknown, verifiers.PasswordMismatch},
		{verifiers.APIKeyUnknown, verifiers.APIKeySecretMismatch},
	}
	for _, p := range pairs {
		if p[0].Public() != p[1].Public() || p[0].Description() != p[1].Description() {
			t.Errorf("%s and %s differ to the client", p[0], p[1])
		}
	}
	if verifiers.TokenExpired.Public() != verifiers.TokenExpired {
		t.Error("token_expired should be shown as is")
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	want := map[verifiers.Reason]int{
		verifiers.CredentialsMissing: 401, verifiers.SchemeNotAccepted: 401, verifiers.TokenExpired: 401,
		verifiers.RequestMalformed: 400, verifiers.ScopeInsufficient: 403, verifiers.Forbidden: 403,
		verifiers.CredentialsTooLarge: 431, verifiers.VerifierUnavailable: 503, verifiers.TooManyFailures: 429,
	}
	for r, s := range want {
		if r.Status() != s {
			t.Errorf("%s: %d, want %d", r, r.Status(), s)
		}
	}
}

func TestOutcomeErrors(t *testing.T) {
	t.Parallel()
	rej := verifiers.Reject(verifiers.APIKeyRevoked, "revoked 2026-11-01").WithHint("issue a new key").With(verifiers.AttrKeyID, "k1")
	var err error = fmt.Errorf("wrapped: %w", rej)
	var got *verifiers.Rejection
	if !errors.As(err, &got) || got.Reason != verifiers.APIKeyRevoked || got.Hint != "issue a new key" || got.Attrs[0] != (verifiers.Attr{Key: "key_id", Value: "k1"}) {
		t.Errorf("As: %+v", got)
	}
	if !errors.Is(err, verifiers.ErrRejected) || errors.Is(err, verifiers.ErrUnavailable) {
		t.Error("Is(ErrRejected) wrong")
	}
	if rej.Error() != "authgate: apikey_revoked: revoked 2026-11-01" || verifiers.Reject(verifiers.Forbidden, "").Error() != "authgate: forbidden" {
		t.Errorf("Error() = %q", rej.Error())
	}
	cause := errors.New("dial tcp 127.0.0.1:1: connection refused")
	ue := verifiers.Unavailable("key store down", cause)
	err = fmt.Errorf("x: %w", ue)
	if !errors.Is(err, verifiers.ErrUnavailable) || !errors.Is(err, cause) || errors.Is(err, verifiers.ErrRejected) {
		t.Error("UnavailableError Is/Unwrap wrong")
	}
	if ue.Error() != "authgate: verifier unavailable: key store down: dial tcp 127.0.0.1:1: connection refused" {
		t.Errorf("Error() = %q", ue.Error())
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header, scheme, want string
		ok                   bool
	}{
		{"Bearer abc", "Bearer", "abc", true},
		{"bearer abc", "Bearer", "abc", true}, // A6
		{"BEARER  abc  ", "Bearer", "abc", true},
		{"Bearer\tabc", "Bearer", "abc", true},
		{"Bearer", "Bearer", "", true},
		{"Basic abc", "Bearer", "", false},
		{"", "Bearer", "", false},
		{"Bearerabc", "Bearer", "", false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		got, ok := verifiers.Authorization(r, tc.scheme)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: got %q %v, want %q %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	f := verifiers.NewFingerprinter()
	a, b := f.Fingerprint("secret-one"), f.Fingerprint("secret-one")
	if a != b || len(a) != 16 {
		t.Errorf("not stable: %q %q", a, b)
	}
	if a == f.Fingerprint("secret-two") {
		t.Error("different secrets share a fingerprint")
	}
	if a == verifiers.NewFingerprinter().Fingerprint("secret-one") {
		t.Error("fingerprints are not keyed per Fingerprinter")
	}
	if strings.Contains(a, "secret") {
		t.Error("fingerprint holds the secret")
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	id := &verifiers.Identity{Scopes: []string{"a", "b"}, Attrs: []verifiers.Attr{{Key: "kid", Value: "k"}}}
	if !id.HasScope("b") || id.HasScope("c") {
		t.Error("HasScope")
	}
	if v, ok := id.Attr("kid"); !ok || v != "k" {
		t.Error("Attr")
	}
	if _, ok := id.Attr("x"); ok {
		t.Error("Attr x")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	f := verifiers.NewFingerprinter()
	b.ReportAllocs()
	for b.Loop() {
		f.Fingerprint("ag_live_0123456789abcdef0123456789abcdef")
	}
}

// TestSplitAuthorizationMatchesFields: SplitAuthorization splits at the
// first space or tab, whichever comes first, as the reference below (the
// definition it was first written as).
func TestSplitAuthorizationMatchesFields(t *testing.T) {
	t.Parallel()
	ref := func(v string) (string, string) {
		v = strings.Trim(v, " \t")
		i := strings.IndexAny(v, " \t")
		if i < 0 {
			return v, ""
		}
		return v[:i], strings.Trim(v[i:], " \t")
	}
	for _, v := range []string{
		"", " ", "\t", "Bearer", "Bearer abc", "Bearer\tabc", "Bearer \t abc \t", "Bea\trer abc",
		"Bearer abc\tdef", "Basic\t", " \tBasic  x y ", "a\tb c", "a b\tc", "tok.en.only",
	} {
		s, r := verifiers.SplitAuthorization(v)
		ws, wr := ref(v)
		if s != ws || r != wr {
			t.Errorf("SplitAuthorization(%q) = %q, %q; want %q, %q", v, s, r, ws, wr)
		}
	}
}

// TestAsRejection: AsRejection finds what errors.As finds (a Rejection
// itself, one wrapped, none in another error or in nil), and costs no
// allocation for a Rejection itself.
func TestAsRejection(t *testing.T) {
	rej := verifiers.Reject(verifiers.TokenExpired, "expired")
	for _, c := range []struct {
		name string
		err  error
		want *verifiers.Rejection
	}{
		{"itself", rej, rej},
		{"wrapped", fmt.Errorf("outer: %w", rej), rej},
		{"other", errors.New("x"), nil},
		{"unavailable", verifiers.Unavailable("down", nil), nil},
		{"nil", nil, nil},
	} {
		got, ok := verifiers.AsRejection(c.err)
		var viaAs *verifiers.Rejection
		okAs := errors.As(c.err, &viaAs)
		if got != c.want || ok != (c.want != nil) || got != viaAs || ok != okAs {
			t.Errorf("%s: AsRejection = %v, %v; errors.As %v, %v; want %v", c.name, got, ok, viaAs, okAs, c.want)
		}
	}
	if raceEnabled {
		return
	}
	var err error = rej
	if n := testing.AllocsPerRun(100, func() { _, _ = verifiers.AsRejection(err) }); n != 0 {
		t.Errorf("AsRejection of a Rejection: %.0f allocations, want 0", n)
	}
}
