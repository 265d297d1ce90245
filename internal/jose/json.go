package jose

// This file is one JSON parser, written out rather than encoding/json for
// two reasons: JOSE needs it stricter (a member twice, an unpaired
// surrogate, excess nesting are errors, so that no two parsers read one
// signed text two ways), and it is on the hot path of every token not in
// the cache, where it costs a handful of allocations instead of dozens
// (BenchmarkVerify). It is one job, so it stays one file, over the usual
// length; FuzzDecodeJSON checks it against encoding/json.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of arrays and objects in a header or
// claims set. Real claims sets nest two or three levels (Keycloak's
// realm_access.roles); 32 leaves room and keeps a hostile token from
// costing more than its length.
const maxJSONDepth = 32

// jsonError says what is wrong with a JSON text. Its message never quotes
// the input: it names a byte offset or, for a duplicate, the member name.
type jsonError struct {
	msg string
	// dup is the first member name that appears twice in one object,
	// when that is the only problem; nested says that object is inside
	// another (a claim's value), not the top-level object; twice is
	// set for a duplicate (dup may be "", the empty name).
	dup           string
	nested, twice bool
}

// decodeJSONObject decodes b, which must be a JSON object (RFC 8259) in
// valid UTF-8, into the values encoding/json gives for a map[string]any:
// string, float64, bool, nil, []any and map[string]any.
//
// It is stricter than encoding/json where JOSE needs it to be, so that no
// two parsers can read one signed text two ways: a member name that
// appears twice in an object is an error (RFC 7515 §4, RFC 7519 §4 for the
// top level; encoding/json keeps the last one), and so are an unpaired
// surrogate escape (I-JSON, RFC 7493 §2.1; encoding/json makes it U+FFFD)
// and nesting deeper than maxJSONDepth. It replaces encoding/json on the hot path: one pass,
// and every string without escapes shares one copy of the input, so a
// claims set costs a handful of allocations instead of dozens.
func decodeJSONObject(b []byte) (map[string]any, *jsonError) { return decodeJSONText(string(b)) }

// decodeJSONText is decodeJSONObject of a string, whose strings without
// escapes the values share.
func decodeJSONText(s string) (map[string]any, *jsonError) {
	p := jsonParser{s: s}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, p.syntax()
	}
	m, err := p.object(true)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.syntax()
	}
	if p.twice {
		return nil, &jsonError{msg: "duplicate member", dup: p.dup, twice: true, nested: p.dupNested}
	}
	return m, nil
}

type jsonParser struct {
	s     string
	i     int
	depth int
	// dup is the first member name found twice in one object, and
	// dupNested whether that object was nested in another.
	dup       string
	dupNested bool
	// twice is set once a name was found twice: dup may be "", a name
	// like any other.
	twice bool
}

func (p *jsonParser) syntax() *jsonError {
	if p.i >= len(p.s) {
		return &jsonError{msg: "unexpected end of JSON input"}
	}
	return &jsonError{msg: fmt.Sprintf("syntax error at byte %d", p.i)}
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value decodes the value at p.i; the caller has skipped white space.
func (p *jsonParser) value() (any, *jsonError) {
	if p.i >= len(p.s) {
		return nil, p.syntax()
	}
	switch c := p.s[p.i]; {
	case c == '{':
		m, err := p.object(false)
		if err != nil {
			return nil, err
		}
		return m, nil
	case c == '[':
		a, err := p.array()
		if err != nil {
			return nil, err
		}
		return a, nil
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return nil, p.syntax()
}

func (p *jsonParser) literal(word string) *jsonError {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return p.syntax()
	}
	p.i += len(word)
	return nil
}

func (p *jsonParser) enter() *jsonError {
	p.depth++
	if p.depth > maxJSONDepth {
		return &jsonError{msg: fmt.Sprintf("nested deeper than %d levels at byte %d", maxJSONDepth, p.i)}
	}
	return nil
}

// object decodes the object at p.i. A member name seen twice is
// remembered in p.dup. top sizes the map for a claims set.
func (p *jsonParser) object(top bool) (map[string]any, *jsonError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '{'
	var m map[string]any
	if top {
		m = make(map[string]any, 8)
	} else {
		m = make(map[string]any)
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return m, nil
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.syntax()
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.syntax()
		}
		p.i++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if !p.twice {
			if _, seen := m[k]; seen {
				p.dup, p.dupNested, p.twice = k, !top, true
			}
		}
		m[k] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, p.syntax()
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			p.depth--
			return m, nil
		default:
			return nil, p.syntax()
		}
	}
}

func (p *jsonParser) array() ([]any, *jsonError) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // '['
	a := make([]any, 0, 4)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return a, nil
	}
	for {
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, p.syntax()
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return a, nil
		default:
			return nil, p.syntax()
		}
	}
}

// number decodes a number as encoding/json does into an interface: a
// float64. A number outside float64's range is an error, as there.
func (p *jsonParser) number() (any, *jsonError) {
	f, err := p.float()
	if err != nil {
		return nil, err
	}
	return f, nil
}

// float is number without the interface, which costs an allocation.
func (p *jsonParser) float() (float64, *jsonError) {
	start := p.i
	neg := p.s[p.i] == '-'
	if neg {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && '1' <= p.s[p.i] && p.s[p.i] <= '9':
		p.digits()
	default:
		return 0, p.syntax()
	}
	if f, ok := smallInt(p.s[start:p.i], neg); ok && (p.i >= len(p.s) || p.s[p.i] != '.' && p.s[p.i] != 'e' && p.s[p.i] != 'E') {
		return f, nil
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return 0, p.syntax()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return 0, p.syntax()
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return 0, &jsonError{msg: fmt.Sprintf("the number at byte %d is out of range", start)}
	}
	return f, nil
}

// smallInt is strconv.ParseFloat of num, an integer as float scans it
// (an optional '-' when neg, then digits), when it has at most 15
// digits: below 2^53, where the conversion is exact and ParseFloat gives
// the same float64. The claims read on every token (exp, nbf, iat) are
// such integers, and ParseFloat costs about as much as the rest of
// reading them.
func smallInt(num string, neg bool) (float64, bool) {
	digits := num
	if neg {
		digits = num[1:]
	}
	if len(digits) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		n = n*10 + int64(digits[i]-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), true
		}
		return float64(-n), true
	}
	return float64(n), true
}

func (p *jsonParser) digits() int {
	start := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// str decodes the string at p.i (which is '"'). A string without escapes
// is a substring of the input: no allocation.
func (p *jsonParser) str() (string, *jsonError) {
	p.i++ // '"'
	start := p.i
	// The common string: no escape and no control character before the
	// next quote, found with IndexByte.
	if end := strings.IndexByte(p.s[start:], '"'); end >= 0 && plainString(p.s[start:start+end]) {
		p.i = start + end + 1
		return p.s[start : start+end], nil
	}
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", &jsonError{msg: fmt.Sprintf("control character in a string at byte %d", p.i)}
		default:
			p.i++
		}
	}
	return "", p.syntax()
}

// plainString reports whether s holds no backslash and no control
// character (below 0x20): a JSON string's content as it reads.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}

// escaped finishes a string that holds an escape at p.i.
func (p *jsonParser) escaped(start int) (string, *jsonError) {
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", &jsonError{msg: fmt.Sprintf("control character in a string at byte %d", p.i)}
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", p.syntax()
		}
		esc := p.s[p.i+1]
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.s, p.i+2)
			if !ok {
				return "", &jsonError{msg: fmt.Sprintf("invalid \\u escape at byte %d", p.i)}
			}
			p.i += 6
			if 0xD800 <= r && r < 0xE000 {
				// A surrogate: valid only as a high one followed by an
				// escaped low one. An unpaired one is refused (I-JSON,
				// RFC 7493 §2.1): encoding/json would turn it into
				// U+FFFD, so that distinct signed values read the same.
				r2, ok := rune(0), false
				if r < 0xDC00 && p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					r2, ok = hex4(p.s, p.i+2)
				}
				if !ok || r2 < 0xDC00 || r2 >= 0xE000 {
					return "", &jsonError{msg: fmt.Sprintf("unpaired surrogate escape at byte %d (RFC 7493 §2.1)", p.i-6)}
				}
				r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				p.i += 6
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", &jsonError{msg: fmt.Sprintf("invalid escape at byte %d", p.i)}
		}
		p.i += 2
	}
	return "", p.syntax()
}

// hex4 reads four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// maxSkimMembers bounds the members skimObject tells apart by comparing
// names; an object with more is left to decodeJSONObject, whose map makes
// the duplicate check linear.
const maxSkimMembers = 32

// Kind is the JSON type of a member's value: what a value of
// decodeJSONObject's map holds, read without the map.
type Kind uint8

// The kinds of Member; Absent is a member that is not there.
const (
	Absent Kind = iota
	String
	Number
	Boolean
	Null
	Array
	Object
)

// String returns the kind as RFC 8259 names it ("string", "number",
// "boolean", "null", "array", "object"), or "absent".
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Number:
		return "number"
	case Boolean:
		return "boolean"
	case Null:
		return "null"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "absent"
}

// KindOf is the Kind of v, a value of decodeJSONObject's map (Object for
// a type it never holds).
func KindOf(v any) Kind {
	switch v.(type) {
	case nil:
		return Null
	case bool:
		return Boolean
	case float64:
		return Number
	case string:
		return String
	case []any:
		return Array
	}
	return Object
}

// Member is a top-level member of an object as the skim reads it: its
// kind and, for a string or a number, its value, which is the one
// decodeJSONObject's map holds.
type Member struct {
	Kind Kind
	Str  string
	Num  float64
}

// MemberOf is the Member for v, a value of decodeJSONObject's map.
func MemberOf(v any) Member {
	switch x := v.(type) {
	case string:
		return Member{Kind: String, Str: x}
	case float64:
		return Member{Kind: Number, Num: x}
	}
	return Member{Kind: KindOf(v)}
}

// skimObject reports whether decodeJSONObject would accept s, without
// building its map, and sets out[i] to the top-level member named
// want[i] (its Kind Absent when s has none).
// It is sound, not complete: ok is false for every text decodeJSONObject
// refuses, and also for some it accepts (more than maxSkimMembers
// members), so that a false ok means only "decode it to find out".
// Nested objects and arrays are decoded (and dropped) by the same code
// as decodeJSONObject's, so they are checked the same way. out is at
// least as long as want.
func skimObject(s string, want []string, out []Member) bool {
	for i := range want {
		out[i] = Member{}
	}
	p := jsonParser{s: s}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '{' || p.enter() != nil {
		return false
	}
	p.i++
	var names [maxSkimMembers]string
	seen := names[:0]
	// seenBits and wantBits hold a bit per name (nameBit) seen and wanted:
	// a name whose bit is clear in one is compared with none of it.
	var seenBits, wantBits uint64
	for _, w := range want {
		wantBits |= nameBit(w)
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return p.end()
	}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return false
		}
		k, err := p.str()
		if err != nil || len(seen) == maxSkimMembers {
			return false
		}
		bit := nameBit(k)
		if seenBits&bit != 0 {
			for _, n := range seen {
				if n == k {
					return false // a duplicate: decodeJSONObject words it
				}
			}
		}
		seenBits |= bit
		seen = append(seen, k)
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return false
		}
		p.i++
		p.space()
		at := -1
		if wantBits&bit != 0 {
			for j, w := range want {
				if w == k {
					at = j
					break
				}
			}
		}
		if !p.skimValue(out, at) {
			return false
		}
		p.space()
		if p.i >= len(p.s) {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return p.end()
		default:
			return false
		}
	}
}

// skimValue checks the value at p.i and, when at is not -1, reads it into
// out[at].
func (p *jsonParser) skimValue(out []Member, at int) bool {
	if p.i >= len(p.s) {
		return false
	}
	c := p.s[p.i]
	if at < 0 {
		if c == '"' {
			_, err := p.str()
			return err == nil
		}
		return p.skip() == nil
	}
	m := &out[at]
	switch {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return false
		}
		m.Kind, m.Str = String, s
		return true
	case c == '-' || '0' <= c && c <= '9':
		f, err := p.float()
		if err != nil {
			return false
		}
		m.Kind, m.Num = Number, f
		return true
	case c == 't' || c == 'f':
		m.Kind = Boolean
	case c == 'n':
		m.Kind = Null
	case c == '[':
		m.Kind = Array
	case c == '{':
		m.Kind = Object
	default:
		return false
	}
	return p.skip() == nil
}

// nameBit is one of 64 bits for a member name, from its length and its
// first and last bytes: the claims of a token (iss, sub, aud, exp, iat,
// jti, scope) fall on distinct bits.
func nameBit(k string) uint64 {
	if k == "" {
		return 1
	}
	return 1 << ((uint(len(k))*7 + uint(k[0]) + uint(k[len(k)-1])*3) & 63)
}

// end reports whether only white space follows the top-level object and
// no nested object had a member twice.
func (p *jsonParser) end() bool {
	p.space()
	return p.i == len(p.s) && !p.twice
}

// skip checks the value at p.i, which is not a string, as value does,
// without boxing a number or a literal.
func (p *jsonParser) skip() *jsonError {
	if p.i >= len(p.s) {
		return p.syntax()
	}
	switch c := p.s[p.i]; {
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.skipNumber()
	}
	_, err := p.value()
	return err
}

// skipNumber checks the number at p.i as float does. Without an exponent,
// a number of up to 300 integer digits is within float64's range, and is
// not converted; any other number is.
func (p *jsonParser) skipNumber() *jsonError {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	var n int
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
		n = 1
	case p.i < len(p.s) && '1' <= p.s[p.i] && p.s[p.i] <= '9':
		n = p.digits()
	default:
		return p.syntax()
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return p.syntax()
		}
	}
	if n <= 300 && (p.i >= len(p.s) || p.s[p.i] != 'e' && p.s[p.i] != 'E') {
		return nil
	}
	p.i = start
	_, err := p.float()
	return err
}
