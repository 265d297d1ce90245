package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"

	"github.com/authgate/authgate/verifiers/apikey"
)

// corsHeaders are the request headers a cross-origin page may send: the
// credentials of every scheme the server accepts. They must be listed by
// name: a wildcard in Access-Control-Allow-Headers never covers
// Authorization (Fetch standard, CORS-preflight fetch).
var corsHeaders = []string{"Authorization", apikey.DefaultHeader}

// corsExposed are the response headers a cross-origin page may read
// beyond the CORS-safelisted ones (Content-Type, Cache-Control...): the
// challenges of a 401 or 403, and the delay of a 503 or 429.
var corsExposed = []string{"WWW-Authenticate", "Retry-After"}

// parseOrigins parses the value of -cors-origins: a comma-separated list
// of origins such as "https://app.example.com,http://127.0.0.1:5173".
// Every entry must be an origin exactly as a browser sends it in Origin:
// http or https, a host, an optional port, and nothing else (no path, not
// even "/", no wildcard), since rs/cors compares them as strings.
func parseOrigins(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimSpace(o)
		u, err := url.Parse(o)
		switch {
		case o == "":
			return nil, fmt.Errorf("empty origin in %q", s)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", o)
		case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#"):
			return nil, fmt.Errorf("%q is not an origin: write scheme://host[:port] with nothing after it (browsers send no path, not even /)", o)
		case strings.Contains(o, "*"):
			return nil, fmt.Errorf("%q: wildcards are not accepted; list each origin", o)
		case o != strings.ToLower(o):
			return nil, fmt.Errorf("%q: write the origin in lower case, as browsers send it", o)
		case u.Scheme == "https" && u.Port() == "443", u.Scheme == "http" && u.Port() == "80":
			return nil, fmt.Errorf("%q: leave out the default port, as browsers do", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// corsMiddleware answers CORS preflights for origins and adds the CORS
// response headers, in front of every route and so in front of the gate:
// a preflight never carries credentials, so it must be answered before
// authentication, and the gate's 401s must carry
// Access-Control-Allow-Origin for the page to read them.
//
// Credentials mode stays off (no Access-Control-Allow-Credentials): the
// server's credentials travel in request headers the page sets itself,
// which CORS governs through Access-Control-Allow-Headers; credentials
// mode is for cookies, the browser's own HTTP authentication cache and
// TLS client certificates, none of which this server uses.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
		AllowedHeaders: corsHeaders,
		ExposedHeaders: corsExposed,
		MaxAge:         600,
	})
	return c.Handler
}
