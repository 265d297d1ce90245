package jose

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestParse_problems: each copy-paste accident is told apart in the
// error's Problem, so that a caller can word a hint without looking at
// the token again.
func TestParse_problems(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tok  string
		want Problem
	}{
		{`"eyJ.a.b"`, Quoted},
		{"Bearer eyJ.a.b", BearerTwice},
		{"eyJ a.b", Whitespace},
		{"eyJ.a\n.b", Whitespace},
		{"eyJ%2E.a.b", URLEncoded},
		{"eyJ+.a.b", StdBase64},
		{"a.b.c.d.e", Encrypted},
		{"opaque-token", NotJWT},
		{"a.b", NoProblem},
	} {
		_, err := Parse(c.tok)
		m, ok := err.(*MalformedError)
		if !ok {
			t.Fatalf("Parse(%q) = %v, want a *MalformedError", c.tok, err)
		}
		if m.Problem != c.want {
			t.Errorf("Parse(%q): Problem %d (%s), want %d", c.tok, m.Problem, m.Detail, c.want)
		}
	}
}

// FuzzParse feeds arbitrary tokens to Parse and Claims: never a panic,
// every error a *MalformedError that does not hold the token, and an
// accepted token is in the one encoding it has (canonical base64url, so
// that no two texts read as one token).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", ".", "..", "....", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		b64u([]byte(`{"alg":"ES256","kid":"k"}`)) + "." + b64u([]byte(`{"sub":"a","n":[1,{"x":null}]}`)) + ".AAAA",
		b64u([]byte(`{"alg":"ES256","alg":"none"}`)) + ".e30.AAAA",
		b64u([]byte(`{"alg":"ES256","crit":["b64"],"b64":false}`)) + ".e30.AAAA",
		b64u([]byte(`{"alg":"ES256","enc":"A128GCM"}`)) + ".e30.AAAA",
		b64u([]byte(`{"alg":"ES256","cty":"JWT"}`)) + ".e30.AAAA",
		b64u([]byte(`{"alg":"ES256"}`)) + "." + b64u([]byte(`{"a":1,"a":2}`)) + ".AAAB",
		`"eyJ.a.b"`, "Bearer eyJ.a.b", "eyJ a.b.c", "a.b.c.d.e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		checkErr := func(err error) {
			m, ok := err.(*MalformedError)
			if !ok {
				t.Fatalf("error %T %v is not a *MalformedError", err, err)
			}
			if len(tok) >= 12 && strings.Contains(m.Detail, tok) {
				t.Fatalf("error holds the token: %s", m.Detail)
			}
		}
		j, err := Parse(tok)
		if err != nil {
			checkErr(err)
			return
		}
		if j.Header.Alg == "" || !strings.HasPrefix(tok, j.SigningInput+".") {
			t.Fatalf("Parse(%q) = %+v", tok, j)
		}
		if sig := tok[len(j.SigningInput)+1:]; sig != b64u(j.Signature()) {
			t.Fatalf("signature segment %q decodes to %x, which encodes as %q", sig, j.Signature(), b64u(j.Signature()))
		}
		if _, err := j.Claims(); err != nil {
			checkErr(err)
		}
	})
}

// TestParse_allocations: a token whose header holds strings only costs
// three allocations: the JWS, the decoded header (whose strings Header
// shares) and the signature; its claims one more for the skim. The header
// was decoded into a map before (8 in all).
func TestParse_allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tok := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`)) + "." +
		b64.EncodeToString([]byte(`{"iss":"https://issuer.example.com/","sub":"user-42","exp":1}`)) + "." +
		b64.EncodeToString(make([]byte, 64))
	if n := testing.AllocsPerRun(100, func() {
		if _, err := Parse(tok); err != nil {
			t.Fatal(err)
		}
	}); n > 3 {
		t.Errorf("Parse: %.0f allocations, want at most 3", n)
	}
	jws, _ := Parse(tok)
	if jws.Header.Alg != "ES256" || jws.Header.Kid != "k1" || jws.Header.Typ != "at+jwt" {
		t.Fatalf("header %+v", jws.Header)
	}
	want := []string{"iss", "sub", "jti", "exp"}
	out := make([]Member, len(want))
	if n := testing.AllocsPerRun(100, func() { _, _ = jws.ReadClaims(want, out) }); n > 1 {
		t.Errorf("ReadClaims: %.0f allocations, want at most 1", n)
	}
	c, err := jws.ReadClaims(want, out)
	if err != nil || out[0] != (Member{Kind: String, Str: "https://issuer.example.com/"}) || out[1].Str != "user-42" ||
		out[2].Kind != Absent || out[3] != (Member{Kind: Number, Num: 1}) {
		t.Errorf("ReadClaims = %v, %+v", err, out)
	}
	if c.m != nil {
		t.Error("ReadClaims decoded the map")
	}
	if m, err := c.Map(); err != nil || m["sub"] != "user-42" || len(m) != 3 {
		t.Errorf("Map = %v, %v", m, err)
	}
}

// TestReadClaims_as_Claims: ReadClaims fails exactly when Claims does, in
// the same words, and reads the members as Claims' map holds them, also
// past the members the skim tells apart (where it decodes the map).
func TestReadClaims_as_Claims(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{"iss":"i"`)
	for i := range maxSkimMembers {
		fmt.Fprintf(&many, `,"c%d":%d`, i, i)
	}
	many.WriteString(`,"exp":5}`)
	want := []string{"iss", "exp", "nbf"}
	for _, payload := range []string{
		`{"iss":"i","exp":5}`, many.String(), `{"iss":"i","iss":"j"}`, `{"a":{"k":1,"k":2}}`, `{"iss":`, `[1]`,
		"\xff", `{"iss":"\ud800"}`, `{"exp":1e999}`, `{"iss":"i","exp":-0,"nbf":-0.0}`,
	} {
		jws := &JWS{payload: b64.EncodeToString([]byte(payload))}
		m, cerr := jws.Claims()
		out := make([]Member, len(want))
		c, rerr := jws.ReadClaims(want, out)
		if (cerr == nil) != (rerr == nil) || cerr != nil && cerr.Error() != rerr.Error() {
			t.Errorf("%.30s: Claims error %v, ReadClaims error %v", payload, cerr, rerr)
			continue
		}
		if cerr != nil {
			continue
		}
		for i, name := range want {
			w := Member{}
			if v, ok := m[name]; ok {
				w = MemberOf(v)
			}
			if !sameMember(out[i], w) {
				t.Errorf("%.30s: %s = %+v, Claims has %+v", payload, name, out[i], w)
			}
		}
		if cm, err := c.Map(); err != nil || len(cm) != len(m) {
			t.Errorf("%.30s: Map = %d claims, %v; Claims has %d", payload, len(cm), err, len(m))
		}
	}
}

// TestCheckSyntax_every_position: checkSyntax, which tests eight bytes at
// a time, names the first bad byte wherever it is.
func TestCheckSyntax_every_position(t *testing.T) {
	good := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlX2J5dGVz"
	if m := checkSyntax(good); m != nil {
		t.Fatal(m)
	}
	for i := range len(good) {
		for _, bad := range []byte{' ', '+', '%', 0x80, '"'} {
			tok := good[:i] + string(bad) + good[i+1:]
			m := checkSyntax(tok)
			if m == nil || !strings.Contains(m.Detail, fmt.Sprintf("byte %d of %d", i, len(tok))) {
				t.Fatalf("bad byte %q at %d: %v", bad, i, m)
			}
		}
	}
}

// TestCheckSegment_as_decodeSegment: Parse no longer decodes the
// signature; checkSegment refuses exactly the segments decodeSegment
// refuses, in the same words, for every base64url segment of up to three
// characters and for longer ones ending in each character.
func TestCheckSegment_as_decodeSegment(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	segs := []string{""}
	for _, a := range alphabet {
		segs = append(segs, string(a), "AAAA"+string(a))
		for _, b := range alphabet {
			segs = append(segs, string(a)+string(b), "AAAA"+string(a)+string(b))
			for _, c := range "AQgw_-9z" {
				segs = append(segs, string(a)+string(b)+string(c), "AAAA"+string(a)+string(b)+string(c))
			}
		}
	}
	for _, seg := range segs {
		got := checkSegment("signature", seg)
		_, want := decodeSegment("signature", seg)
		if (got == nil) != (want == nil) || got != nil && got.Detail != want.Detail {
			t.Fatalf("segment %q: checkSegment %v, decodeSegment %v", seg, got, want)
		}
	}
}

// TestParseInto_as_Parse: ParseInto fills a JWS as Parse returns it,
// and leaves it zero, with Parse's error, for a malformed token; it
// allocates less than Parse, whose JWS is its own allocation.
func TestParseInto_as_Parse(t *testing.T) {
	hdr := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"k1"}`))
	good := hdr + "." + b64.EncodeToString([]byte(`{"sub":"x"}`)) + "." + b64.EncodeToString(make([]byte, 64))
	for _, tok := range []string{good, "", "a.b", hdr + ".e30.", `"` + good + `"`, b64.EncodeToString([]byte(`{"alg":1}`)) + ".e30.c2ln"} {
		want, werr := Parse(tok)
		got := JWS{Header: Header{Alg: "stale"}}
		err := ParseInto(tok, &got)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%q: ParseInto error %v, Parse error %v", tok, err, werr)
		}
		if werr != nil {
			if !reflect.DeepEqual(got, JWS{}) {
				t.Errorf("%q: ParseInto left %+v after an error", tok, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, *want) {
			t.Errorf("%q: ParseInto %+v, Parse %+v", tok, got, *want)
		}
	}
	if raceEnabled {
		return
	}
	var into JWS
	pa := testing.AllocsPerRun(100, func() { _, _ = Parse(good) })
	pi := testing.AllocsPerRun(100, func() { _ = ParseInto(good, &into) })
	if pi != pa-1 {
		t.Errorf("ParseInto: %.0f allocations, Parse %.0f; want one fewer", pi, pa)
	}
}

// TestAppendSignature: AppendSignature appends what Signature returns to
// dst, whose bytes it keeps, and needs no allocation when dst has room.
func TestAppendSignature(t *testing.T) {
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = byte(i * 7)
	}
	jws, err := Parse(b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + ".e30." + b64.EncodeToString(sig))
	if err != nil {
		t.Fatal(err)
	}
	var buf [128]byte
	got := jws.AppendSignature(append(buf[:0], "pre"...))
	if string(got[:3]) != "pre" || !bytes.Equal(got[3:], sig) || !bytes.Equal(jws.Signature(), sig) {
		t.Fatalf("AppendSignature = %x, Signature = %x, want %x after 'pre'", got, jws.Signature(), sig)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() { _ = jws.AppendSignature(buf[:0]) }); n != 0 {
		t.Errorf("AppendSignature into a buffer with room: %.0f allocations", n)
	}
}
