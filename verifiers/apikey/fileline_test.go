package apikey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers/apikey"
)

// TestParseFileLine: the line parser a tool uses to edit a key file reads
// what FormatFileLine writes, skips what FileStore skips, and refuses
// what FileStore refuses without quoting the hash field.
func TestParseFileLine(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "live")
	r := k.Record("billing", []string{"invoices:read"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	r.Revoked = time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	line, err := apikey.FormatFileLine(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{line, "  " + line + "\t", line + "\r"} {
		got, err := apikey.ParseFileLine(in)
		if err != nil {
			t.Fatalf("ParseFileLine(%q): %v", in, err)
		}
		if got.ID != r.ID || got.Hash != r.Hash || got.Subject != r.Subject || strings.Join(got.Scopes, ",") != "invoices:read" ||
			got.Environment != "live" || !got.Created.Equal(r.Created) || !got.Expires.Equal(r.Expires) || !got.Revoked.Equal(r.Revoked) {
			t.Fatalf("ParseFileLine = %+v, want %+v", got, r)
		}
	}
	for _, skip := range []string{"", "   ", "\t\r", "# comment", "  # " + line, apikey.FileHeader} {
		if got, err := apikey.ParseFileLine(skip); got != nil || err != nil {
			t.Errorf("ParseFileLine(%q) = %v, %v; want nil, nil", skip, got, err)
		}
	}
	// A whole key pasted into the hash field: refused, and not quoted.
	bad := k.ID() + " " + k.Reveal() + " billing - live - - -"
	_, err = apikey.ParseFileLine(bad)
	if !errors.Is(err, apikey.ErrInvalidRecord) || !strings.Contains(err.Error(), "field 2 (hash)") {
		t.Fatalf("ParseFileLine(key in the hash field) = %v, want ErrInvalidRecord naming field 2", err)
	}
	if strings.Contains(err.Error(), k.Reveal()[len(k.Reveal())-20:]) {
		t.Fatalf("the error quotes the key: %v", err)
	}
	if _, err := apikey.ParseFileLine(strings.Repeat("x", 5000)); !errors.Is(err, apikey.ErrInvalidRecord) || !strings.Contains(err.Error(), "4096") {
		t.Errorf("ParseFileLine(5000 bytes) = %v, want the line limit", err)
	}
	if _, err := apikey.ParseFileLine("a b c"); !errors.Is(err, apikey.ErrInvalidRecord) || !strings.Contains(err.Error(), "3 fields, want 8") {
		t.Errorf("ParseFileLine(3 fields) = %v", err)
	}
}
