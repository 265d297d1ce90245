package challenge

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Basic returns the RFC 7617 challenge `Basic realm="...", charset="UTF-8"`.
// The charset parameter tells clients to send user-id and password as UTF-8
// (§2.1); "UTF-8" is its only allowed value. Realm must not be empty and
// must pass Validate's header-safety rules. On error the Challenge is zero.
func Basic(realm string) (Challenge, error) {
	if realm == "" {
		return Challenge{}, fmt.Errorf("challenge: %w: Basic realm is empty", ErrInvalidValue)
	}
	c := Challenge{Scheme: "Basic", Params: []Param{{"realm", realm}, {"charset", "UTF-8"}}}
	if err := c.Validate(); err != nil {
		return Challenge{}, err
	}
	return c, nil
}

// Bearer error codes defined by RFC 6750 §3.1.
const (
	ErrorInvalidRequest    = "invalid_request"
	ErrorInvalidToken      = "invalid_token"
	ErrorInsufficientScope = "insufficient_scope"
)

// BearerParams are the auth-params of an RFC 6750 Bearer challenge. Empty
// fields are left out. Realm and ResourceMetadata describe the resource and
// belong on every Bearer challenge; Error, ErrorDescription, ErrorURI and
// Scope describe why a request failed and are omitted when the request had
// no credentials (RFC 6750 §3.1).
type BearerParams struct {
	Realm string
	// Scope is a space-separated list of scope tokens (RFC 6750 §3).
	Scope string
	// Error is an RFC 6750 §3.1 error code such as ErrorInvalidToken.
	Error string
	// ErrorDescription is a developer-facing sentence; it must never hold
	// the token or any other credential.
	ErrorDescription string
	// ErrorURI is an absolute URI of a page explaining the error.
	ErrorURI string
	// ResourceMetadata is the https URL (http to a loopback host in
	// development) of the RFC 9728 protected resource metadata document.
	ResourceMetadata string
}

// Bearer returns the RFC 6750 challenge for p, with the parameters in the
// order realm, scope, error, error_description, error_uri,
// resource_metadata. It fails if a value falls outside what CheckBearerParam
// allows for it, or if no parameter is set (§3: the scheme MUST be followed
// by one or more auth-params). On error the Challenge is zero.
func Bearer(p BearerParams) (Challenge, error) {
	c := Challenge{Scheme: "Bearer"}
	add := func(name, v string) {
		if v != "" {
			c.Params = append(c.Params, Param{name, v})
		}
	}
	add("realm", p.Realm)
	add("scope", p.Scope)
	add("error", p.Error)
	add("error_description", p.ErrorDescription)
	add("error_uri", p.ErrorURI)
	add("resource_metadata", p.ResourceMetadata)
	if err := c.Validate(); err != nil {
		return Challenge{}, err
	}
	return c, nil
}

// CheckBearerParam reports whether value fits what RFC 6750 §3 and RFC 9728
// §5.1 allow for the Bearer parameter name, ignoring case:
//
//   - error, error_description: %x20-21 / %x23-5B / %x5D-7E;
//   - scope: space-separated scope-tokens of %x21 / %x23-5B / %x5D-7E;
//   - error_uri: an absolute URI, of URI characters within
//     %x21 / %x23-5B / %x5D-7E;
//   - resource_metadata: an absolute https URL without user information
//     (http only to a loopback host: 127.0.0.0/8, ::1, localhost).
//
// Other names (realm included) are only checked for header safety. An empty
// value is accepted: it means "absent". Use it to check a value before
// adding it to a Bearer challenge with Challenge.With; Validate applies the
// same rules to every Bearer challenge.
func CheckBearerParam(name, value string) error {
	if value == "" {
		return nil
	}
	return checkBearerParam(name, value)
}

// checkBearerParam is CheckBearerParam for a value that is present, so an
// empty value fails where the parameter's grammar needs at least one
// character.
func checkBearerParam(name, value string) error {
	switch lowerASCII(name) {
	case "error", "error_description":
		// RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E (RFC 6749 A.7: 1*).
		if value == "" {
			return fmt.Errorf("challenge: %w: %s is empty", ErrInvalidValue, name)
		}
		return checkSet(name, value, 0x20)
	case "scope":
		// scope = scope-token *( SP scope-token );
		// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
		if err := checkSet(name, value, 0x20); err != nil {
			return err
		}
		if value == "" || value[0] == ' ' || value[len(value)-1] == ' ' || containsDoubleSpace(value) {
			return fmt.Errorf("challenge: %w: scope has an empty scope-token (empty value, leading, trailing or double space)", ErrInvalidValue)
		}
		return nil
	case "error_uri":
		// RFC 6750 §3: %x21 / %x23-5B / %x5D-7E, URI-reference syntax, and
		// "absolute URI".
		if err := checkSet(name, value, 0x21); err != nil {
			return err
		}
		if _, err := parseAbsURI(value); err != nil {
			return fmt.Errorf("challenge: %w: error_uri must be an absolute URI: %v", ErrInvalidValue, err)
		}
		return nil
	case "resource_metadata":
		// RFC 9728 §5.1: the URL of the resource's metadata, which §3 puts
		// under https; http only to a loopback host, for development (a
		// client on the same machine, as RFC 8252 §8.3 allows for
		// redirects). User information would put a credential in every
		// 401, so it is refused.
		if err := checkSet(name, value, 0x21); err != nil {
			return err
		}
		u, err := parseAbsURI(value)
		if err == nil && (u.Host == "" || (u.Scheme != "https" && (u.Scheme != "http" || !isLoopbackHost(u.Hostname())))) {
			err = fmt.Errorf("not an https URL with a host")
		}
		if err == nil && u.User != nil {
			err = fmt.Errorf("it holds user information")
		}
		if err != nil {
			return fmt.Errorf("challenge: %w: resource_metadata must be an absolute https URL, or http to a loopback host (RFC 9728 §5.1): %v", ErrInvalidValue, err)
		}
		return nil
	}
	if k := invalidByte(value); k >= 0 {
		return fmt.Errorf("challenge: %w: %+q has byte 0x%02x at offset %d", ErrInvalidValue, safeQuote(name), value[k], k)
	}
	return nil
}

// checkSet checks value against %x<min>-21 / %x23-5B / %x5D-7E, the sets of
// RFC 6750 §3 (min is 0x20 where SP is allowed, 0x21 where it is not).
func checkSet(name, value string, min byte) error {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < min || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("challenge: %w: %s has byte 0x%02x at offset %d, outside RFC 6750 §3's set", ErrInvalidValue, name, c, i)
		}
	}
	return nil
}

func containsDoubleSpace(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' && s[i-1] == ' ' {
			return true
		}
	}
	return false
}

// parseAbsURI checks that s is made of RFC 3986 characters with well-formed
// percent-encodings, and parses it as an absolute URI. net/url alone lets
// through characters such as '<', '{' or '|' that no URI contains.
func parseAbsURI(s string) (*url.URL, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, fmt.Errorf("bad percent-encoding at offset %d", i)
			}
			i += 2
			continue
		}
		if !isURIChar(c) {
			return nil, fmt.Errorf("byte 0x%02x at offset %d is not a URI character", c, i)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("not a URI")
	}
	if !u.IsAbs() {
		return nil, fmt.Errorf("no scheme")
	}
	return u, nil
}

// isURIChar reports unreserved and reserved characters (RFC 3986 §2.2, §2.3).
func isURIChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', ':', '/', '?', '#', '[', ']', '@',
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

// validateBasic applies RFC 7617 §2 and §2.1 to a Basic challenge (c has
// passed the generic checks; credentials in token68 form need nothing more).
func validateBasic(c Challenge) error {
	if c.Token68 != "" {
		return nil
	}
	if realm, ok := c.Param("realm"); !ok || realm == "" {
		return fmt.Errorf("challenge: %w: a Basic challenge needs a non-empty realm (RFC 7617 §2)", ErrSyntax)
	}
	if cs, ok := c.Param("charset"); ok && !equalFold(cs, "UTF-8") {
		return fmt.Errorf("challenge: %w: Basic charset must be \"UTF-8\" (RFC 7617 §2.1)", ErrInvalidValue)
	}
	return nil
}

// validateBearer applies RFC 6750 §3 and RFC 9728 §5.1 to a Bearer
// challenge (c has passed the generic checks, so each name appears once).
func validateBearer(c Challenge) error {
	if c.Token68 != "" {
		return nil
	}
	if len(c.Params) == 0 {
		return fmt.Errorf("challenge: %w: a Bearer challenge needs at least one parameter (RFC 6750 §3)", ErrSyntax)
	}
	for _, p := range c.Params {
		if err := checkBearerParam(p.Name, p.Value); err != nil {
			return err
		}
	}
	return nil
}

// isLoopbackHost reports whether host (no port) is localhost or a
// loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
