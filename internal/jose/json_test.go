package jose

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeJSON checks the hand-written JSON decoder against
// encoding/json: it never panics, accepts exactly the texts encoding/json
// accepts as an object, less those it refuses on purpose (a member name
// twice in one object, an unpaired surrogate escape, nesting beyond
// maxJSONDepth), and gives the same values.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"a":1},"b":[1,{"a":2}]}`, `{"\u0061":1,"a":2}`,
		`{"a\"":"}","b":"\\"}`, ` { "x" : [ ] , "y" : null } `, `{"s":"\ud83d\ude00\u0041"}`, `{"s":"\ud800\u0041"}`,
		`{"n":-0.5e+10,"m":1E400}`, `{"t":true,"f":false}`, `{"a":[[[[1]]]]}`, `{"x":"\/\b\f\n\r\t"}`,
		`{"o":{"k":1,"k":2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // the callers refuse invalid UTF-8 first
		}
		got, jerr := decodeJSONObject(b)
		var want map[string]any
		werr := json.Unmarshal(b, &want)
		if werr == nil && firstNonSpace(b) != '{' {
			werr = errors.New("not an object") // e.g. null
		}
		switch {
		case jerr == nil && werr == nil:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decodeJSONObject(%q) = %#v, encoding/json gives %#v", b, got, want)
			}
		case jerr != nil && werr != nil:
		case jerr != nil && jerr.twice:
			if !hasDuplicate(b, jerr.dup) {
				t.Fatalf("decodeJSONObject(%q) reports %q twice in an object; it is not", b, jerr.dup)
			}
		case jerr != nil && (strings.Contains(jerr.msg, "nested deeper") || strings.Contains(jerr.msg, "unpaired surrogate")):
		case jerr != nil:
			t.Fatalf("decodeJSONObject(%q) refuses (%s) what encoding/json accepts", b, jerr.msg)
		default:
			t.Fatalf("decodeJSONObject(%q) accepts what encoding/json refuses (%v)", b, werr)
		}
		if jerr != nil && strings.Contains(jerr.msg, `"`) {
			t.Fatalf("error quotes the input: %s", jerr.msg)
		}
	})
}

// hasDuplicate reports, with encoding/json's tokenizer, whether name is a
// member name twice in one object of the JSON text b.
func hasDuplicate(b []byte, name string) bool {
	type frame struct {
		obj     bool
		wantKey bool
		seen    map[string]bool
	}
	var stack []*frame
	done := func() { // a value ended
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				if stack[n-1].seen[k] && k == name {
					return true
				}
				stack[n-1].seen[k] = true
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
	}
}

// FuzzSkimObject checks skimObject against decodeJSONObject: it accepts
// only texts decodeJSONObject accepts, every one of those with at most
// maxSkimMembers top-level members, and reads each wanted member as the
// map holds it: its kind, and the same string or number.
func FuzzSkimObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"a":1},"b":[1,{"a":2}]}`, `{"\u0061":1,"a":2}`,
		`{"iss":"x","sub":"\u0041b","jti":7}`, `{"iss":"x","o":{"k":1,"k":2}}`, `{"iss":"x"} x`, `{"iss":"x",}`,
		`{"n":-0.5e+10,"m":1E400}`, `{"t":true,"f":false,"z":null}`, `{"a":[[[[1]]]]}`, `{"iss":["x"]}`,
		`{"iss":"\ud800"}`, ` { "iss" : "a" , "sub" : "b" } `, `{"exp":1.5e9,"nbf":-0,"iat":true,"sub":null}`,
		`{"exp":1e400}`, `{"jti":{"a":[]},"iat":"1"}`} {
		f.Add([]byte(s))
	}
	want := []string{"iss", "sub", "jti", "exp", "nbf", "iat"}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		out := make([]Member, len(want))
		ok := skimObject(string(b), want, out)
		m, jerr := decodeJSONObject(b)
		if ok != (jerr == nil) && (ok || len(m) <= maxSkimMembers) {
			t.Fatalf("skimObject(%q) ok = %v, decodeJSONObject error %v", b, ok, jerr)
		}
		if !ok {
			return
		}
		for i, name := range want {
			raw, there := m[name]
			w := Member{}
			if there {
				w = MemberOf(raw)
			}
			if !sameMember(out[i], w) {
				t.Fatalf("skimObject(%q): %s = %+v, decodeJSONObject has %#v", b, name, out[i], raw)
			}
		}
	})
}

// TestSkimObjectKinds: each wanted member is read with its kind, and
// strings and numbers with their values; an absent one is Absent.
func TestSkimObjectKinds(t *testing.T) {
	doc := `{"s":"a\u0062","n":-1.5e3,"t":true,"f":false,"z":null,"a":[1,"x"],"o":{"k":{}},"other":7}`
	want := []string{"s", "n", "t", "f", "z", "a", "o", "gone"}
	out := make([]Member, len(want))
	if !skimObject(doc, want, out) {
		t.Fatal("skimObject refused a valid object")
	}
	wantOut := []Member{{Kind: String, Str: "ab"}, {Kind: Number, Num: -1500}, {Kind: Boolean}, {Kind: Boolean},
		{Kind: Null}, {Kind: Array}, {Kind: Object}, {}}
	for i := range want {
		if out[i] != wantOut[i] {
			t.Errorf("%s: %+v, want %+v", want[i], out[i], wantOut[i])
		}
	}
	for k, name := range map[Kind]string{Absent: "absent", String: "string", Number: "number", Boolean: "boolean", Null: "null", Array: "array", Object: "object"} {
		if k.String() != name {
			t.Errorf("Kind %d: %q, want %q", k, k.String(), name)
		}
	}
}

// TestSkimObjectManyMembers: past maxSkimMembers, skimObject declines
// (decodeJSONObject then decides), rather than compare names in
// quadratic time.
func TestSkimObjectManyMembers(t *testing.T) {
	var b strings.Builder
	b.WriteByte('{')
	for i := range maxSkimMembers + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"m` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteByte('}')
	if skimObject(b.String(), nil, nil) {
		t.Fatal("skimObject accepted an object of more than maxSkimMembers members")
	}
	if _, err := decodeJSONObject([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
}

// TestSkimObjectNumbers: skimObject converts the numbers that may be out
// of float64's range (an exponent, or more than 300 integer digits), and
// refuses those that are, as decodeJSONObject does.
func TestSkimObjectNumbers(t *testing.T) {
	for _, c := range []struct {
		num string
		ok  bool
	}{
		{"0", true}, {"-0.5", true}, {"1763990000", true}, {"1e308", true}, {"1e309", false}, {"-1E400", false},
		{strings.Repeat("9", 300), true}, {strings.Repeat("9", 309), false}, {strings.Repeat("9", 308) + ".5", true},
		{"01", false}, {"1.", false}, {"-", false}, {"1e", false},
	} {
		doc := `{"n":` + c.num + `}`
		ok := skimObject(doc, nil, nil)
		_, jerr := decodeJSONObject([]byte(doc))
		if ok != c.ok || (jerr == nil) != c.ok {
			t.Errorf("%.20s...: skimObject ok %v, decodeJSONObject error %v; want ok %v", c.num, ok, jerr, c.ok)
		}
	}
}

// TestDecodeJSON_empty_name_twice: the empty member name twice is a
// duplicate like any other (it was taken for "no duplicate" before, and
// the last value kept); FuzzSkimObject found it.
func TestDecodeJSON_empty_name_twice(t *testing.T) {
	for _, doc := range []string{`{"":0,"":1}`, `{"a":{"":0,"":1}}`} {
		if _, jerr := decodeJSONObject([]byte(doc)); jerr == nil || !jerr.twice || jerr.dup != "" {
			t.Errorf("decodeJSONObject(%s) = %+v, want the empty name twice", doc, jerr)
		}
	}
	jws := &JWS{payload: b64.EncodeToString([]byte(`{"":0,"":1}`))}
	if _, err := jws.Claims(); err == nil || !strings.Contains(err.Error(), `the claim '' twice`) {
		t.Errorf("Claims: %v", err)
	}
}

// TestFloatAsParseFloat: float's integer shortcut (smallInt) gives
// exactly what strconv.ParseFloat gives, the sign of zero included, at
// the 15-digit edge and past it, where float falls back to ParseFloat.
func TestFloatAsParseFloat(t *testing.T) {
	nums := []string{"0", "-0", "1", "-1", "7", "1764870000", "-1764870000", "999999999999999", "-999999999999999",
		"1000000000000000", "9007199254740993", "-9007199254740993", "123456789012345678901234567890", "1.5", "-0.0", "1e3", "1E+2", "0.1"}
	for i := int64(1); i < 1e15; i *= 7 {
		nums = append(nums, strconv.FormatInt(i, 10), strconv.FormatInt(-i-1, 10))
	}
	for _, num := range nums {
		p := jsonParser{s: num}
		got, err := p.float()
		want, werr := strconv.ParseFloat(num, 64)
		if err != nil || werr != nil || math.Float64bits(got) != math.Float64bits(want) || p.i != len(num) {
			t.Errorf("float(%s) = %v (%v, end %d), ParseFloat %v (%v)", num, got, err, p.i, want, werr)
		}
	}
}

// sameMember compares two Members, their numbers bit for bit (so that
// -0 and +0 differ).
func sameMember(a, b Member) bool {
	return a.Kind == b.Kind && a.Str == b.Str && math.Float64bits(a.Num) == math.Float64bits(b.Num)
}
