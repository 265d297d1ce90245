package apikey_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// outcome is what Verify should answer.
type outcome struct {
	reason      verifiers.Reason // "" for success
	noCreds     bool
	unavailable bool
	keyID       string // expected key_id attribute; "-" for none
	fingerprint bool   // a fingerprint attribute is expected
	detail      []string
	hint        []string
}

func TestVerifyOutcomes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	type tc struct {
		name  string
		store apikey.Store
		opts  []apikey.Option
		req   func() *http.Request
		want  outcome
	}
	hdr := func(key string) func() *http.Request {
		return func() *http.Request { return get("/", "X-API-Key", key) }
	}
	truncated := good[:len(good)-3]
	prefixOnly := "ak_live_" + f.ids["good"]
	cases := []tc{
		{name: "success_header", req: hdr(good), want: outcome{keyID: f.ids["good"]}},
		{name: "success_scheduled_revocation_not_reached", req: hdr(f.keys["scheduled"]), want: outcome{keyID: f.ids["scheduled"]}},
		{name: "success_foreign_key", req: hdr(f.keys["foreign"]), want: outcome{keyID: f.ids["foreign"]}},
		{name: "no_credentials", req: func() *http.Request { return get("/") }, want: outcome{noCreds: true}},
		{name: "no_credentials_other_authorization_scheme", req: func() *http.Request { return get("/", "Authorization", "Bearer abc") },
			want: outcome{noCreds: true}},
		{name: "checksum_typo", req: hdr(typo(good)), want: outcome{reason: verifiers.APIKeyChecksumInvalid, keyID: f.ids["good"], fingerprint: true,
			detail: []string{"checksum does not match", "header X-API-Key"}, hint: []string{"mistyped"}}},
		{name: "checksum_truncated", req: hdr(truncated), want: outcome{reason: verifiers.APIKeyChecksumInvalid, keyID: f.ids["good"], fingerprint: true,
			detail: []string{"checksum does not match", "secret with checksum 25 (format: 28)"}, hint: []string{"3 characters shorter", "truncated"}}},
		{name: "checksum_extra_chars", req: hdr(good + "xy"), want: outcome{reason: verifiers.APIKeyChecksumInvalid, keyID: f.ids["good"], fingerprint: true,
			hint: []string{"2 characters longer", "extra characters"}}},
		{name: "checksum_last_part_too_short", req: hdr(prefixOnly + "_abc"), want: outcome{reason: verifiers.APIKeyChecksumInvalid, keyID: f.ids["good"], fingerprint: true,
			detail: []string{"last part is 3 characters"}, hint: []string{"truncated"}}},
		{name: "checksum_id_not_id_shaped_not_logged", req: hdr("ak_live_abc_" + strings.Repeat("z", 28)), want: outcome{reason: verifiers.APIKeyChecksumInvalid, keyID: "-", fingerprint: true,
			detail: []string{"its id is 3 characters (format: 12)"}}},
		{name: "malformed_parts_missing", req: hdr(prefixOnly), want: outcome{reason: verifiers.CredentialsMalformed, keyID: "-", fingerprint: true,
			detail: []string{`starts with 'ak_' but has 2 '_'-separated parts`}, hint: []string{"truncated"}}},
		{name: "malformed_extra_part", req: hdr(good + "_x"), want: outcome{reason: verifiers.CredentialsMalformed, keyID: "-", fingerprint: true,
			hint: []string{"extra parts"}}},
		{name: "malformed_bad_char", req: hdr(good[:25] + "-" + good[26:]), want: outcome{reason: verifiers.CredentialsMalformed, keyID: "-", fingerprint: true,
			detail: []string{"outside the base62 alphabet at byte 25"}, hint: []string{"mistyped"}}},
		{name: "malformed_env_char", req: hdr("ak_LIVE_" + good[8:]), want: outcome{reason: verifiers.CredentialsMalformed, keyID: "-", fingerprint: true,
			detail: []string{"environment tag has a character outside a-z0-9 at byte 3"}}},
		{name: "malformed_valid_checksum_wrong_lengths", req: hdr(withChecksum("ak_live_abc_" + strings.Repeat("z", 30))),
			want: outcome{reason: verifiers.CredentialsMalformed, keyID: "-", fingerprint: true, detail: []string{"checksum matches but its id is 3 characters"}, hint: []string{"another generator"}}},
		{name: "wrong_environment_tag", req: hdr(f.keys["test"]), want: outcome{reason: verifiers.APIKeyWrongEnv, keyID: f.ids["test"],
			detail: []string{`issued for the 'test' environment, and this server is 'live'`}, hint: []string{"a test key was sent to the live server"}}},
		{name: "wrong_environment_record", req: hdr(f.keys["envrec"]), want: outcome{reason: verifiers.APIKeyWrongEnv, keyID: f.ids["envrec"],
			hint: []string{"a test key was sent to the live server"}}},
		{name: "unknown", req: hdr(f.keys["unknown"]), want: outcome{reason: verifiers.APIKeyUnknown, keyID: f.ids["unknown"], fingerprint: true,
			detail: []string{"no API key with id " + f.ids["unknown"]}}},
		{name: "unknown_wrapped_not_found", store: wrappedNotFound{}, req: hdr(good), want: outcome{reason: verifiers.APIKeyUnknown, keyID: f.ids["good"], fingerprint: true}},
		{name: "unknown_foreign", req: hdr(f.keys["foreignUnknown"]), want: outcome{reason: verifiers.APIKeyUnknown, keyID: "-", fingerprint: true,
			detail: []string{`does not start with 'ak_'`}}},
		{name: "secret_mismatch", req: hdr(f.mismatch(t)), want: outcome{reason: verifiers.APIKeySecretMismatch, keyID: f.ids["good"], fingerprint: true,
			detail: []string{"exists but the secret sent does not match"}}},
		{name: "revoked", req: hdr(f.keys["revoked"]), want: outcome{reason: verifiers.APIKeyRevoked, keyID: f.ids["revoked"],
			detail: []string{"revoked at 2026-11-25T10:00:00Z, 72h0m0s ago"}}},
		{name: "expired", req: hdr(f.keys["expired"]), want: outcome{reason: verifiers.APIKeyExpired, keyID: f.ids["expired"],
			detail: []string{"expired 2h0m0s ago, at 2026-11-28T08:00:00Z"}}},
		{name: "empty_header", req: hdr(""), want: outcome{reason: verifiers.RequestMalformed, keyID: "-", detail: []string{"header X-API-Key is present but empty"}}},
		{name: "header_twice", req: func() *http.Request { return get("/", "X-API-Key", good, "X-API-Key", good) },
			want: outcome{reason: verifiers.RequestMalformed, keyID: "-", detail: []string{"2 API keys in header X-API-Key"}}},
		{name: "two_places", opts: []apikey.Option{apikey.WithHeader("X-API-Key"), apikey.WithAuthorization("APIKey")},
			req:  func() *http.Request { return get("/", "X-API-Key", good, "Authorization", "APIKey "+good) },
			want: outcome{reason: verifiers.RequestMalformed, keyID: "-", detail: []string{"both in header X-API-Key and in Authorization scheme APIKey"}}},
		{name: "too_large", req: hdr(good + strings.Repeat("x", apikey.DefaultMaxKeyLength)),
			want: outcome{reason: verifiers.CredentialsTooLarge, keyID: "-", detail: []string{"is 561 bytes, over the 512-byte limit"}}},
		{name: "too_large_custom_limit", opts: []apikey.Option{apikey.WithMaxKeyLength(40)}, req: hdr(good),
			want: outcome{reason: verifiers.CredentialsTooLarge, keyID: "-", detail: []string{"is 49 bytes, over the 40-byte limit"}}},
		{name: "store_down", store: downStore{}, req: hdr(good), want: outcome{unavailable: true}},
		{name: "store_down_foreign", store: downStore{}, req: hdr(f.keys["foreign"]), want: outcome{unavailable: true}},
		{name: "store_returns_nil", store: nilStore{}, req: hdr(good), want: outcome{unavailable: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := c.store
			if s == nil {
				s = f.store
			}
			v := newVerifier(t, s, c.opts...)
			id, err := v.Verify(c.req())
			checkOutcome(t, id, err, c.want)
		})
	}
}

func checkOutcome(t *testing.T, id *verifiers.Identity, err error, want outcome) {
	t.Helper()
	switch {
	case want.noCreds:
		if !errors.Is(err, verifiers.ErrNoCredentials) || id != nil {
			t.Fatalf("Verify = %v, %v; want ErrNoCredentials", id, err)
		}
		return
	case want.unavailable:
		var ue *verifiers.UnavailableError
		if !errors.As(err, &ue) || id != nil {
			t.Fatalf("Verify = %v, %v; want an UnavailableError", id, err)
		}
		if errors.Is(err, verifiers.ErrRejected) {
			t.Fatal("a store failure must not be a rejection")
		}
		return
	case want.reason == "":
		if err != nil || id == nil {
			t.Fatalf("Verify = %v, %v; want an identity", id, err)
		}
		if id.Scheme != verifiers.SchemeAPIKey {
			t.Errorf("Scheme = %q", id.Scheme)
		}
		if got, _ := id.Attr(verifiers.AttrKeyID); got != want.keyID {
			t.Errorf("key_id = %q, want %q", got, want.keyID)
		}
		return
	}
	var rej *verifiers.Rejection
	if !errors.As(err, &rej) || id != nil {
		t.Fatalf("Verify = %v, %v; want a Rejection %s", id, err, want.reason)
	}
	if rej.Reason != want.reason {
		t.Fatalf("reason = %s, want %s (detail: %s)", rej.Reason, want.reason, rej.Detail)
	}
	kid, ok := attr(rej.Attrs, verifiers.AttrKeyID)
	switch {
	case want.keyID == "-" && ok:
		t.Errorf("key_id = %q, want none", kid)
	case want.keyID != "-" && kid != want.keyID:
		t.Errorf("key_id = %q, want %q", kid, want.keyID)
	}
	if fp, ok := attr(rej.Attrs, verifiers.AttrFingerprint); ok != want.fingerprint || (ok && len(fp) != 16) {
		t.Errorf("fingerprint = %q (present %v), want present %v", fp, ok, want.fingerprint)
	}
	for _, d := range want.detail {
		if !strings.Contains(rej.Detail, d) {
			t.Errorf("detail %q lacks %q", rej.Detail, d)
		}
	}
	for _, h := range want.hint {
		if !strings.Contains(rej.Hint, h) {
			t.Errorf("hint %q lacks %q", rej.Hint, h)
		}
	}
}

// TestVerifyPlaces reads the key from each kind of place and checks the
// identity's Source, which the gate turns into Cache-Control and Vary.
func TestVerifyPlaces(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	all := []apikey.Option{apikey.WithHeader("X-Api-Token"), apikey.WithAuthorization("ApiKey"), apikey.WithCookie("api_key"), apikey.WithQuery("api_key")}
	cases := []struct {
		name string
		opts []apikey.Option
		req  *http.Request
		want verifiers.Source
	}{
		{"default_header", nil, get("/", "X-API-Key", good), verifiers.Source{In: verifiers.InHeader, Name: "X-API-Key"}},
		{"default_header_any_case", nil, get("/", "x-api-key", good), verifiers.Source{In: verifiers.InHeader, Name: "X-API-Key"}},
		{"header", all, get("/", "X-Api-Token", good), verifiers.Source{In: verifiers.InHeader, Name: "X-Api-Token"}},
		{"A6_authorization_scheme_case_insensitive", all, get("/", "Authorization", "APIKEY  "+good+" "), verifiers.Source{In: verifiers.InAuthorization, Name: "Authorization"}},
		{"cookie", all, get("/", "Cookie", "theme=dark; api_key="+good+"; x=y"), verifiers.Source{In: verifiers.InCookie, Name: "api_key"}},
		{"cookie_quoted", all, get("/", "Cookie", `api_key="`+good+`"`), verifiers.Source{In: verifiers.InCookie, Name: "api_key"}},
		{"query", all, get("/r?x=1&api_key=" + good), verifiers.Source{In: verifiers.InQuery, Name: "api_key"}},
		{"query_escaped_name", all, get("/r?api%5Fkey=" + good), verifiers.Source{In: verifiers.InQuery, Name: "api_key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, f.store, c.opts...)
			id, err := v.Verify(c.req)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Source != c.want {
				t.Errorf("Source = %+v, want %+v", id.Source, c.want)
			}
			if id.Subject != "svc-good" || !id.HasScope("orders:write") {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}

// TestVerifyPlacesMalformed covers the 400s of each place: present twice,
// present in two places, empty.
func TestVerifyPlacesMalformed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good := f.keys["good"]
	all := []apikey.Option{apikey.WithHeader("X-API-Key"), apikey.WithAuthorization("APIKey"), apikey.WithCookie("k"), apikey.WithQuery("k")}
	cases := []struct {
		name   string
		req    *http.Request
		detail string
	}{
		{"header_and_cookie", get("/", "X-API-Key", good, "Cookie", "k="+good), "both in header X-API-Key and in cookie k"},
		{"cookie_and_query", get("/?k="+good, "Cookie", "k="+good), "both in cookie k and in query parameter k"},
		{"cookie_twice", get("/", "Cookie", "k=a; k=b"), "2 API keys in cookie k"},
		{"cookie_twice_in_two_fields", get("/", "Cookie", "k=a", "Cookie", "k=b"), "2 API keys in cookie k"},
		{"query_twice", get("/?k=a&k=b"), "2 API keys in query parameter k"},
		{"authorization_twice", get("/", "Authorization", "APIKey a", "Authorization", "apikey b"), "2 API keys in Authorization scheme APIKey"},
		{"authorization_empty", get("/", "Authorization", "APIKey"), "Authorization scheme APIKey is present but empty"},
		{"cookie_empty", get("/", "Cookie", "k="), "cookie k is present but empty"},
		{"query_empty", get("/?k="), "query parameter k is present but empty"},
		{"query_bad_escape", get("/?k=%zz"), "invalid percent-encoding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, f.store, all...)
			id, err := v.Verify(c.req)
			checkOutcome(t, id, err, outcome{reason: verifiers.RequestMalformed, keyID: "-", detail: []string{c.detail}})
		})
	}
}

// TestIdentityShared checks that a record's identity is built once and
// shared, per place.
func TestIdentityShared(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v := newVerifier(t, f.store, apikey.WithHeader("X-API-Key"), apikey.WithCookie("k"))
	a, _ := v.Verify(get("/", "X-API-Key", f.keys["good"]))
	b, _ := v.Verify(get("/", "X-API-Key", f.keys["good"]))
	c, _ := v.Verify(get("/", "Cookie", "k="+f.keys["good"]))
	if a == nil || a != b {
		t.Fatalf("identities %p and %p, want the same pointer", a, b)
	}
	if c == a || c.Source.In != verifiers.InCookie || a.Source.In != verifiers.InHeader {
		t.Fatalf("cookie identity %+v shares the header's %+v", c, a)
	}
	// A handler appending to Scopes must not write into the record.
	_ = append(a.Scopes, "admin")
	d, _ := v.Verify(get("/", "X-API-Key", f.keys["good"]))
	if len(d.Scopes) != 2 || d.HasScope("admin") {
		t.Fatalf("scopes changed: %v", d.Scopes)
	}
}

// TestVerifyNoEnvironment accepts keys of any environment when the
// verifier has none configured.
func TestVerifyNoEnvironment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v, err := apikey.New(f.store, apikey.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"good", "test", "envrec"} {
		if _, err := v.Verify(get("/", "X-API-Key", f.keys[name])); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestVerifyPrefix treats keys with another prefix as foreign.
func TestVerifyPrefix(t *testing.T) {
	t.Parallel()
	k, err := apikey.Generate("acme", "live")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := apikey.NewMemoryStore(k.Record("svc", nil, t0.Add(time.Hour)))
	v := newVerifier(t, s, apikey.WithPrefix("acme"))
	if _, err := v.Verify(get("/", "X-API-Key", k.Reveal())); err != nil {
		t.Fatalf("acme key: %v", err)
	}
	other := newVerifier(t, s)
	_, err = other.Verify(get("/", "X-API-Key", k.Reveal()))
	checkOutcome(t, nil, err, outcome{reason: verifiers.APIKeyUnknown, keyID: "-", fingerprint: true, detail: []string{"foreign key"}})
}

func TestVerifyStoreErrorCause(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, downStore{})
	_, err := v.Verify(get("/", "X-API-Key", mustKey(t, "live").Reveal()))
	if !errors.Is(err, errDown) || !errors.Is(err, verifiers.ErrUnavailable) {
		t.Fatalf("err = %v, want the store's error wrapped in an UnavailableError", err)
	}
}

// TestFingerprinterShared checks that verifiers sharing a Fingerprinter log
// the same fingerprint for the same unknown key, and others do not.
func TestFingerprinterShared(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fp := verifiers.NewFingerprinter()
	a := newVerifier(t, f.store, apikey.WithFingerprinter(fp))
	b := newVerifier(t, f.store, apikey.WithFingerprinter(fp))
	c := newVerifier(t, f.store)
	fingerprint := func(v *apikey.Verifier) string {
		_, err := v.Verify(get("/", "X-API-Key", f.keys["foreignUnknown"]))
		var rej *verifiers.Rejection
		if !errors.As(err, &rej) {
			t.Fatalf("err = %v", err)
		}
		s, _ := attr(rej.Attrs, verifiers.AttrFingerprint)
		return s
	}
	if pa, pb, pc := fingerprint(a), fingerprint(b), fingerprint(c); pa == "" || pa != pb || pa == pc {
		t.Errorf("fingerprints %q %q %q: want the first two equal, the third different", pa, pb, pc)
	}
}
