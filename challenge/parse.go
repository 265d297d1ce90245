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
	Field  int // index of the field value (line) the error is in
	Offset int // byte offset in that field value
	Msg    string
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("challenge: %s: %s at byte %d of field %d", e.Err, e.Msg, e.Offset, e.Field)
}

// Unwrap returns the sentinel error (ErrSyntax, ErrDuplicateParam, ErrTooLarge).
func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses WWW-Authenticate (or Proxy-Authenticate) field values, one
// string per field line, into their challenges in order (RFC 9110 §11.6.1).
// A field may hold several comma-separated challenges and quoted-strings may
// hold commas. Scheme and parameter names are returned as sent; compare
// them with Challenge.Is and Challenge.Param. A parameter repeated within a
// challenge is an error wrapping ErrDuplicateParam. Parse never panics.
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
// value: a scheme followed by a token68 or by auth-params (RFC 9110 §11.4).
// Credentials share the challenge syntax, so the result is a Challenge.
// Anything after the credentials (such as a second scheme) is an error.
func ParseCredentials(field string) (Challenge, error) {
	if len(field) > MaxFieldLength {
		return Challenge{}, &ParseError{Msg: fmt.Sprintf("%d bytes, limit %d", len(field), MaxFieldLength), Err: ErrTooLarge}
	}
	p := parser{s: field}
	p.skipOWS()
	c, err := p.challenge()
	if err != nil {
		return Challenge{}, err
	}
	p.skipOWS()
	if p.i != len(p.s) {
		return Challenge{}, p.errf(ErrSyntax, "unexpected %q after the credentials", p.s[p.i])
	}
	return c, nil
}

type parser struct {
	s     string
	i     int
	field int
}

func (p *parser) errf(err error, format string, args ...any) error {
	return &ParseError{Field: p.field, Offset: p.i, Msg: fmt.Sprintf(format, args...), Err: err}
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
		if p.i == len(p.s) {
			if len(out) == 0 {
				return nil, p.errf(ErrSyntax, "no challenge")
			}
			return out, nil
		}
		c, err := p.challenge()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.skipOWS()
		if p.i == len(p.s) {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, p.errf(ErrSyntax, "expected ',' between challenges, found %q", p.peek())
		}
	}
}

// challenge parses auth-scheme [ 1*SP ( token68 / #auth-param ) ]. On
// return p.i is at the end, or at the ',' that separates it from what
// follows (which may be the next challenge).
func (p *parser) challenge() (Challenge, error) {
	var c Challenge
	if c.Scheme = p.token(); c.Scheme == "" {
		return c, p.errf(ErrSyntax, "expected an auth-scheme, found %q", p.peek())
	}
	if p.peek() != ' ' {
		if p.i == len(p.s) || p.peek() == ',' || p.peek() == '\t' {
			if p.peek() == '\t' { // HTAB is OWS but not the 1*SP after a scheme
				p.skipOWS()
				if p.i != len(p.s) && p.peek() != ',' {
					return c, p.errf(ErrSyntax, "auth-scheme must be followed by a space")
				}
			}
			return c, nil
		}
		return c, p.errf(ErrSyntax, "invalid character %q in auth-scheme", p.peek())
	}
	for p.peek() == ' ' {
		p.i++
	}
	if p.i == len(p.s) || p.peek() == ',' {
		return c, nil
	}
	if p.isParamAhead() {
		return c, p.params(&c)
	}
	start := p.i
	for p.i < len(p.s) && isToken68Char(p.s[p.i]) {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] == '=' {
		p.i++
	}
	if p.i == start {
		return c, p.errf(ErrSyntax, "expected token68 or auth-param, found %q", p.peek())
	}
	c.Token68 = p.s[start:p.i]
	p.skipOWS()
	if p.i != len(p.s) && p.peek() != ',' {
		return c, p.errf(ErrSyntax, "unexpected %q after token68", p.peek())
	}
	return c, nil
}

// isParamAhead reports whether the input at p.i is `token BWS "=" BWS
// ( token / quoted-string )`, rather than a token68 whose padding ends in '='.
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
	return c == '"' || (c != '=' && isTchar(c))
}

// params parses #auth-param for c until the next challenge or the end.
func (p *parser) params(c *Challenge) error {
	for {
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
		for _, prev := range c.Params {
			if strings.EqualFold(prev.Name, name) {
				return p.errf(ErrDuplicateParam, "parameter %q repeated in %s challenge", name, c.Scheme)
			}
		}
		c.Params = append(c.Params, Param{Name: name, Value: val})
		// After a param: end, or a comma followed by another param of this
		// challenge, empty elements, or the next challenge.
		p.skipOWS()
		if p.i == len(p.s) {
			return nil
		}
		if p.peek() != ',' {
			return p.errf(ErrSyntax, "expected ',' after auth-param %q, found %q", name, p.peek())
		}
		save := p.i
		for p.peek() == ',' {
			p.i++
			p.skipOWS()
		}
		if p.i == len(p.s) {
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
				return "", p.errf(ErrSyntax, "unterminated quoted-pair")
			}
			n := p.s[p.i+1]
			if (n < 0x20 && n != '\t') || n == 0x7f {
				p.i++
				return "", p.errf(ErrSyntax, "control character 0x%02x in quoted-pair", n)
			}
			if !escaped {
				b.WriteString(p.s[start:p.i])
				escaped = true
			}
			b.WriteByte(n)
			p.i += 2
		case (c < 0x20 && c != '\t') || c == 0x7f:
			return "", p.errf(ErrSyntax, "control character 0x%02x in quoted-string", c)
		default:
			if escaped {
				b.WriteByte(c)
			}
			p.i++
		}
	}
	return "", p.errf(ErrSyntax, "unterminated quoted-string")
}
