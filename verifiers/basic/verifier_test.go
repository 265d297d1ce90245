package basic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

func TestNew(t *testing.T) {
	t.Parallel()
	m := memory(t, "alice", "pw")
	tests := []struct {
		name    string
		src     Store
		opts    []Option
		wantErr string
		wantCh  string
	}{
		{name: "B1_B2_default_realm", src: m, wantCh: `Basic realm="restricted", charset="UTF-8"`},
		{name: "B1_realm_option", src: m, opts: []Option{WithRealm("admin area")}, wantCh: `Basic realm="admin area", charset="UTF-8"`},
		{name: "A5_realm_quotes_escaped", src: m, opts: []Option{WithRealm(`say "hi" \o/`)}, wantCh: `Basic realm="say \"hi\" \\o/", charset="UTF-8"`},
		{name: "B1_empty_realm_refused", src: m, opts: []Option{WithRealm("")}, wantErr: "realm"},
		{name: "A5_realm_with_CRLF_refused", src: m, opts: []Option{WithRealm("a\r\nSet-Cookie: x")}, wantErr: "realm"},
		{name: "nil_source_refused", src: nil, wantErr: "needs a Store"},
		{name: "negative_cache_refused", src: m, opts: []Option{WithCache(-1, time.Minute)}, wantErr: "negative"},
		{name: "cache_off", src: m, opts: []Option{WithCache(0, 0)}, wantCh: `Basic realm="restricted", charset="UTF-8"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := New(tc.src, tc.opts...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Challenge().Format()
			if err != nil || got != tc.wantCh {
				t.Errorf("challenge %q (%v), want %q", got, err, tc.wantCh)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	src := memory(t, "alice", "correct horse", "jürgen", "pässwörd", "colon", "a:b:c", "empty", "")
	v := newVerifier(t, src)
	tests := []struct {
		name       string
		auth       string
		noHeader   bool
		wantNoCred bool
		wantUser   string // success
		wantReason verifiers.Reason
		wantHint   string
		wantAttr   string // user attr of a rejection
	}{
		{name: "success", auth: "Basic " + b64("alice:correct horse"), wantUser: "alice"},
		{name: "A6_scheme_lower_case", auth: "basic " + b64("alice:correct horse"), wantUser: "alice"},
		{name: "A6_scheme_upper_case", auth: "BASIC " + b64("alice:correct horse"), wantUser: "alice"},
		{name: "B6_extra_spaces_around_credentials", auth: "Basic   " + b64("alice:correct horse") + "  ", wantUser: "alice"},
		{name: "B3_colons_in_password", auth: "Basic " + b64("colon:a:b:c"), wantUser: "colon"},
		{name: "B3_empty_password", auth: "Basic " + b64("empty:"), wantUser: "empty"},
		{name: "B5_UTF8_user_and_password", auth: "Basic " + b64("jürgen:pässwörd"), wantUser: "jürgen"},
		{name: "no_Authorization", noHeader: true, wantNoCred: true},
		{name: "other_scheme", auth: "Bearer abc.def.ghi", wantNoCred: true},
		{name: "scheme_prefix_only_match", auth: "Basically " + b64("alice:correct horse"), wantNoCred: true},
		{name: "B7_user_unknown", auth: "Basic " + b64("mallory:correct horse"), wantReason: verifiers.UserUnknown, wantAttr: "mallory"},
		{name: "B7_password_mismatch", auth: "Basic " + b64("alice:wrong"), wantReason: verifiers.PasswordMismatch, wantAttr: "alice"},
		{name: "B7_password_prefix_mismatch", auth: "Basic " + b64("alice:correct hors"), wantReason: verifiers.PasswordMismatch, wantAttr: "alice"},
		{name: "B7_user_case_matters", auth: "Basic " + b64("Alice:correct horse"), wantReason: verifiers.UserUnknown, wantAttr: "Alice"},
		{name: "B7_empty_user_hint", auth: "Basic " + b64(":correct horse"), wantReason: verifiers.UserUnknown, wantHint: hintEmptyUser, wantAttr: ""},
		{name: "B7_user_with_spaces_hint", auth: "Basic " + b64("alice :correct horse"), wantReason: verifiers.UserUnknown, wantHint: "the user-id has leading or trailing spaces", wantAttr: "alice "},
		{name: "B5_NFD_password_not_normalised", auth: "Basic " + b64("jürgen:pa\u0308sswo\u0308rd"), wantReason: verifiers.PasswordMismatch, wantAttr: "jürgen"},
		{name: "empty_credentials", auth: "Basic", wantReason: verifiers.RequestMalformed, wantHint: hintEmpty},
		{name: "B3_no_colon", auth: "Basic " + b64("alice"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUserPassword},
		{name: "B4_control_character", auth: "Basic " + b64("alice:pw\x00"), wantReason: verifiers.CredentialsMalformed, wantAttr: "alice"},
		{name: "B5_invalid_UTF8", auth: "Basic " + b64("alice:\xff"), wantReason: verifiers.CredentialsMalformed, wantHint: hintUTF8, wantAttr: "alice"},
		{name: "H1_too_large", auth: "Basic " + strings.Repeat("QUFB", 300), wantReason: verifiers.CredentialsTooLarge},
		{name: "JWT_sent_as_Basic", auth: "Basic eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", wantReason: verifiers.CredentialsMalformed, wantHint: hintBearer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := authReq(tc.auth)
			if tc.noHeader {
				r.Header.Del("Authorization")
			}
			id, err := v.Verify(r)
			switch {
			case tc.wantNoCred:
				if err != verifiers.ErrNoCredentials || id != nil {
					t.Fatalf("got %v, %v; want ErrNoCredentials", id, err)
				}
			case tc.wantUser != "":
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if id.Subject != tc.wantUser || id.Scheme != verifiers.SchemeBasic || id.Source.In != verifiers.InAuthorization {
					t.Errorf("identity %+v", id)
				}
				if u, _ := id.Attr(verifiers.AttrUser); u != tc.wantUser {
					t.Errorf("identity user attr %q", u)
				}
			default:
				if id != nil {
					t.Fatalf("identity %v with error %v", id, err)
				}
				rej := rejection(t, err)
				if rej.Reason != tc.wantReason {
					t.Errorf("reason %s, want %s (%v)", rej.Reason, tc.wantReason, rej)
				}
				if rej.Hint != tc.wantHint {
					t.Errorf("hint %q, want %q", rej.Hint, tc.wantHint)
				}
				if got, ok := attr(rej.Attrs, verifiers.AttrUser); tc.wantAttr != "" || ok {
					if got != tc.wantAttr {
						t.Errorf("user attr %q, want %q", got, tc.wantAttr)
					}
				}
				_, creds := verifiers.SplitAuthorization(tc.auth)
				assertNoSecret(t, rej, creds)
			}
		})
	}
}

// TestVerify_B7_same_client_view checks that an unknown user and a wrong
// password differ only in what the server log gets.
func TestVerify_B7_same_client_view(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, memory(t, "alice", "pw"))
	_, e1 := v.Verify(basicReq("nobody", "pw"))
	_, e2 := v.Verify(basicReq("alice", "nope"))
	r1, r2 := rejection(t, e1), rejection(t, e2)
	if r1.Reason != verifiers.UserUnknown || r2.Reason != verifiers.PasswordMismatch {
		t.Fatalf("reasons %s, %s", r1.Reason, r2.Reason)
	}
	if r1.Reason.Public() != r2.Reason.Public() || r1.Reason.Status() != r2.Reason.Status() ||
		r1.Reason.Description() != r2.Reason.Description() || len(r1.Params) != 0 || len(r2.Params) != 0 {
		t.Error("client-visible parts differ")
	}
	if !strings.Contains(r1.Detail, "no such user in in-memory user list") {
		t.Errorf("unknown user detail %q", r1.Detail)
	}
	if !strings.Contains(r2.Detail, "bcrypt hash (cost 4)") {
		t.Errorf("mismatch detail %q", r2.Detail)
	}
}

func TestVerify_argon2id(t *testing.T) {
	t.Parallel()
	m, err := NewMemoryStore(map[string]string{"alice": argonHash("s3cret", 64, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, m)
	if _, err := v.Verify(basicReq("alice", "s3cret")); err != nil {
		t.Errorf("right password rejected: %v", err)
	}
	_, err = v.Verify(basicReq("alice", "s3cres"))
	if rej := rejection(t, err); rej.Reason != verifiers.PasswordMismatch || !strings.Contains(rej.Detail, "argon2id hash (m=64,t=1,p=1)") {
		t.Errorf("wrong password: %v", rej)
	}
	if d := m.Decoy(); d.alg != AlgArgon2id || d.Params() != "m=64,t=1,p=1" {
		t.Errorf("decoy %s %s", d.alg, d.Params())
	}
}

func TestVerify_normalizer(t *testing.T) {
	t.Parallel()
	// A stand-in for norm.NFC.String: composes the one pair used here.
	nfc := func(s string) string { return strings.ReplaceAll(s, "u\u0308", "ü") }
	v := newVerifier(t, memory(t, "jürgen", "grün"), WithNormalizer(nfc))
	if _, err := v.Verify(basicReq("ju\u0308rgen", "gru\u0308n")); err != nil {
		t.Errorf("decomposed credentials rejected with a normalizer: %v", err)
	}
	if _, err := v.Verify(basicReq("jürgen", "grün")); err != nil {
		t.Errorf("composed credentials rejected: %v", err)
	}
}

type failingStore struct{ err error }

func (s failingStore) Lookup(context.Context, string) (*Hash, error) { return nil, s.err }
func (failingStore) Decoy() *Hash                                    { return defaultDecoy() }

type nilStore struct{}

func (nilStore) Lookup(context.Context, string) (*Hash, error) { return nil, nil }
func (nilStore) Decoy() *Hash                                  { return defaultDecoy() }

func TestVerify_source_unavailable(t *testing.T) {
	t.Parallel()
	cause := errors.New("dial tcp 10.0.0.5:5432: connection refused")
	for name, src := range map[string]Store{"error": failingStore{cause}, "nil_hash": nilStore{}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, src)
			id, err := v.Verify(basicReq("alice", "canary-password"))
			var ue *verifiers.UnavailableError
			if id != nil || !errors.As(err, &ue) {
				t.Fatalf("got %v, %v; want an UnavailableError", id, err)
			}
			if strings.Contains(err.Error(), "canary-password") {
				t.Errorf("error %q holds the password", err)
			}
			if !strings.Contains(ue.Detail, `user 'alice'`) || !strings.Contains(ue.Detail, "the user source") {
				t.Errorf("detail %q", ue.Detail)
			}
			if name == "error" && !errors.Is(err, cause) {
				t.Error("cause not wrapped")
			}
		})
	}
}

func TestFuncStore(t *testing.T) {
	t.Parallel()
	alice := authgatetest.PasswordHash(t, "pw")
	strong := bcryptHash(t, "pw", 6)
	dbDown := errors.New("db down")
	fn := func(_ context.Context, user string) (string, error) {
		switch user {
		case "alice":
			return alice, nil
		case "strong":
			return strong, nil
		case "nohash":
			return "", nil
		case "legacy":
			return "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", nil
		case "down":
			return "", dbDown
		}
		return "", fmt.Errorf("querying users: %w", ErrNotFound)
	}
	src, err := NewFuncStore(fn, bcryptHash(t, "x", 5))
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Decoy().Params(); got != "cost 5" {
		t.Errorf("initial decoy %s, want cost 5 (from the example hash)", got)
	}
	v := newVerifier(t, src)
	tests := []struct {
		user        string
		wantReason  verifiers.Reason
		unavailable bool
	}{
		{user: "alice"},
		{user: "bob", wantReason: verifiers.UserUnknown},    // wrapped ErrNotFound
		{user: "nohash", wantReason: verifiers.UserUnknown}, // "" with nil error
		{user: "legacy", unavailable: true},                 // stored hash refused
		{user: "down", unavailable: true},
	}
	for _, tc := range tests {
		_, err := v.Verify(basicReq(tc.user, "pw"))
		switch {
		case tc.unavailable:
			if !errors.Is(err, verifiers.ErrUnavailable) {
				t.Errorf("%s: %v, want unavailable", tc.user, err)
			}
		case tc.wantReason == "":
			if err != nil {
				t.Errorf("%s: %v", tc.user, err)
			}
		default:
			if rej := rejection(t, err); rej.Reason != tc.wantReason {
				t.Errorf("%s: %s, want %s", tc.user, rej.Reason, tc.wantReason)
			}
		}
	}
	// A weaker hash leaves the decoy alone; a stronger one raises it.
	if got := src.Decoy().Params(); got != "cost 5" {
		t.Errorf("decoy %s after a cost-4 user, want cost 5", got)
	}
	if _, err := v.Verify(basicReq("strong", "pw")); err != nil {
		t.Fatal(err)
	}
	if got := src.Decoy().Params(); got != "cost 6" {
		t.Errorf("decoy %s after a cost-6 user, want cost 6", got)
	}

	if _, err := NewFuncStore(nil, ""); err == nil {
		t.Error("NewFuncStore(nil) accepted")
	}
	if _, err := NewFuncStore(fn, "$apr1$x$y"); !errors.Is(err, ErrInsecureHash) {
		t.Errorf("insecure example hash: %v", err)
	}
	def, _ := NewFuncStore(fn, "")
	if got := def.Decoy().Params(); got != "cost 10" {
		t.Errorf("default decoy %s, want cost 10", got)
	}
}

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	good := authgatetest.PasswordHash(t, "pw")
	tests := []struct {
		name    string
		users   map[string]string
		wantErr error
		wantMsg string
	}{
		{"insecure_hash_names_user", map[string]string{"bob": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}, ErrInsecureHash, `user 'bob'`},
		{"empty_user", map[string]string{"": good}, nil, "empty user name"},
		{"user_with_colon", map[string]string{"a:b": good}, nil, "colon"},
		{"user_with_control", map[string]string{"a\nb": good}, nil, "control character"},
		{"user_invalid_utf8", map[string]string{"a\xffb": good}, nil, "not valid UTF-8"},
		{"user_too_long", map[string]string{strings.Repeat("u", MaxUserLength+1): good}, nil, "longer than 255"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewMemoryStore(tc.users)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}

	m := memory(t, "alice", "pw")
	v := newVerifier(t, m)
	if err := m.Put("bob", bcryptHash(t, "bobpw", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(basicReq("bob", "bobpw")); err != nil {
		t.Errorf("user added by Put rejected: %v", err)
	}
	if got := m.Decoy().Params(); got != "cost 5" {
		t.Errorf("decoy %s after Put of a cost-5 user", got)
	}
	if err := m.Put("carol", "plain"); !errors.Is(err, ErrInsecureHash) {
		t.Errorf("Put with a plain password: %v", err)
	}
	if m.Len() != 2 {
		t.Errorf("Len %d after adding bob, want 2", m.Len())
	}
	m.Delete("bob")
	m.Delete("nobody")
	if m.Len() != 1 {
		t.Errorf("Len %d after deleting bob, want 1", m.Len())
	}
	_, err := v.Verify(basicReq("bob", "bobpw"))
	if rej := rejection(t, err); rej.Reason != verifiers.UserUnknown {
		t.Errorf("deleted user: %s", rej.Reason)
	}
}
