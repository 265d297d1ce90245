package bearer

import (
	"net/http"
	"net/url"
	"strings"
)

// This file compares a proof's htu with the request's URL (RFC 9449
// §4.3 point 9): both without query and fragment, after the syntax- and
// scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3 (case of
// scheme and host, default port, case of percent-escapes, unreserved
// characters unescaped, dot segments, an empty path as "/").

// requestURL returns the normalised URL of r as its client named it:
// ExternalOrigin or ExternalURL when set, else the scheme of the
// connection and the Host header.
func (d *dpopConfig) requestURL(r *http.Request) string {
	path := ""
	if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	switch {
	case d.external != nil:
		if u := d.external(r); u != nil {
			return normalizeURL(u.Scheme, u.Host, u.EscapedPath())
		}
	case d.origin != nil:
		return normalizeURL(d.origin.Scheme, d.origin.Host, path)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return normalizeURL(scheme, r.Host, path)
}

// normalizeHTU returns the normalised form of a proof's htu, or false
// when it is no absolute http or https URL.
func normalizeHTU(htu string) (string, bool) {
	u, err := url.Parse(htu)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	s := strings.ToLower(u.Scheme)
	if s != "http" && s != "https" {
		return "", false
	}
	return normalizeURL(s, u.Host, u.EscapedPath()), true
}

// normalizeURL joins a scheme, a host and an escaped path, normalised.
func normalizeURL(scheme, host, path string) string {
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	host = strings.TrimSuffix(host, ":") // an empty port (RFC 3986 §6.2.3)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = host[:len(host)-4]
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = host[:len(host)-3]
	}
	return scheme + "://" + host + normalizePath(path)
}

// normalizePath normalises percent-escapes (upper-case hex digits,
// unreserved characters unescaped) and removes dot segments.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if strings.IndexByte(p, '%') >= 0 {
		b := make([]byte, 0, len(p))
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
				if d := unhex(p[i+1])<<4 | unhex(p[i+2]); isUnreserved(d) {
					b = append(b, d)
				} else {
					b = append(b, '%', upperHex(p[i+1]), upperHex(p[i+2]))
				}
				i += 2
				continue
			}
			b = append(b, c)
		}
		p = string(b)
	}
	return removeDotSegments(p)
}

// removeDotSegments is RFC 3986 §5.2.4 for a path starting with "/".
func removeDotSegments(p string) string {
	if p[0] != '/' || !strings.Contains(p, ".") {
		return p
	}
	in := strings.Split(p[1:], "/")
	out := make([]string, 0, len(in))
	for i, s := range in {
		last := i == len(in)-1
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// isUnreserved reports whether c is an RFC 3986 §2.3 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
