package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// maxMetadataBytes bounds every metadata document the doctor reads.
const maxMetadataBytes = 256 << 10

// errNotFound is a metadata URL that answered 404 (or 410): the document
// is not published, which is not a failure of the doctor.
var errNotFound = errors.New("not published")

// fetchJSON GETs u, without any credential, and decodes a bounded JSON
// body into v.
func (d *diagnosis) fetchJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := d.cfg.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
		return fmt.Errorf("%s: %d: %w", u, resp.StatusCode, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	if len(b) > maxMetadataBytes {
		return fmt.Errorf("%s: over %d bytes", u, maxMetadataBytes)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: not JSON: %w", u, err)
	}
	return nil
}

// resourceMetadata is an RFC 9728 protected resource metadata document.
type resourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	url                  string
}

// wellKnownResourceURL is the RFC 9728 §3.1 metadata URL of target: the
// well-known path inserted between the host and the resource's path.
func wellKnownResourceURL(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	w := url.URL{Scheme: u.Scheme, Host: u.Host}
	return w.String() + "/.well-known/oauth-protected-resource" + p, nil
}

func (d *diagnosis) fetchResourceMetadata(ctx context.Context, target, fromChallenge string) (*resourceMetadata, error) {
	u := fromChallenge
	if u == "" {
		var err error
		if u, err = wellKnownResourceURL(target); err != nil {
			return nil, err
		}
	}
	var m resourceMetadata
	if err := d.fetchJSON(ctx, u, &m); err != nil {
		return nil, err
	}
	m.url = u
	return &m, nil
}

// issuerKeys is what the doctor found at a token's issuer.
type issuerKeys struct {
	jwksURI string
	set     jwk.Set
}

// fetchIssuerKeys follows the issuer's discovery document (OpenID Connect
// Discovery, then RFC 8414) to its JWK set.
func (d *diagnosis) fetchIssuerKeys(ctx context.Context, iss string) (*issuerKeys, error) {
	u, err := url.Parse(iss)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("iss %q is not an http(s) URL: no discovery document to fetch", iss)
	}
	base := strings.TrimSuffix(iss, "/")
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	var errs []error
	for _, wk := range []string{base + "/.well-known/openid-configuration", u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.EscapedPath(), "/")} {
		if err := d.fetchJSON(ctx, wk, &doc); err != nil {
			errs = append(errs, err)
			continue
		}
		break
	}
	if doc.JWKSURI == "" {
		if len(errs) > 0 {
			// The first error says it; the RFC 8414 URL fails alike.
			return nil, fmt.Errorf("%w (and at the RFC 8414 URL)", errs[0])
		}
		return nil, fmt.Errorf("the discovery document has no jwks_uri")
	}
	var raw json.RawMessage
	if err := d.fetchJSON(ctx, doc.JWKSURI, &raw); err != nil {
		return nil, err
	}
	set, err := jwk.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not a JWK set: %w", doc.JWKSURI, err)
	}
	return &issuerKeys{jwksURI: doc.JWKSURI, set: set}, nil
}

// sigResult is the outcome of checking a token's signature with a key set.
type sigResult int

const (
	sigUnchecked sigResult = iota
	sigValid
	sigInvalid
	sigNoKid // no key with the token's kid in the set
)

// verify checks the token's signature with the key its kid names in set.
func verify(j *jwtInfo, set jwk.Set) (sigResult, error) {
	key, ok := set.LookupKeyID(j.Kid)
	if !ok {
		if j.Kid == "" && set.Len() == 1 {
			key, _ = set.Key(0)
		} else {
			return sigNoKid, nil
		}
	}
	alg, ok := jwa.LookupSignatureAlgorithm(j.Alg)
	if !ok || alg == jwa.NoSignature() {
		return sigUnchecked, fmt.Errorf("alg %q is not a signature algorithm the doctor checks", j.Alg)
	}
	if _, err := jws.Verify([]byte(j.raw), jws.WithKey(alg, key)); err != nil {
		return sigInvalid, nil
	}
	return sigValid, nil
}
