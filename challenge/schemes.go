package challenge

import (
	"fmt"
	"net/url"
	"strings"
)

// Basic returns the RFC 7617 challenge `Basic realm="...", charset="UTF-8"`.
// The charset parameter tells clients to send user-id and password as UTF-8
// (§2.1); "UTF-8" is its only allowed value. Realm must not be empty.
func Basic(realm string) (Challenge, error) {
	if realm == "" {
		return Challenge{}, fmt.Errorf("challenge: %w: Basic realm is empty", ErrInvalidValue)
	}
	c := Challenge{Scheme: "Basic", Params: []Param{{"realm", realm}, {"charset", "UTF-8"}}}
	return c, c.Validate()
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
	// ResourceMetadata is the https URL of the RFC 9728 protected resource
	// metadata document.
	ResourceMetadata string
}

// Bearer returns the RFC 6750 challenge for p, or an error if a value falls
// outside the character set RFC 6750 §3 allows for it, or if no parameter is
// set (§3: the scheme MUST be followed by one or more auth-params).
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
	if len(c.Params) == 0 {
		return Challenge{}, fmt.Errorf("challenge: %w: a Bearer challenge needs at least one parameter (RFC 6750 §3)", ErrSyntax)
	}
	if err := CheckBearerParam("error", p.Error); err != nil {
		return Challenge{}, err
	}
	if err := CheckBearerParam("error_description", p.ErrorDescription); err != nil {
		return Challenge{}, err
	}
	if err := CheckBearerParam("scope", p.Scope); err != nil {
		return Challenge{}, err
	}
	if err := CheckBearerParam("error_uri", p.ErrorURI); err != nil {
		return Challenge{}, err
	}
	if p.ResourceMetadata != "" {
		u, err := url.Parse(p.ResourceMetadata)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return Challenge{}, fmt.Errorf("challenge: %w: resource_metadata must be an absolute https URL (RFC 9728 §5.1)", ErrInvalidValue)
		}
	}
	return c, c.Validate()
}

// CheckBearerParam reports whether value fits the character set RFC 6750 §3
// gives the Bearer parameter name ("error", "error_description", "scope" or
// "error_uri"); other names are only checked for header safety. An empty
// value is accepted (it means "absent").
func CheckBearerParam(name, value string) error {
	if value == "" {
		return nil
	}
	var ok func(c byte) bool
	switch strings.ToLower(name) {
	case "error", "error_description":
		// %x20-21 / %x23-5B / %x5D-7E
		ok = func(c byte) bool { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' }
	case "error_uri":
		// %x21 / %x23-5B / %x5D-7E, and an absolute URI.
		ok = func(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }
	case "scope":
		// scope-token *( SP scope-token ); scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
		for _, tok := range strings.Split(value, " ") {
			if tok == "" {
				return fmt.Errorf("challenge: %w: scope has an empty scope-token (leading, trailing or double space)", ErrInvalidValue)
			}
		}
		ok = func(c byte) bool { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' }
	default:
		ok = func(c byte) bool { return c >= 0x20 && c < 0x7f }
	}
	for i := 0; i < len(value); i++ {
		if !ok(value[i]) {
			return fmt.Errorf("challenge: %w: %s has byte 0x%02x at offset %d, outside RFC 6750 §3's set", ErrInvalidValue, name, value[i], i)
		}
	}
	if strings.EqualFold(name, "error_uri") {
		if u, err := url.Parse(value); err != nil || !u.IsAbs() {
			return fmt.Errorf("challenge: %w: error_uri must be an absolute URI", ErrInvalidValue)
		}
	}
	return nil
}
