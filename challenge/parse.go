package challenge

import (
	"fmt"
	"strings"
)

// MaxFieldLength bounds the input of Parse and ParseCredentials, in bytes
// summed over all field values. Longer input fails with ErrTooLarge before
// any parsing.
const MaxFieldLength = 16 << 10

// ParseError describes where and why a field value failed to parse. Err is
// ErrSyntax, ErrDuplicateParam or ErrTooLarge, for errors.Is.
type ParseError struct {
	Field  int    // index of the field value (line) the error is in, 0 for ParseCredentials
	Offset int    // byte offset of the problem in that field value
	Msg    string // what is wrong; it never quotes ParseCredentials input
	Err    error  // ErrSyntax, ErrDuplicateParam or ErrTooLarge
}

// Error returns the message with its position, such as
// "challenge: syntax error: unterminated quoted-string at byte 17 of field 0".
func (e *ParseError) Error() string {
	if e.Err == ErrTooLarge {
		return fmt.Sprintf("challenge: %v: %s", e.Err, e.Msg)
	}
	return fmt.Sprintf("challenge: %v: %s at byte %d of field %d", e.Err, e.Msg, e.Offset, e.Field)
}

// Unwrap returns the sentinel error (ErrSyntax, ErrDuplicateParam, ErrTooLarge).
func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses WWW-Authenticate (or Proxy-Authenticate) field values, one
// string per field line, into their challenges in order (RFC 9110 §11.6.1):
// pass http.Header.Values("WWW-Authenticate"). A field may hold several
// comma-separated challenges, and quoted-strings may hold commas. Scheme and
// parameter names are returned as sent and values unescaped; compare names
// with Challenge.Is and Challenge.Param. A parameter repeated within a
// challenge is an error wrapping ErrDuplicateParam; a field line holding no
// challenge at all (empty, or only commas) is an error wrapping ErrSyntax;
// no field at all gives no challenge and no error. Input longer than
// MaxFieldLength in total fails with ErrTooLarge. Every error is a
// *ParseError. Parse never panics.
func Parse(fields ...string) ([]Challenge, error) {
	total := 0
	for _, f := range fields {
		total += len(f)
	}
	if total > MaxFieldLength {
		return nil, &ParseError{Msg: fmt.Sprintf("%d bytes, limit %d", total, MaxFieldLength), Err: ErrTooLarge}
	}
	var out []Challenge
	for i, f := range fields {
		p := parser{s: f, field: i}
		cs, err := p.list()
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// ParseCredentials parses one Authorization (or Proxy-Authorization) field
// value: a scheme followed by a token68 or by auth-params (RFC 9110 §11.4),
// such as "Basic dXNlcjpwYXNz" or "Bearer abc.def.ghi". Credentials share
// the challenge syntax, so the result is a Challenge; check its Scheme and
// that Token68 is set where the scheme expects one. Surrounding spaces are
// ignored; anything after the credentials (such as a second scheme) is an
// error. Errors are *ParseError values whose message never holds any byte
// of the input, since that input is a credential. Note that a bare token
// with no scheme parses as a Scheme holding the token: do not log Scheme
// before checking it against the schemes you know.
func ParseCredentials(field string) (Challenge, error) {
	if len(field) > MaxFieldLength {
		return Challenge{}, &ParseError{Msg: fmt.Sprintf("%d bytes, limit %d", len(field), MaxFieldLength), Err: ErrTooLarge}
	}
	p := parser{s: field, redact: true}
	p.skipOWS()
	c, err := p.challenge()
	if err != nil {
		return Challenge{}, err
	}
	p.skipOWS()
	if p.i != len(p.s) {
		return Challenge{}, p.errf(ErrSyntax, "unexpected character after the credentials%s", p.found())
	}
	return c, nil
}

type parser struct {
	s      string
	i      int
	field  int
	redact bool // never quote input in errors (it is a credential)
}

func (p *parser) errf(err error, format string, args ...any) error {
	return p.errAt(p.i, err, format, args...)
}

func (p *parser) errAt(off int, err error, format string, args ...any) error {
	return &ParseError{Field: p.field, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
}

// found describes the byte at p.i for an error message: ", found 'x'", or
// ", found end of input". It says nothing when the input is a credential.
func (p *parser) found() string {
	switch {
	case p.i >= len(p.s):
		return ", found end of input"
	case p.redact:
		return ""
	}
	if c := p.s[p.i]; c >= 0x20 && c < 0x7f {
		return fmt.Sprintf(", found %q", c)
	}
	return fmt.Sprintf(", found byte 0x%02x", p.s[p.i])
}

// name quotes a scheme or parameter name for an error message, unless the
// input is a credential.
func (p *parser) name(s string) string {
	if p.redact {
		return ""
	}
	return fmt.Sprintf(" %q", safeQuote(s))
}

// ctl names a control byte for an error message, unless the input is a
// credential.
func (p *parser) ctl(c byte) string {
	if p.redact {
		return ""
	}
	return fmt.Sprintf(" 0x%02x", c)
}

func (p *parser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) atEnd() bool { return p.i >= len(p.s) }

func (p *parser) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// list parses #challenge: challenges separated by commas, with empty list
// elements allowed (RFC 9110 §5.6.1).
func (p *parser) list() ([]Challenge, error) {
	var out []Challenge
	for {
		p.skipOWS()
		for p.peek() == ',' {
			p.i++
			p.skipOWS()
		}
		if p.atEnd() {
			if len(out) == 0 {
				return nil, p.errf(ErrSyntax, "no challenge in the field")
			}
			return out, nil
		}
		c, err := p.challenge()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.skipOWS()
		if p.atEnd() {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, p.errf(ErrSyntax, "expected ',' between challenges%s", p.found())
		}
	}
}

// challenge parses auth-scheme [ 1*SP ( token68 / #auth-param ) ]. On
// return p.i is at the end, or at the ',' that separates it from what
// follows (which may be the next challenge).
func (p *parser) challenge() (Challenge, error) {
	var c Challenge
	if c.Scheme = p.token(); c.Scheme == "" {
		return c, p.errf(ErrSyntax, "expected an auth-scheme%s", p.found())
	}
	switch p.peek() {
	case ' ':
	case '\t':
		// HTAB is OWS but not the 1*SP that must come before a token68 or
		// auth-params; after a bare scheme it is only trailing OWS.
		tab := p.i
		p.skipOWS()
		if !p.atEnd() && p.peek() != ',' {
			return c, p.errAt(tab, ErrSyntax, "auth-scheme must be followed by a space, not a tab")
		}
		return c, nil
	default:
		if p.atEnd() || p.peek() == ',' {
			return c, nil
		}
		return c, p.errf(ErrSyntax, "invalid character in auth-scheme%s", p.found())
	}
	for p.peek() == ' ' {
		p.i++
	}
	if p.atEnd() || p.peek() == ',' {
		return c, nil
	}
	if p.isParamAhead() {
		return c, p.params(&c)
	}
	start := p.i
	for p.i < len(p.s) && isToken68Char(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return c, p.errf(ErrSyntax, "expected token68 or auth-param%s", p.found())
	}
	for p.i < len(p.s) && p.s[p.i] == '=' {
		p.i++
	}
	c.Token68 = p.s[start:p.i]
	p.skipOWS()
	if !p.atEnd() && p.peek() != ',' {
		return c, p.errf(ErrSyntax, "unexpected character after token68%s", p.found())
	}
	return c, nil
}

// isParamAhead reports whether the input at p.i is `token BWS "=" BWS
// ( token / quoted-string )`, rather than a token68 whose padding ends in
// '=' (a token68 has nothing but '=' after its first '=').
func (p *parser) isParamAhead() bool {
	q := *p
	if q.token() == "" {
		return false
	}
	q.skipOWS()
	if q.peek() != '=' {
		return false
	}
	q.i++
	q.skipOWS()
	c := q.peek()
	return !q.atEnd() && (c == '"' || isTchar(c))
}

// params parses #auth-param for c until the next challenge or the end.
func (p *parser) params(c *Challenge) error {
	var seen nameSet
	for {
		nameAt := p.i
		name := p.token()
		p.skipOWS()
		p.i++ // '=' (checked by isParamAhead)
		p.skipOWS()
		var val string
		if p.peek() == '"' {
			v, err := p.quoted()
			if err != nil {
				return err
			}
			val = v
		} else {
			val = p.token()
		}
		if !seen.add(name) {
			return p.errAt(nameAt, ErrDuplicateParam, "parameter%s repeated in one challenge", p.name(name))
		}
		c.Params = append(c.Params, Param{Name: name, Value: val})
		// After a param: end, or a comma followed by another param of this
		// challenge, empty elements, or the next challenge.
		p.skipOWS()
		if p.atEnd() {
			return nil
		}
		if p.peek() != ',' {
			return p.errf(ErrSyntax, "expected ',' after auth-param%s%s", p.name(name), p.found())
		}
		save := p.i
		for p.peek() == ',' {
			p.i++
			p.skipOWS()
		}
		if p.atEnd() {
			return nil
		}
		if !p.isParamAhead() {
			p.i = save // the next challenge starts after this comma
			return nil
		}
	}
}

// quoted parses a quoted-string and returns its unescaped value. HTAB, SP,
// visible ASCII and obs-text are allowed inside (RFC 9110 §5.6.4); other
// control characters are not.
func (p *parser) quoted() (string, error) {
	open := p.i
	p.i++ // opening quote
	var b strings.Builder
	start := p.i
	escaped := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !escaped {
				return p.s[start : p.i-1], nil
			}
			return b.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errAt(open, ErrSyntax, "unterminated quoted-string (ends in a backslash)")
			}
			n := p.s[p.i+1]
			if (n < 0x20 && n != '\t') || n == 0x7f {
				p.i++
				return "", p.errf(ErrSyntax, "control character%s in quoted-pair", p.ctl(n))
			}
			if !escaped {
				b.WriteString(p.s[start:p.i])
				escaped = true
			}
			b.WriteByte(n)
			p.i += 2
		case (c < 0x20 && c != '\t') || c == 0x7f:
			return "", p.errf(ErrSyntax, "control character%s in quoted-string", p.ctl(c))
		default:
			if escaped {
				b.WriteByte(c)
			}
			p.i++
		}
	}
	return "", p.errAt(open, ErrSyntax, "unterminated quoted-string")
}
