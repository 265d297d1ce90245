package verifiers

import (
	"net/http"
	"strings"
)

// Authorization returns the credentials part of the request's Authorization
// field when its scheme is scheme (case-insensitive, RFC 9110 §11.1), with
// surrounding spaces removed, and ok = true. The credentials may be empty
// ("Authorization: Bearer"), which verifiers should reject as
// RequestMalformed. When the field is absent or names another scheme it
// returns "", false.
//
// The gate has already refused requests with more than one Authorization
// field or an oversized one before a verifier runs.
func Authorization(r *http.Request, scheme string) (credentials string, ok bool) {
	v := r.Header.Get("Authorization")
	s, rest := SplitAuthorization(v)
	if s == "" || !strings.EqualFold(s, scheme) {
		return "", false
	}
	return rest, true
}

// SplitAuthorization splits an Authorization field value into its scheme and
// the rest, trimmed of spaces and tabs: "Bearer  abc " gives "Bearer", "abc".
func SplitAuthorization(v string) (scheme, rest string) {
	v = strings.Trim(v, " \t")
	// Two IndexByte calls rather than IndexAny: a token is hundreds of
	// bytes, and IndexByte scans them many at a time. The tab is looked
	// for only before the first space.
	i := strings.IndexByte(v, ' ')
	end := i
	if end < 0 {
		end = len(v)
	}
	if j := strings.IndexByte(v[:end], '\t'); j >= 0 {
		i = j
	}
	if i < 0 {
		return v, ""
	}
	return v[:i], strings.Trim(v[i:], " \t")
}
