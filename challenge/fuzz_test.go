package challenge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

// checkParseError checks what every Parse and ParseCredentials error
// promises: a *ParseError inside the input it describes, with a message
// that carries no control or non-ASCII byte into a log.
func checkParseError(t *testing.T, err error, fields []string) {
	t.Helper()
	var pe *challenge.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *ParseError", err, err)
	}
	if !errors.Is(err, challenge.ErrSyntax) && !errors.Is(err, challenge.ErrDuplicateParam) && !errors.Is(err, challenge.ErrTooLarge) {
		t.Fatalf("error %v wraps no sentinel", err)
	}
	if pe.Field < 0 || pe.Field >= max(len(fields), 1) {
		t.Fatalf("error field %d out of range (%d fields): %v", pe.Field, len(fields), err)
	}
	if len(fields) > 0 && (pe.Offset < 0 || pe.Offset > len(fields[pe.Field])) {
		t.Fatalf("error offset %d out of range (field of %d bytes): %v", pe.Offset, len(fields[pe.Field]), err)
	}
	if i := messageSafe(err.Error()); i >= 0 {
		t.Fatalf("error message has an unsafe byte at %d: %q", i, err.Error())
	}
}

// FuzzParse: Parse never panics, its errors are well-formed, and any parsed
// list whose challenges all pass Validate formats (in one field, and one
// field per challenge) to text that parses back to the same list.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Bearer realm="api", error="invalid_token", error_description="expired", Basic realm="a", charset="UTF-8"`,
		"Negotiate abc==, , Basic dXNlcjpwYXNz\nBearer resource_metadata=\"https://a.example/m\"",
		"X a = b ,\t, c=\"\\\"\\\\\"",
		"Basic\trealm=\"x\"",
		"Basic realm=\"a\rb\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, fields := range [][]string{{data}, strings.Split(data, "\n")} {
			cs, err := challenge.Parse(fields...)
			if err != nil {
				if cs != nil {
					t.Fatalf("Parse returned challenges with its error")
				}
				checkParseError(t, err, fields)
				continue
			}
			if len(cs) == 0 {
				t.Fatalf("Parse(%q) returned no challenge and no error", fields)
			}
			valid := true
			for _, c := range cs {
				if c.Scheme == "" || (c.Token68 != "" && len(c.Params) > 0) {
					t.Fatalf("Parse(%q) returned an impossible challenge %s", fields, show(c))
				}
				if c.Validate() != nil {
					valid = false
				}
			}
			if !valid {
				continue
			}
			all, err := challenge.FormatAll(cs...)
			if err != nil {
				t.Fatalf("FormatAll(%s): %v", show(cs...), err)
			}
			if k := headerSafe(all); k >= 0 {
				t.Fatalf("FormatAll wrote byte 0x%02x: %q", all[k], all)
			}
			lines := make([]string, len(cs))
			for i, c := range cs {
				if lines[i], err = c.Format(); err != nil {
					t.Fatalf("Format(%s): %v", show(c), err)
				}
			}
			for _, in := range [][]string{{all}, lines} {
				back, err := challenge.Parse(in...)
				if errors.Is(err, challenge.ErrTooLarge) {
					continue // quoting token values can grow input near the limit
				}
				if err != nil || !sameList(back, cs) {
					t.Fatalf("Parse(%q)\n got %s, %v\nwant %s", in, show(back...), err, show(cs...))
				}
			}
		}
	})
}

// FuzzParseCredentials: ParseCredentials never panics, its errors are
// well-formed and quote nothing of the input, it agrees with Parse, and a
// valid result formats back to itself.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		"Basic dXNlcjpwYXNz",
		"Bearer mF_9.B5f-4.1JqM",
		"bearer abc==",
		`Digest username="Mufasa", realm="x", nc=00000001`,
		"Bearer abc def",
		"Basic abc, Bearer xyz",
		"Bearer \"abc\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		c, err := challenge.ParseCredentials(field)
		if err != nil {
			if !same(c, challenge.Challenge{}) {
				t.Fatalf("ParseCredentials returned %s with its error", show(c))
			}
			checkParseError(t, err, []string{field})
			if strings.Contains(err.Error(), "found '") {
				t.Fatalf("error quotes the credential: %v", err)
			}
			return
		}
		if c.Scheme == "" || (c.Token68 != "" && len(c.Params) > 0) {
			t.Fatalf("impossible credentials %s", show(c))
		}
		// One set of credentials is also a one-element challenge list.
		if cs, err := challenge.Parse(field); err != nil || len(cs) != 1 || !same(cs[0], c) {
			t.Fatalf("Parse(%q) = %s, %v; ParseCredentials gave %s", field, show(cs...), err, show(c))
		}
		if c.Validate() != nil {
			return
		}
		s, err := c.Format()
		if err != nil || headerSafe(s) >= 0 {
			t.Fatalf("Format(%s) = %q, %v", show(c), s, err)
		}
		back, err := challenge.ParseCredentials(s)
		if errors.Is(err, challenge.ErrTooLarge) {
			return
		}
		if err != nil || !same(back, c) {
			t.Fatalf("ParseCredentials(%q) = %s, %v; want %s", s, show(back), err, show(c))
		}
	})
}

// FuzzRoundTrip builds a challenge from arbitrary parts. If Validate
// accepts it, Format never writes a control or non-ASCII byte, and Parse
// and ParseCredentials give the same challenge back; if Validate refuses
// it, Format writes nothing.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Bearer", "", "realm", "api", "error", "invalid_token", "error_description", `say "hi" \o/`)
	f.Add("Basic", "", "realm", "a\r\nX: y", "charset", "UTF-8", "", "")
	f.Add("Negotiate", "YII+/==", "", "", "", "", "", "")
	f.Add("Custom", "", "a", "", "A", "dup", "b", "é")
	f.Add("Bearer", "", "resource_metadata", "https://a.example/m", "scope", "a b", "error_uri", "https://a.example/e")
	f.Fuzz(func(t *testing.T, scheme, token68, n1, v1, n2, v2, n3, v3 string) {
		c := challenge.Challenge{Scheme: scheme, Token68: token68}
		for _, p := range [][2]string{{n1, v1}, {n2, v2}, {n3, v3}} {
			if p[0] != "" {
				c.Params = append(c.Params, challenge.Param{Name: p[0], Value: p[1]})
			}
		}
		verr := c.Validate()
		s, ferr := c.Format()
		if (verr == nil) != (ferr == nil) {
			t.Fatalf("Validate = %v but Format = %v", verr, ferr)
		}
		if verr != nil {
			if s != "" {
				t.Fatalf("Format wrote %q along with error %v", s, ferr)
			}
			if i := messageSafe(verr.Error()); i >= 0 {
				t.Fatalf("error message has an unsafe byte at %d: %q", i, verr.Error())
			}
			return
		}
		if k := headerSafe(s); k >= 0 {
			t.Fatalf("Format wrote byte 0x%02x at %d: %q", s[k], k, s)
		}
		if len(s) > challenge.MaxFieldLength/2 {
			return
		}
		back, err := challenge.Parse(s)
		if err != nil || len(back) != 1 || !same(back[0], c) {
			t.Fatalf("Parse(%q) = %s, %v; want %s", s, show(back...), err, show(c))
		}
		cred, err := challenge.ParseCredentials(s)
		if err != nil || !same(cred, c) {
			t.Fatalf("ParseCredentials(%q) = %s, %v; want %s", s, show(cred), err, show(c))
		}
		two, err := challenge.FormatAll(c, c)
		if err != nil {
			t.Fatal(err)
		}
		back, err = challenge.Parse(two)
		if err != nil || !sameList(back, []challenge.Challenge{c, c}) {
			t.Fatalf("Parse(%q) = %s, %v", two, show(back...), err)
		}
	})
}
