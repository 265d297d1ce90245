package apikey

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// fixedErrorText is text the parser's errors hold whatever the input: a
// hash field that happens to be part of it is not quoted.
var fixedErrorText = strings.Join(fileFields[:], " ") + " RFC 3339 time such as 2026-11-28T10:00:00Z hexadecimal digits"

// FuzzReadKeyFile feeds arbitrary key files to the parser: it never
// panics, an error never quotes a line's hash field (where a pasted
// secret would end up), and every record it accepts formats back into a
// line that parses to the same record.
func FuzzReadKeyFile(f *testing.F) {
	f.Add([]byte("# id hash subject scopes environment created expires revoked\n" +
		"3JDbOvlssGEV 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 svc-1 orders:read,orders:write live 2026-11-28T10:00:00Z - -\n"))
	f.Add([]byte("3JDbOvlssGEV 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 svc-1 - - - 2027-01-01T00:00:00Z 2026-12-01T00:00:00Z\r\n"))
	f.Add([]byte("id ak_live_3JDbOvlssGEV_secretpastedhere svc - - - - -\n"))
	f.Add([]byte("a b c d e f g h\n\n# comment\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := readKeyFile("keys.txt", bytes.NewReader(data))
		if err != nil {
			msg := err.Error()
			for _, line := range strings.Split(string(data), "\n") {
				fs := strings.Fields(line)
				if len(fs) < 2 || len(fs[1]) < 8 || strings.Count(line, fs[1]) > 1 || strings.Contains(fixedErrorText, fs[1]) {
					continue
				}
				if strings.Contains(msg, fs[1]) {
					t.Fatalf("error %q quotes the hash field %q", msg, fs[1])
				}
			}
			return
		}
		for id, r := range recs {
			if r.ID != id {
				t.Fatalf("record %q filed under %q", r.ID, id)
			}
			line, err := FormatFileLine(r)
			if err != nil {
				t.Fatalf("an accepted record does not format: %v", err)
			}
			back, err := parseFileLine(line)
			if err != nil {
				t.Fatalf("formatted line %q does not parse: %v", line, err)
			}
			if !sameRecord(r, back) {
				t.Fatalf("round trip changed the record: %+v -> %q -> %+v", r, line, back)
			}
		}
	})
}

// sameRecord compares the stored fields of two records (times by
// instant, as the file keeps them to the second in UTC).
func sameRecord(a, b *Record) bool {
	return a.ID == b.ID && a.Hash == b.Hash && a.Subject == b.Subject && a.Environment == b.Environment &&
		reflect.DeepEqual(a.Scopes, b.Scopes) &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) && a.Revoked.Equal(b.Revoked)
}
