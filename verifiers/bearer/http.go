package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file is the HTTP half of remote key sets: discovery of the JWKS
// URL (OpenID Connect Discovery §4, RFC 8414 §3), the bounded GET, the
// Cache-Control max-age, and the redirect policy.

// fetchSet fetches and checks the issuer's key set, discovering its URL
// first when needed. It returns the max-age the response allows (0: none
// given).
func (v *Verifier) fetchSet(ctx context.Context, is *issuer) (*keySet, time.Duration, error) {
	if is.src.kind == srcDiscovery && (!is.discoveryOK || v.now().Sub(is.discoveredAt) >= v.maxRefresh) {
		jwks, err := v.discover(ctx, is)
		if err != nil {
			return nil, 0, err
		}
		is.mu.Lock()
		is.jwks = jwks
		is.mu.Unlock()
		is.discoveredAt, is.discoveryOK = v.now(), true
	}
	is.mu.Lock()
	jwks := is.jwks
	is.mu.Unlock()
	body, maxAge, err := v.get(ctx, jwks, "application/jwk-set+json, application/json")
	if err != nil {
		is.discoveryOK = false // read the metadata again next time
		return nil, 0, err
	}
	set, err := parseKeySet(body, loadOptions{origin: redact(jwks), allow: v.allow})
	if err != nil {
		return nil, 0, err
	}
	return set, maxAge, nil
}

// discover reads the issuer's metadata and returns its jwks_uri.
func (v *Verifier) discover(ctx context.Context, is *issuer) (string, error) {
	var errs []error
	for _, u := range discoveryURLs(is.issURL) {
		body, _, err := v.get(ctx, u, "application/json")
		if err != nil {
			errs = append(errs, err)
			var se *statusError
			if errors.As(err, &se) && se.code == http.StatusNotFound {
				continue
			}
			break
		}
		var doc struct {
			Issuer  *string `json:"issuer"`
			JWKSURI *string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return "", fmt.Errorf("bearer: discovery document %s is not a JSON object with string issuer and jwks_uri: %v", redact(u), err)
		}
		if doc.Issuer == nil || doc.JWKSURI == nil {
			return "", fmt.Errorf("bearer: discovery document %s lacks issuer or jwks_uri", redact(u))
		}
		if *doc.Issuer != is.iss {
			is.mu.Lock()
			if is.discoveredIssuer != *doc.Issuer {
				is.discoveredIssuer = *doc.Issuer
				// The hint of an issuer mismatch changes.
				v.caches.epoch.Add(1)
			}
			is.mu.Unlock()
			return "", fmt.Errorf("bearer: discovery document %s names the issuer %s, not the configured %s; OIDC Discovery §4.3 and RFC 8414 §3.3 forbid using it", redact(u), quote(*doc.Issuer), quote(is.iss))
		}
		if _, err := checkFetchURL(*doc.JWKSURI, v.plainHTTP); err != nil {
			return "", fmt.Errorf("bearer: discovery document %s: jwks_uri: %w", redact(u), err)
		}
		return *doc.JWKSURI, nil
	}
	return "", fmt.Errorf("bearer: no metadata found for issuer %s: %w", quote(is.iss), errors.Join(errs...))
}

type statusError struct {
	url  string
	code int
}

// get fetches url with the fetch timeout and the response size cap.
func (v *Verifier) get(ctx context.Context, u, accept string) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, v.fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("bearer: GET %s: %w", redact(u), err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "authgate")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("bearer: GET %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, 0, &statusError{url: redact(u), code: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.maxResponse+1))
	if err != nil {
		return nil, 0, fmt.Errorf("bearer: GET %s: reading the body: %w", redact(u), err)
	}
	if int64(len(body)) > v.maxResponse {
		return nil, 0, fmt.Errorf("bearer: GET %s: the response is over %d bytes", redact(u), v.maxResponse)
	}
	return body, maxAge(resp.Header.Get("Cache-Control")), nil
}

// maxAge reads max-age from a Cache-Control value. no-store and no-cache
// count as max-age=0 with a minimum of one second, so that the minimum
// refresh interval applies; absent, it is 0 (the maximum applies).
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(strings.ToLower(d))
		switch {
		case d == "no-store" || d == "no-cache":
			return time.Nanosecond
		case strings.HasPrefix(d, "max-age="):
			n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
			if err != nil || n < 0 {
				continue
			}
			if n == 0 {
				return time.Nanosecond
			}
			if n > int64(365*24*time.Hour/time.Second) {
				n = int64(365 * 24 * time.Hour / time.Second)
			}
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// defaultClient refuses redirects that would leave https, or that go to a
// plain-http host other than loopback.
func defaultClient(plainHTTP bool) *http.Client {
	return &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
				return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
			}
			_, err := checkFetchURL(req.URL.String(), plainHTTP)
			return err
		},
	}
}
