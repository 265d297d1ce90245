package challenge

import (
	"errors"
	"fmt"
	"strings"
)

// Param is one auth-param: a case-insensitive name and its unescaped value.
type Param struct {
	Name  string
	Value string
}

// Challenge is one authentication challenge (RFC 9110 §11.3) or, with the
// same syntax, one set of credentials (§11.4): a scheme followed by either a
// token68 or a list of auth-params. At most one of Token68 and Params is set.
type Challenge struct {
	// Scheme is the authentication scheme, such as "Basic" or "Bearer".
	// Schemes compare case-insensitively; see Is.
	Scheme string
	// Token68 is the token68 form of the challenge or credentials, such as
	// the base64 of Basic credentials or a Bearer token.
	Token68 string
	// Params are the auth-params, in order. Names compare
	// case-insensitively and must be unique.
	Params []Param
}

var (
	// ErrInvalidScheme reports a scheme that is not an RFC 9110 token.
	ErrInvalidScheme = errors.New("invalid auth-scheme")
	// ErrInvalidParam reports a parameter name that is not a token.
	ErrInvalidParam = errors.New("invalid auth-param name")
	// ErrInvalidValue reports a value with bytes that may not appear in a
	// header, or that break the character set or form its parameter
	// requires.
	ErrInvalidValue = errors.New("invalid value")
	// ErrDuplicateParam reports a parameter that appears twice in one
	// challenge (RFC 9110 §11.2).
	ErrDuplicateParam = errors.New("duplicate auth-param")
	// ErrSyntax reports a field value that does not follow the grammar of
	// RFC 9110 §11, or a challenge missing what its scheme requires.
	ErrSyntax = errors.New("syntax error")
	// ErrTooLarge reports input over MaxFieldLength.
	ErrTooLarge = errors.New("field value too large")
)

// Is reports whether the challenge's scheme is scheme, ignoring ASCII case
// (RFC 9110 §11.1).
func (c Challenge) Is(scheme string) bool { return equalFold(c.Scheme, scheme) }

// Param returns the value of the parameter named name, ignoring ASCII case,
// and whether it is present.
func (c Challenge) Param(name string) (string, bool) {
	for _, p := range c.Params {
		if equalFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// With returns a copy of c with params appended. The original's Params
// slice is never modified. Validity is checked by Validate and Format, so a
// parameter that c already has makes Format fail with ErrDuplicateParam.
func (c Challenge) With(params ...Param) Challenge {
	ps := make([]Param, 0, len(c.Params)+len(params))
	ps = append(ps, c.Params...)
	c.Params = append(ps, params...)
	return c
}

// Validate reports whether c can be formatted: the scheme and parameter
// names are tokens, Token68 matches the token68 grammar, at most one of
// Token68 and Params is set, no parameter name repeats, and no value holds
// a control character (HTAB included) or a non-ASCII byte. For the Basic and
// Bearer schemes it also applies the rules listed in the package
// documentation (RFC 7617 §2, RFC 6750 §3, RFC 9728 §5.1).
func (c Challenge) Validate() error {
	if !isToken(c.Scheme) {
		return fmt.Errorf("challenge: %w %+q", ErrInvalidScheme, safeQuote(c.Scheme))
	}
	if c.Token68 != "" {
		if len(c.Params) > 0 {
			return fmt.Errorf("challenge: %w: both token68 and auth-params set", ErrSyntax)
		}
		if !isToken68(c.Token68) {
			// The token68 may be a credential: say nothing of its content.
			return fmt.Errorf("challenge: %w: token68 has a character outside its grammar", ErrInvalidValue)
		}
		return nil
	}
	var seen nameSet
	for _, p := range c.Params {
		if !isToken(p.Name) {
			return fmt.Errorf("challenge: %w %+q", ErrInvalidParam, safeQuote(p.Name))
		}
		if !seen.add(p.Name) {
			return fmt.Errorf("challenge: %w %+q", ErrDuplicateParam, safeQuote(p.Name))
		}
		if k := invalidByte(p.Value); k >= 0 {
			return fmt.Errorf("challenge: %w: parameter %q has byte 0x%02x at offset %d", ErrInvalidValue, safeQuote(p.Name), p.Value[k], k)
		}
	}
	switch {
	case c.Is("Basic"):
		return validateBasic(c)
	case c.Is("Bearer"):
		return validateBearer(c)
	}
	return nil
}

// Format returns the field value of c, such as
// `Bearer realm="api", error="invalid_token"`, or an error if Validate fails.
func (c Challenge) Format() (string, error) {
	b, err := c.AppendFormat(nil)
	return string(b), err
}

// AppendFormat appends the formatted challenge to dst and returns the
// extended buffer. On error dst is returned unchanged. Use it to format
// into a reused buffer.
func (c Challenge) AppendFormat(dst []byte) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return dst, err
	}
	dst = append(dst, c.Scheme...)
	if c.Token68 != "" {
		dst = append(dst, ' ')
		return append(dst, c.Token68...), nil
	}
	for i, p := range c.Params {
		if i == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ", "...)
		}
		dst = append(dst, p.Name...)
		dst = append(dst, '=', '"')
		for k := 0; k < len(p.Value); k++ {
			if ch := p.Value[k]; ch == '"' || ch == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, p.Value[k])
		}
		dst = append(dst, '"')
	}
	return dst, nil
}

// FormatAll formats several challenges as one field value, comma separated.
// It fails when cs is empty, since a WWW-Authenticate field carries at least
// one challenge (RFC 9110 §11.6.1). Prefer one field line per challenge
// (Format, RFC 9110 §11.6.1 note): some clients read only the first
// challenge of a field.
func FormatAll(cs ...Challenge) (string, error) {
	if len(cs) == 0 {
		return "", fmt.Errorf("challenge: %w: no challenge to format", ErrSyntax)
	}
	var b []byte
	for i, c := range cs {
		if i > 0 {
			b = append(b, ", "...)
		}
		var err error
		if b, err = c.AppendFormat(b); err != nil {
			return "", err
		}
	}
	return string(b), nil
}

// tchar per RFC 9110 §5.6.2.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// isToken68 reports whether s matches 1*( ALPHA / DIGIT / "-" / "." / "_" /
// "~" / "+" / "/" ) *"=" (RFC 9110 §11.2).
func isToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

// invalidByte returns the offset of the first byte of s that may not be
// written into a header value by this package (controls including HTAB,
// DEL, non-ASCII), or -1.
func invalidByte(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return i
		}
	}
	return -1
}

// equalFold compares ASCII case-insensitively. strings.EqualFold would also
// fold Unicode (the Kelvin sign matches "k"), which RFC 9110 names do not.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// nameSet records parameter names case-insensitively. The common handful
// of names is compared linearly; beyond that a map keeps hostile input with
// thousands of parameters linear instead of quadratic.
type nameSet struct {
	small [nameSetSmall]string
	n     int
	m     map[string]struct{}
}

const nameSetSmall = 8

// add records name and reports whether it was new.
func (s *nameSet) add(name string) bool {
	if s.m == nil {
		for _, n := range s.small[:s.n] {
			if equalFold(n, name) {
				return false
			}
		}
		if s.n < nameSetSmall {
			s.small[s.n] = name
			s.n++
			return true
		}
		s.m = make(map[string]struct{}, 4*nameSetSmall)
		for _, n := range s.small {
			s.m[strings.ToLower(n)] = struct{}{}
		}
	}
	k := strings.ToLower(name)
	if _, dup := s.m[k]; dup {
		return false
	}
	s.m[k] = struct{}{}
	return true
}

// safeQuote bounds s for an error message; %+q then makes it printable
// ASCII.
func safeQuote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
