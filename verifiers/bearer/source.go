package bearer

import (
	"fmt"

	"github.com/authgate/authgate/internal/jose"
	"net"
	"net/url"
	"os"
	"strings"
)

// Issuer is one token issuer a Verifier trusts: its exact identifier and
// where its keys come from. A token is checked against the Issuer whose
// URL equals its iss claim byte for byte (RFC 9068 §4, RFC 8725 §3.8), and
// only with that issuer's keys.
type Issuer struct {
	// URL is the issuer identifier, as the issuer writes it in iss
	// (trailing slash and all).
	URL string
	// Keys is where the issuer's keys come from: JWKS, JWKSFile,
	// JWKSURL, Discovery or Secret.
	Keys KeySource
}

type sourceKind uint8

const (
	srcNone sourceKind = iota
	srcBytes
	srcFile
	srcURL
	srcDiscovery
	srcSecret
)

// KeySource says where an issuer's keys come from. Make one with JWKS,
// JWKSFile, JWKSURL, Discovery or Secret.
type KeySource struct {
	kind   sourceKind
	data   []byte
	path   string
	url    string
	secret []byte
	alg    string
}

// JWKS uses the JWK set (RFC 7517 §5) in data, checked once by New. It may
// hold public keys, or HMAC keys with an alg (shared secrets), not both.
func JWKS(data []byte) KeySource {
	return KeySource{kind: srcBytes, data: append([]byte(nil), data...)}
}

// JWKSFile uses the JWK set in the file at path, read and checked once by
// New. It is not reloaded.
func JWKSFile(path string) KeySource { return KeySource{kind: srcFile, path: path} }

// JWKSURL fetches the issuer's JWK set from url, when New runs and then in
// the background (see WithRefreshInterval), and again when a token names a
// kid the set lacks (see WithUnknownKeyRefresh). A fetched set that fails
// the checks is refused and the previous one stays in use.
func JWKSURL(url string) KeySource { return KeySource{kind: srcURL, url: url} }

// Discovery finds the issuer's JWK set URL from its metadata:
// ISSUER/.well-known/openid-configuration (OpenID Connect Discovery §4),
// or, when that is not found, the RFC 8414 §3 location
// https://HOST/.well-known/oauth-authorization-server/PATH. The
// document's issuer must equal Issuer.URL exactly (OIDC Discovery §4.3,
// RFC 8414 §3.3), else it is refused. Keys are then fetched as with
// JWKSURL, and the metadata is read again at least every max refresh
// interval and after a failed key fetch.
func Discovery() KeySource { return KeySource{kind: srcDiscovery} }

// Secret uses one shared HMAC secret with alg HS256, HS384 or HS512. The
// secret must be at least as long as the hash (32, 48 or 64 bytes; RFC
// 7518 §3.2). It matches tokens with any kid. A Verifier with a Secret
// accepts no asymmetric keys (RFC 8725 §2.1).
func Secret(secret []byte, alg string) KeySource {
	return KeySource{kind: srcSecret, secret: append([]byte(nil), secret...), alg: alg}
}

func (s KeySource) remote() bool { return s.kind == srcURL || s.kind == srcDiscovery }

// load returns the key set of a static source.
func (s KeySource) load(iss string, allow allowList) (*keySet, error) {
	switch s.kind {
	case srcBytes:
		set, err := parseKeySet(s.data, loadOptions{origin: "static JWKS of issuer " + quote(iss), allow: allow, symmetric: true})
		if set != nil {
			// Every detail that names the set names its issuer first.
			set.origin = "static JWKS"
		}
		return set, err
	case srcFile:
		b, err := os.ReadFile(s.path)
		if err != nil {
			return nil, fmt.Errorf("bearer: issuer %s: %w", quote(iss), err)
		}
		return parseKeySet(b, loadOptions{origin: "file " + s.path, allow: allow, symmetric: true})
	case srcSecret:
		a := jose.LookupAlg(s.alg)
		origin := "shared secret of issuer " + quote(iss)
		if a == nil || !a.HMAC() {
			return nil, &KeySetError{Origin: origin, Problem: fmt.Sprintf("alg %s is not HS256, HS384 or HS512", quote(s.alg))}
		}
		if len(s.secret) < a.MinSecretBytes() {
			return nil, &KeySetError{Origin: origin, Problem: fmt.Sprintf("%s secret is %d bytes; RFC 7518 §3.2 requires at least %d", a.Name(), len(s.secret), a.MinSecretBytes())}
		}
		if allow != nil && !allow.Has(a) {
			return nil, &KeySetError{Origin: origin, Problem: a.Name() + " is not in the allow-list"}
		}
		k := &key{Alg: a, Secret: s.secret}
		set := newKeySet([]*key{k}, map[string]*key{})
		set.symmetric, set.origin = true, "shared secret"
		return set, nil
	}
	return nil, fmt.Errorf("bearer: issuer %s: no key source (use JWKS, JWKSFile, JWKSURL, Discovery or Secret)", quote(iss))
}

// checkFetchURL refuses URLs keys must not be fetched from: relative ones,
// and plain http to anything but loopback unless allowed.
func checkFetchURL(raw string, plainHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s is not an absolute http(s) URL", quote(u.Redacted()))
	}
	if u.Scheme == "http" && !plainHTTP && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s uses plain http to a host that is not loopback; keys fetched in the clear can be swapped (use https, or WithPlainHTTP)", quote(u.Redacted()))
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// discoveryURLs returns where the metadata of issuer may be: the OpenID
// Connect location, then the RFC 8414 one.
func discoveryURLs(issuer *url.URL) []string {
	base := *issuer
	base.RawQuery, base.Fragment = "", ""
	oidc := base
	oidc.Path = strings.TrimSuffix(base.Path, "/") + "/.well-known/openid-configuration"
	oidc.RawPath = ""
	as := base
	as.Path = "/.well-known/oauth-authorization-server" + strings.TrimSuffix(base.Path, "/")
	as.RawPath = ""
	return []string{oidc.String(), as.String()}
}
