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
	for _, h := range proxyHeaders {
		if r.Header.Get(h) != "" {
			return "Authorization is missing but " + h + " is present: a proxy in front of this server probably moved or stripped the Authorization header"
		}
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for _, p := range queryTokenParams {
			if q.Has(p) {
				return "a credential was sent in the query string (" + p + "), which this route does not read; send it in the Authorization header"
			}
		}
	}
	return ""
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

func knownScheme(s string) (string, bool) {
	for _, k := range knownSchemes {
		if strings.EqualFold(s, k) {
			return k, true
		}
	}
	return "", false
}
