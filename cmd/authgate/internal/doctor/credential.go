package doctor

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers/apikey"
)

// kind is what a credential was recognised as.
type kind string

const (
	kindJWT    kind = "JWT"
	kindAPIKey kind = "API key"
	kindBasic  kind = "Basic user:password"
	kindOpaque kind = "opaque token"
)

// credential is one credential the request carries. Value is the secret:
// it is never printed, only described (kind, length, fingerprint).
type credential struct {
	Where  string // "Authorization header", "X-API-Key header", "query parameter access_token"
	Header string // canonical header name, "" for the query string
	Query  string // query parameter name, "" for a header
	Scheme string // the Authorization scheme as sent, "" when there is none
	Value  string // the credential proper (token, key, base64 of user:pass)
	Kind   kind
	Faults []string // format faults, each a sentence without credential bytes

	User      string // Basic: the decoded user name ("" if not decodable)
	UserShown string // Basic: the user name, or its fingerprint when it looks like a credential
	Key       *apikey.Key
	KeyErr    error
	JWT       *jwtInfo
}

// describe says what the credential is without revealing it.
func (c *credential) describe() string {
	s := c.Where
	if c.Scheme != "" {
		s += ": " + schemeShown(c.Scheme)
	}
	switch c.Kind {
	case kindBasic:
		if c.UserShown != "" {
			return fmt.Sprintf("%s, user %s (password not shown)", s, c.UserShown)
		}
		return s + " (not decodable)"
	case kindAPIKey:
		if c.Key != nil {
			return fmt.Sprintf("%s, API key id %s, environment %q (%d bytes, secret not shown)", s, c.Key.ID(), c.Key.Environment(), len(c.Value))
		}
	}
	return fmt.Sprintf("%s, %s of %d bytes, %s", s, c.Kind, len(c.Value), Fingerprint(c.Value))
}

// knownSchemes are the HTTP authentication schemes the doctor names as
// sent (IANA's registry and common API-key schemes).
var knownSchemes = []string{"Basic", "Bearer", "Digest", "DPoP", "APIKey", "Api-Key", "Token", "Key", "Negotiate", "NTLM",
	"HOBA", "Mutual", "SCRAM-SHA-1", "SCRAM-SHA-256", "vapid", "AWS4-HMAC-SHA256", "GNAP", "OAuth", "MAC", "Splunk", "SSWS"}

func knownScheme(s string) bool {
	for _, k := range knownSchemes {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// schemeShown is the scheme as sent when it is a known scheme name. Any
// other first word may be the credential itself (a bare token, a
// password): it is described by its length only.
func schemeShown(s string) string {
	if knownScheme(s) {
		return s
	}
	return fmt.Sprintf("(a word of %d characters that is no known scheme)", len(s))
}

// apiKeyHeaders are header names commonly used for API keys.
var apiKeyHeaders = []string{"X-Api-Key", "Api-Key", "X-Api-Token", "X-Auth-Token", "Apikey"}

// queryCredentialNames are query parameters that commonly carry a token or key.
var queryCredentialNames = []string{"access_token", "token", "id_token", "jwt", "api_key", "apikey", "key", "auth"}

var shellRE = regexp.MustCompile(`\$\([^)]*\)?|\$\{[^}]*\}?|\$[A-Za-z_][A-Za-z0-9_]*|` + "`")

// findCredentials lists the credentials in the request: the Authorization
// header, API key headers (the ones named by APIKey challenges too), and
// query parameters with a credential's name.
func findCredentials(h http.Header, rawURL string, extraKeyHeaders []string) []*credential {
	var out []*credential
	for _, v := range h.Values("Authorization") {
		out = append(out, parseAuthorization(v))
	}
	seen := map[string]bool{"Authorization": true}
	for _, name := range append(append([]string{}, extraKeyHeaders...), apiKeyHeaders...) {
		name = http.CanonicalHeaderKey(name)
		if seen[name] {
			continue
		}
		seen[name] = true
		for _, v := range h.Values(name) {
			c := &credential{Where: name + " header", Header: name, Value: strings.TrimSpace(v), Kind: kindOpaque}
			classifyToken(c, v)
			out = append(out, c)
		}
	}
	if u, err := url.Parse(rawURL); err == nil {
		q := u.Query()
		for _, name := range queryCredentialNames {
			for _, v := range q[name] {
				c := &credential{Where: "query parameter " + name, Query: name, Value: v, Kind: kindOpaque}
				classifyToken(c, v)
				c.Faults = append(c.Faults, "the credential is in the query string, where proxies and logs record it; send it in a header")
				out = append(out, c)
			}
		}
	}
	return out
}

// classifyToken recognises a bare credential value (JWT, API key) and its
// faults (quotes, white space, unexpanded shell).
func classifyToken(c *credential, raw string) {
	v := strings.TrimSpace(raw)
	c.Faults = append(c.Faults, textFaults(v)...)
	v = strings.Trim(v, `"'`)
	switch {
	case isJWTShape(v):
		c.Kind = kindJWT
		c.JWT = decodeJWT(v)
	case strings.HasPrefix(v, apikey.DefaultPrefix+"_"):
		c.Kind = kindAPIKey
		k, err := apikey.ParseKey(v, "")
		if err != nil {
			c.KeyErr = err
		} else {
			c.Key = &k
		}
	}
}

// textFaults finds the faults a copied value shows whatever its scheme.
func textFaults(v string) []string {
	var f []string
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		f = append(f, "the credential is wrapped in quotes, which are sent as part of it")
	} else if strings.ContainsAny(v, `"'`) {
		f = append(f, "the credential contains a quote character")
	}
	if m := shellRE.FindString(v); m != "" {
		f = append(f, "the credential holds a literal "+shellShape(m)+" that the shell did not expand (single quotes keep $(...) and $VAR as typed): use double quotes, or expand it first")
	}
	if strings.ContainsAny(v, " \t\r\n") {
		f = append(f, "the credential contains white space (a line break or space copied with it)")
	}
	return f
}

// shellShape names a shell expansion without quoting what is inside it.
func shellShape(m string) string {
	switch {
	case strings.HasPrefix(m, "$("):
		return "$(...) command substitution"
	case strings.HasPrefix(m, "${"):
		return "${...} variable"
	case strings.HasPrefix(m, "`"):
		return "`...` command substitution"
	}
	return "$VARIABLE"
}

// parseAuthorization splits an Authorization value into scheme and
// credential and finds its format faults.
func parseAuthorization(v string) *credential {
	c := &credential{Where: "Authorization header", Header: "Authorization", Kind: kindOpaque}
	t := strings.TrimSpace(v)
	scheme, rest, _ := strings.Cut(t, " ")
	rest = strings.TrimLeft(rest, " ")
	c.Scheme, c.Value = scheme, rest
	switch {
	case t == "":
		c.Faults = append(c.Faults, "the Authorization header is empty")
		return c
	case rest == "" && !knownScheme(scheme):
		// A bare credential: the scheme word is missing.
		c.Scheme, c.Value = "", scheme
		classifyToken(c, scheme)
		c.Faults = append([]string{`the Authorization header holds the credential alone, without a scheme: it must start with "Bearer " (or the scheme the server names)`}, c.Faults...)
		if c.Kind == kindOpaque && !looksLikeCredential(scheme) {
			c.Faults[0] = `the Authorization header holds a single word that is no known scheme: a credential without its scheme? It must start with "Bearer " (or the scheme the server names)`
		}
		return c
	case rest == "":
		c.Faults = append(c.Faults, "the Authorization header has a scheme but no credential after it")
		return c
	}
	if strings.EqualFold(scheme, "Basic") {
		parseBasic(c)
		return c
	}
	if s2, r2, ok := strings.Cut(rest, " "); ok && strings.EqualFold(s2, scheme) {
		c.Faults = append(c.Faults, fmt.Sprintf("%q appears twice: the header reads %q followed by %q again", schemeShown(scheme), schemeShown(scheme), schemeShown(s2)))
		rest = strings.TrimLeft(r2, " ")
		c.Value = rest
	}
	classifyToken(c, rest)
	if len(c.Faults) == 0 {
		// The strict parser catches what the checks above do not (a
		// character outside token68); its errors never quote the input.
		if _, err := challenge.ParseCredentials(scheme + " " + rest); err != nil {
			var pe *challenge.ParseError
			if errors.As(err, &pe) {
				c.Faults = append(c.Faults, "the header is not valid credentials syntax (RFC 9110 §11.4): "+pe.Msg)
			}
		}
	}
	return c
}

// parseBasic decodes Basic credentials (RFC 7617) and checks them.
func parseBasic(c *credential) {
	c.Kind = kindBasic
	v := c.Value
	c.Faults = append(c.Faults, textFaults(v)...)
	v = strings.Trim(v, `"'`)
	if isJWTShape(v) {
		c.Kind = kindJWT
		c.JWT = decodeJWT(v)
		c.Faults = append(c.Faults, `a JWT was sent with the Basic scheme: send it as "Authorization: Bearer <token>"`)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if r2, err2 := base64.RawStdEncoding.DecodeString(v); err2 == nil {
			raw = r2
			c.Faults = append(c.Faults, "the base64 lacks its = padding (RFC 7617 uses padded standard base64)")
		} else if r3, err3 := base64.URLEncoding.DecodeString(v); err3 == nil {
			raw = r3
			c.Faults = append(c.Faults, "the credentials use base64url (- and _); Basic needs standard base64 (+ and /)")
		} else if r4, err4 := base64.RawURLEncoding.DecodeString(v); err4 == nil {
			raw = r4
			c.Faults = append(c.Faults, "the credentials use unpadded base64url; Basic needs padded standard base64")
		} else {
			c.Faults = append(c.Faults, "the Basic credentials are not base64: the user:password must be base64-encoded (curl -u does it)")
			return
		}
	}
	if !utf8.Valid(raw) {
		c.Faults = append(c.Faults, "the decoded credentials are not UTF-8 (RFC 7617 §2.1)")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		c.Faults = append(c.Faults, "the decoded credentials have no colon: Basic needs user:password")
		user, pass = "", string(raw)
	}
	c.User = user
	switch {
	case user == "" && ok:
		c.UserShown = `"" (empty)`
	case looksLikeCredentialUser(user, pass):
		c.UserShown = "that looks like a credential, " + Fingerprint(user)
		c.Faults = append(c.Faults, "the user name looks like a token or key: a credential was sent as the Basic user name")
	case user != "":
		c.UserShown = fmt.Sprintf("%q", user)
	}
	if strings.IndexFunc(string(raw), func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		c.Faults = append(c.Faults, "the decoded credentials contain a control character (a line break copied with them?)")
	}
	for _, part := range []struct{ name, s string }{{"user name", user}, {"password", pass}} {
		if m := shellRE.FindString(part.s); m != "" {
			c.Faults = append(c.Faults, "the "+part.name+" holds a literal "+shellShape(m)+" that the shell did not expand (single quotes keep it as typed)")
		}
	}
}
