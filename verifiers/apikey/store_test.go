package apikey_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	r := k.Record("svc", []string{"a"}, time.Time{})
	s, err := apikey.NewMemoryStore(r)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := s.Lookup(ctx, k.ID()); err != nil || got != r {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	if _, err := s.Lookup(ctx, "nope"); !errors.Is(err, apikey.ErrNotFound) {
		t.Fatalf("Lookup(unknown) err = %v", err)
	}
	v := newVerifier(t, s)
	req := func() error { _, err := v.Verify(get("/", "X-API-Key", k.Reveal())); return err }
	if err := req(); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(k.ID(), t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	var rej *verifiers.Rejection
	if err := req(); !errors.As(err, &rej) || rej.Reason != verifiers.APIKeyRevoked {
		t.Fatalf("after Revoke: %v", err)
	}
	if r.Revoked != (time.Time{}) {
		t.Error("Revoke modified the original record")
	}
	if err := s.Revoke("nope", t0); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v", err)
	}
	if err := s.Put(r); err != nil || req() != nil {
		t.Fatalf("Put back: %v / %v", err, req())
	}
	s.Delete(k.ID())
	if err := req(); !errors.As(err, &rej) || rej.Reason != verifiers.APIKeyUnknown || s.Len() != 0 {
		t.Fatalf("after Delete: %v (len %d)", err, s.Len())
	}
	if err := s.Put(&apikey.Record{ID: "x"}); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Put(invalid) = %v", err)
	}
	if _, err := apikey.NewMemoryStore(r, r); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("duplicate ids: %v", err)
	}
	if _, err := apikey.NewMemoryStore(nil); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("nil record: %v", err)
	}
}

func TestRecordValidate(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	base := func() *apikey.Record { return k.Record("svc", []string{"a:b"}, time.Time{}) }
	cases := []struct {
		name string
		mod  func(r *apikey.Record)
		msg  string
	}{
		{"empty_id", func(r *apikey.Record) { r.ID = "" }, "id must be 1 to 64"},
		{"long_id", func(r *apikey.Record) { r.ID = strings.Repeat("a", 65) }, "id must be 1 to 64"},
		{"id_space", func(r *apikey.Record) { r.ID = "a b" }, "byte 0x20 at offset 1"},
		{"id_is_whole_key", func(r *apikey.Record) { r.ID = k.Reveal() }, "the id is a whole API key"},
		{"zero_hash", func(r *apikey.Record) { r.Hash = [32]byte{} }, "hash is all zeros"},
		{"empty_subject", func(r *apikey.Record) { r.Subject = "" }, "subject must be 1 to 256"},
		{"subject_space", func(r *apikey.Record) { r.Subject = "a b" }, "space or control character at byte 1"},
		{"subject_control", func(r *apikey.Record) { r.Subject = "a\x00" }, "space or control character at byte 1"},
		{"subject_bad_utf8", func(r *apikey.Record) { r.Subject = "a\xff" }, "not valid UTF-8"},
		{"scope_comma", func(r *apikey.Record) { r.Scopes = []string{"a,b"} }, "scope 1: "},
		{"scope_quote", func(r *apikey.Record) { r.Scopes = []string{"ok", `a"b`} }, "scope 2: "},
		{"scope_empty", func(r *apikey.Record) { r.Scopes = []string{""} }, "scope must be 1 to 128"},
		{"too_many_scopes", func(r *apikey.Record) { r.Scopes = make([]string, 65) }, "65 scopes"},
		{"env", func(r *apikey.Record) { r.Environment = "Live" }, "environment must be"},
	}
	if err := base().Validate(); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	for _, c := range cases {
		r := base()
		c.mod(r)
		err := r.Validate()
		if !errors.Is(err, apikey.ErrInvalidRecord) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err = %v, want ErrInvalidRecord with %q", c.name, err, c.msg)
		}
		if strings.Contains(err.Error(), k.Reveal()[21:]) {
			t.Errorf("I2 %s: error holds the secret", c.name)
		}
	}
}

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestKeyFileParse(t *testing.T) {
	t.Parallel()
	content := "\xef\xbb\xbf" + apikey.FileHeader + "\n" +
		"\n" +
		"  # indented comment\n" +
		"Zx81bQ0aLm3c " + hashA + " billing invoices:read,invoices:write live 2026-11-28T10:00:00Z - -\r\n" +
		"Ab81bQ0aLm3c\t" + strings.ToUpper(hashA) + "\tops\t-\t-\t-\t2027-01-01T00:00:00+01:00\t2026-12-01T00:00:00Z\n" +
		"ext_0123456789abcdef0123456789abcdef " + hashA + " legacy - live - - -"
	recs, err := apikey.ParseKeyFileForTest("keys.txt", strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs["Zx81bQ0aLm3c"]
	if r.Subject != "billing" || strings.Join(r.Scopes, " ") != "invoices:read invoices:write" || r.Environment != "live" ||
		!r.Created.Equal(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) || !r.Expires.IsZero() || !r.Revoked.IsZero() {
		t.Errorf("record 1 = %+v", r)
	}
	r = recs["Ab81bQ0aLm3c"]
	if r.Scopes != nil || r.Environment != "" || !r.Created.IsZero() ||
		!r.Expires.Equal(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)) || !r.Revoked.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("record 2 = %+v", r)
	}
	if recs["ext_0123456789abcdef0123456789abcdef"].Subject != "legacy" {
		t.Error("foreign record missing")
	}
}

func TestKeyFileErrors(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	line := func(fields ...string) string { return strings.Join(fields, " ") }
	good := line("Zx81bQ0aLm3c", hashA, "svc", "-", "live", "-", "-", "-")
	cases := []struct {
		name    string
		content string
		line    int
		msg     string
	}{
		{"too_few_fields", "# c\n" + line("Zx81bQ0aLm3c", hashA, "svc"), 2, "3 fields, want 8"},
		{"too_many_fields", good + " extra", 1, "9 fields, want 8"},
		{"bad_id", line("a/b", hashA, "svc", "-", "-", "-", "-", "-"), 1, "field 1 (id)"},
		{"whole_key_as_id", line(k.Reveal(), hashA, "svc", "-", "-", "-", "-", "-"), 1, "whole API key"},
		{"short_hash", line("a", hashA[:63], "svc", "-", "-", "-", "-", "-"), 1, "field 2 (hash): want 64 hexadecimal digits, got 63"},
		{"key_as_hash", line("a", k.Reveal(), "svc", "-", "-", "-", "-", "-"), 1, "field 2 (hash): want 64 hexadecimal digits, got 49"},
		{"nonhex_hash", line("a", "z"+hashA[1:], "svc", "-", "-", "-", "-", "-"), 1, "not hexadecimal"},
		{"bad_scope", line("a", hashA, "svc", "a,,b", "-", "-", "-", "-"), 1, "scope 2"},
		{"bad_env", line("a", hashA, "svc", "-", "LIVE", "-", "-", "-"), 1, "environment must be"},
		{"bad_created", line("a", hashA, "svc", "-", "-", "yesterday", "-", "-"), 1, "field 6 (created): not an RFC 3339 time"},
		{"bad_expires", line("a", hashA, "svc", "-", "-", "-", "2026-13-01T00:00:00Z", "-"), 1, "field 7 (expires)"},
		{"bad_revoked", line("a", hashA, "svc", "-", "-", "-", "-", "yes"), 1, "field 8 (revoked)"},
		{"duplicate_id", good + "\n\n" + good, 3, "id Zx81bQ0aLm3c already on line 1"},
		{"line_too_long", good + "\n" + strings.Repeat("x", 5000), 2, "longer than 4096 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := apikey.ParseKeyFileForTest("keys.txt", strings.NewReader(c.content))
			var fe *apikey.FileError
			if !errors.As(err, &fe) || fe.Path != "keys.txt" || fe.Line != c.line {
				t.Fatalf("err = %#v, want a FileError at keys.txt:%d", err, c.line)
			}
			if !errors.Is(err, apikey.ErrInvalidRecord) {
				t.Errorf("err %v does not wrap ErrInvalidRecord", err)
			}
			prefix := "apikey: keys.txt:" + strconv.Itoa(c.line) + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %q, want %q... with %q", err, prefix, c.msg)
			}
			if strings.Contains(err.Error(), k.Reveal()[21:]) {
				t.Errorf("I2 error holds a secret: %v", err)
			}
		})
	}
}

func TestKeyFileReadError(t *testing.T) {
	t.Parallel()
	_, err := apikey.ParseKeyFileForTest("keys.txt", iotest.ErrReader(errors.New("disk on fire")))
	var fe *apikey.FileError
	if !errors.As(err, &fe) || fe.Line != 0 || err.Error() != "apikey: keys.txt: disk on fire" {
		t.Fatalf("err = %v", err)
	}
}

func TestFileStoreReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.txt")
	k1, k2 := mustKey(t, "live"), mustKey(t, "live")
	l1, err := apikey.FormatFileLine(k1.Record("one", []string{"a"}, time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := apikey.FormatFileLine(k2.Record("two", nil, time.Time{}))
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(apikey.FileHeader + "\n" + l1 + "\n")
	s, err := apikey.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path || s.Len() != 1 {
		t.Fatalf("Path %q Len %d", s.Path(), s.Len())
	}
	v := newVerifier(t, s)
	verify := func(k apikey.Key) error { _, err := v.Verify(get("/", "X-API-Key", k.Reveal())); return err }
	if err := verify(k1); err != nil {
		t.Fatal(err)
	}
	if err := verify(k2); err == nil {
		t.Fatal("k2 accepted before it was added")
	}

	write(l2 + "\n")
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if verify(k1) == nil || verify(k2) != nil {
		t.Fatalf("after reload: k1 %v, k2 %v", verify(k1), verify(k2))
	}

	// A bad edit leaves the last good content in place.
	write(l1 + "\n" + l2 + "\nbroken line\n")
	err = s.Reload()
	var fe *apikey.FileError
	if !errors.As(err, &fe) || fe.Line != 3 || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("Reload(bad) = %v", err)
	}
	if verify(k1) == nil || verify(k2) != nil || s.Len() != 1 {
		t.Fatal("a failed reload changed the store")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil || !errors.Is(err, os.ErrNotExist) || verify(k2) != nil {
		t.Fatalf("Reload(missing) = %v", err)
	}
	if _, err := apikey.OpenFileStore(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenFileStore(missing) = %v", err)
	}
}

func TestFormatFileLineRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	r := k.Record("billing@example.com", []string{"invoices:read", "invoices:write"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)))
	r.Revoked = time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	line, err := apikey.FormatFileLine(r)
	if err != nil {
		t.Fatal(err)
	}
	want := k.ID() + " " + hexOf(k.Hash()) + " billing@example.com invoices:read,invoices:write live " +
		r.Created.UTC().Format(time.RFC3339) + " 2026-12-31T23:00:00Z 2026-12-24T18:30:00Z"
	if line != want {
		t.Fatalf("line\n%q\nwant\n%q", line, want)
	}
	if strings.Contains(line, k.Reveal()[21:43]) {
		t.Fatal("I2 the file line holds the secret")
	}
	recs, err := apikey.ParseKeyFileForTest("x", strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	got := recs[k.ID()]
	if got.Hash != r.Hash || got.Subject != r.Subject || strings.Join(got.Scopes, ",") != strings.Join(r.Scopes, ",") ||
		got.Environment != r.Environment || !got.Created.Equal(r.Created) || !got.Expires.Equal(r.Expires) || !got.Revoked.Equal(r.Revoked) {
		t.Fatalf("round trip: %+v, want %+v", got, r)
	}
	min := &apikey.Record{ID: "x", Hash: k.Hash(), Subject: "s"}
	if line, _ := apikey.FormatFileLine(min); line != "x "+hexOf(k.Hash())+" s - - - - -" {
		t.Errorf("minimal line = %q", line)
	}
	if _, err := apikey.FormatFileLine(&apikey.Record{ID: "x y"}); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("invalid record: %v", err)
	}
}

func hexOf(h [32]byte) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 64)
	for i, c := range h {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(b)
}

// TestFileStoreWarnsWhenEmpty: a key file that holds no key loads (an
// emptied file refuses every key, as it should) but is logged at warn,
// naming the file, at open and at every reload that finds it so; a file
// with keys logs nothing.
func TestFileStoreWarnsWhenEmpty(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keys.txt")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	warnings := func(lb *authgatetest.Log) int {
		t.Helper()
		n := 0
		for _, ev := range events(t, lb) {
			if ev["level"] != "warn" || ev["file"] != path || !strings.Contains(ev["message"].(string), "holds no key") {
				t.Fatalf("unexpected event %v", ev)
			}
			n++
		}
		return n
	}
	for name, content := range map[string]string{"empty": "", "comments_only": apikey.FileHeader + "\n\n# nothing yet\n"} {
		t.Run(name, func(t *testing.T) {
			lb := &authgatetest.Log{}
			p := filepath.Join(t.TempDir(), "keys.txt")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := apikey.OpenFileStore(p, apikey.WithFileLogger(lb.Logger()))
			if err != nil || s.Len() != 0 {
				t.Fatalf("OpenFileStore = %v, %v", s, err)
			}
			evs := events(t, lb)
			if len(evs) != 1 || evs[0]["level"] != "warn" || evs[0]["file"] != p {
				t.Fatalf("log: %s", lb)
			}
		})
	}

	lb := &authgatetest.Log{}
	k := mustKey(t, "live")
	line, _ := apikey.FormatFileLine(k.Record("one", nil, time.Time{}))
	write(line + "\n")
	s, err := apikey.OpenFileStore(path, apikey.WithFileLogger(lb.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	if n := warnings(lb); n != 0 {
		t.Fatalf("%d warnings for a file with a key", n)
	}
	write("# all keys removed\n")
	if err := s.Reload(); err != nil || s.Len() != 0 {
		t.Fatalf("Reload(empty) = %v, Len %d", err, s.Len())
	}
	if n := warnings(lb); n != 1 {
		t.Fatalf("%d warnings after reloading an empty file, want 1", n)
	}
	write(line + "\n")
	if err := s.Reload(); err != nil || s.Len() != 1 {
		t.Fatalf("Reload = %v, Len %d", err, s.Len())
	}
	if n := warnings(lb); n != 1 {
		t.Fatalf("%d warnings after reloading a file with a key, want still 1", n)
	}
}
