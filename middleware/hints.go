package middleware

import (
	"net/http"
	"net/url"
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
// url.ParseQuery does (pairs split at '&', pairs holding ';' or a bad
// escape skipped, keys unescaped), without building the whole map.
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
		if strings.ContainsAny(key, "%+") {
			k, err := url.QueryUnescape(key)
			if err != nil {
				continue
			}
			key = k
		}
		for i, p := range queryTokenParams {
			if key != p || (found >= 0 && i >= found) {
				continue
			}
			// ParseQuery drops a pair whose value does not unescape.
			if strings.IndexByte(val, '%') >= 0 {
				if _, err := url.QueryUnescape(val); err != nil {
					break
				}
			}
			found = i
		}
		if found == 0 {
			break
		}
	}
	return found
}

// authorizationHint spots copy-paste mistakes in an Authorization value
// whose scheme is scheme: the scheme written twice, or the credentials
// wrapped in quotes.
func authorizationHint(r *http.Request, scheme string) string {
	s, rest := verifiers.SplitAuthorization(r.Header.Get("Authorization"))
	if !strings.EqualFold(s, scheme) {
		return ""
	}
	if again, _ := verifiers.SplitAuthorization(rest); strings.EqualFold(again, scheme) {
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
