package middleware

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// proxyHeaders are headers that proxies and gateways use when they move the
// Authorization field aside.
var proxyHeaders = []string{
	"X-Forwarded-Authorization",
	"X-Original-Authorization",
	"X-Authorization",
	"X-Amzn-Remapped-Authorization",
	"X-Auth-Request-Access-Token",
	"X-Forwarded-Access-Token",
}

// queryTokenParams are query parameters clients commonly put tokens in.
var queryTokenParams = []string{"access_token", "token", "api_key", "apikey", "key", "jwt"}

// missingHint explains a request that reached the gate without
// credentials, when the request shows why.
func missingHint(r *http.Request) string {
	if len(r.Header) > 0 {
		for i, h := range proxyHeaders {
			// The names are canonical: index the map directly.
			if v := r.Header[h]; len(v) > 0 && v[0] != "" {
				return proxyHints[i]
			}
		}
	}
	if r.URL.RawQuery != "" {
		if i := queryTokenParam(r.URL.RawQuery); i >= 0 {
			return queryHints[i]
		}
	}
	return ""
}

// The hints of missingHint, one per proxy header and per query parameter.
var (
	proxyHints = func() []string {
		out := make([]string, len(proxyHeaders))
		for i, h := range proxyHeaders {
			out[i] = "Authorization is missing but " + h + " is present: a proxy in front of this server probably moved or stripped the Authorization header"
		}
		return out
	}()
	queryHints = func() []string {
		out := make([]string, len(queryTokenParams))
		for i, p := range queryTokenParams {
			out[i] = "a credential was sent in the query string (" + p + "), which this route does not read; send it in the Authorization header"
		}
		return out
	}()
)

// queryTokenParam returns the index in queryTokenParams of the first of
// them that the raw query has as a key, or -1. It reads keys as
// url.ParseQuery, and so a handler's r.URL.Query(), does: pairs split at
// '&', a pair holding ';' or a bad percent-escape (in its key or its
// value) skipped, keys decoded ("access%5Ftoken" and "%61ccess_token" are
// access_token). It decodes while comparing, so it allocates nothing, and
// it never looks at a value beyond its escapes.
func queryTokenParam(raw string) int {
	// Like ParseQuery (by default), give up on more than 10,000 pairs.
	if strings.Count(raw, "&") >= 10000 {
		return -1
	}
	found := -1
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		key, val, _ := strings.Cut(pair, "=")
		for i, p := range queryTokenParams {
			if found >= 0 && i >= found {
				break
			}
			if queryKeyIs(key, p) {
				// ParseQuery drops a pair whose value does not unescape.
				if validEscapes(val) {
					found = i
				}
				break
			}
		}
		if found == 0 {
			break
		}
	}
	return found
}

// queryKeyIs reports whether the raw query key decodes, as url.QueryUnescape
// decodes it ('+' is a space, %XX a byte, any other '%' an error), to
// name exactly.
func queryKeyIs(raw, name string) bool {
	if raw == name {
		return true
	}
	if len(raw) < len(name) || len(raw) > 3*len(name) {
		return false
	}
	j := 0
	for i := 0; i < len(raw); j++ {
		c := raw[i]
		switch c {
		case '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return false
			}
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 3
		case '+':
			c = ' '
			i++
		default:
			i++
		}
		if j >= len(name) || c != name[j] {
			return false
		}
	}
	return j == len(name)
}

// validEscapes reports whether every '%' in s starts a %XX escape, as
// url.QueryUnescape requires.
func validEscapes(s string) bool {
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			return true
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		s = s[i+3:]
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// authorizationHint spots copy-paste mistakes in an Authorization value
// whose scheme is scheme: the scheme written twice, or the credentials
// wrapped in quotes.
func authorizationHint(r *http.Request, scheme string) string {
	// The name is canonical: index the map rather than Get it.
	auth := r.Header["Authorization"]
	if len(auth) == 0 {
		return ""
	}
	s, rest := verifiers.SplitAuthorization(auth[0])
	if !strings.EqualFold(s, scheme) {
		return ""
	}
	// The scheme again as rest's first word; tested on its prefix, not by
	// splitting the whole token.
	if n := len(scheme); len(rest) >= n && strings.EqualFold(rest[:n], scheme) && (len(rest) == n || rest[n] == ' ' || rest[n] == '\t') {
		return "the scheme is written twice ('" + scheme + " " + scheme + " ...'); send it once"
	}
	if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
		return "the credentials are wrapped in quotes; send them without quotes"
	}
	return ""
}

// looksLikeJWT reports whether s is shaped like a JWS compact token: three
// dot-separated parts, the first starting with the base64url of `{"`.
func looksLikeJWT(s string) bool {
	s = strings.Trim(s, `"'`)
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// knownSchemes are authentication schemes whose name is safe to log: the
// IANA registry and common unregistered ones. Any other first word of an
// Authorization value may be a bare credential and is not logged.
var knownSchemes = []string{
	"Basic", "Bearer", "Digest", "DPoP", "GNAP", "HOBA", "Mutual", "Negotiate",
	"NTLM", "OAuth", "PrivateToken", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid",
	"Concealed", "AWS4-HMAC-SHA256", "Token", "APIKey", "Key", "MAC", "Hawk",
	"SSWS", "Splunk", "Kerberos", "Signature",
}

// knownScheme returns the index of s in knownSchemes (case-insensitive),
// or -1.
func knownScheme(s string) int {
	for i, k := range knownSchemes {
		if len(s) == len(k) && strings.EqualFold(s, k) {
			return i
		}
	}
	return -1
}
