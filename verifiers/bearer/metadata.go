package bearer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file builds the RFC 9728 protected resource metadata from a
// verifier's configuration and checks it; metadata_http.go serves it.

// ErrProtectedResource is matched (errors.Is) by every error New and
// NewOpaque return for a ProtectedResource they refuse.
var ErrProtectedResource = errors.New("bearer: invalid protected resource metadata")

// WellKnownPath is where RFC 9728 §3 puts the protected resource
// metadata of a resource without a path; a resource with a path has it
// at WellKnownPath followed by that path (§3.1).
const WellKnownPath = "/.well-known/oauth-protected-resource"

// ProtectedResource describes this API to OAuth clients in its RFC 9728
// protected resource metadata. Give it to WithProtectedResource.
type ProtectedResource struct {
	// Resource is the resource identifier (RFC 9728 §1.2, RFC 8707): an
	// https URL without query or fragment. It must be the audience given
	// to New (tokens must be issued for the resource they are sent to);
	// empty means that audience. NewOpaque, which has no audience,
	// needs it.
	Resource string
	// AuthorizationServers are the issuer identifiers (RFC 8414) of the
	// authorization servers that issue tokens for Resource. Empty means
	// the URLs of the Issuers given to New; NewOpaque needs them.
	AuthorizationServers []string
	// ScopesSupported lists the scopes a client may ask for to use this
	// resource (RFC 6749 §3.3 scope-tokens). Optional but recommended:
	// MCP clients fall back on it when a challenge names no scope.
	ScopesSupported []string
	// ResourceName is a human-readable name for end users. Optional.
	ResourceName string
	// ResourceDocumentation is the https URL of a page for developers.
	// Optional.
	ResourceDocumentation string
	// AllowLoopbackHTTP accepts http URLs (Resource, AuthorizationServers,
	// ResourceDocumentation) whose host is loopback (127.0.0.0/8, ::1,
	// localhost), for development and tests. Other http URLs are always
	// refused: a client that fetched the metadata in the clear could be
	// sent to an authorization server of an attacker's choosing.
	AllowLoopbackHTTP bool
}

// WithProtectedResource publishes RFC 9728 protected resource metadata for
// the verifier and names it in every Bearer challenge as
// resource_metadata, so that a client that gets a 401 can find the
// authorization server to ask for a token. Serve the document with the
// verifier's Metadata (Middleware or ServeHTTP). New and NewOpaque check
// pr and fail with an error matching ErrProtectedResource when it is not
// valid. The metadata URL is derived from pr.Resource (RFC 9728 §3.1),
// never from a request's Host; WithResourceMetadata, if also given, must
// name the same URL.
func WithProtectedResource(pr ProtectedResource) SharedOption {
	// Copied now: the caller may reuse its slices.
	pr.AuthorizationServers = slices.Clone(pr.AuthorizationServers)
	pr.ScopesSupported = slices.Clone(pr.ScopesSupported)
	return func(c *config) error {
		cp := pr
		c.protected = &cp
		return nil
	}
}

// Metadata is the RFC 9728 protected resource metadata of a verifier
// configured WithProtectedResource: the document, where it is served and
// its URL. Get it from Verifier.Metadata or OpaqueVerifier.Metadata. It is
// immutable and safe for concurrent use.
type Metadata struct {
	resource string
	url      string
	paths    []string
	body     []byte
}

// prDocument is the JSON document, members in the order of RFC 9728 §2;
// empty members are left out (§2: omitted rather than empty, D3).
type prDocument struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
	DPoPAlgs               []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPRequired           bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

// Resource returns the resource identifier the document describes.
func (m *Metadata) Resource() string { return m.resource }

// URL returns the metadata document's URL, the resource_metadata of the
// challenges: the resource's origin, WellKnownPath, then the resource's
// path (RFC 9728 §3.1).
func (m *Metadata) URL() string { return m.url }

// Paths returns the request paths Middleware answers with the document:
// the path of URL, and WellKnownPath alone for a resource with a path,
// where clients that do not insert the path look (the MCP authorization
// specification has clients try both).
func (m *Metadata) Paths() []string { return slices.Clone(m.paths) }

// JSON returns the document as served.
func (m *Metadata) JSON() []byte { return slices.Clone(m.body) }

// buildMetadata checks c.protected and returns the metadata, or nil when
// it is not configured. audience is New's ("" for NewOpaque), issuers the
// URLs of New's Issuers. It sets c.resourceMetadata for the challenge.
func buildMetadata(c *config, audience string, issuers []string) (*Metadata, error) {
	pr := c.protected
	if pr == nil {
		return nil, nil
	}
	doc := prDocument{
		Resource:              pr.Resource,
		AuthorizationServers:  pr.AuthorizationServers,
		ScopesSupported:       pr.ScopesSupported,
		ResourceName:          pr.ResourceName,
		ResourceDocumentation: pr.ResourceDocumentation,
	}
	switch {
	case doc.Resource == "" && audience == "":
		return nil, fmt.Errorf("%w: NewOpaque has no audience to take as the resource: set ProtectedResource.Resource", ErrProtectedResource)
	case doc.Resource == "":
		doc.Resource = audience
	case audience != "" && doc.Resource != audience:
		// One identifier for both: a token whose aud names the resource
		// the metadata describes is the only token this verifier takes
		// (RFC 9728 §7.4, RFC 8707 §2; the MCP specification has servers
		// check exactly that).
		return nil, fmt.Errorf("%w: resource %s is not the audience %s given to New; they must be the same identifier, since tokens are checked for that audience", ErrProtectedResource, quote(doc.Resource), quote(audience))
	}
	u, err := checkMetadataURL("resource", doc.Resource, pr.AllowLoopbackHTTP)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.ForceQuery {
		// RFC 9728 §1.2 lets a resource have a query (SHOULD NOT); it
		// would make the path-inserted metadata URL ambiguous to build
		// and to match, so it is refused.
		return nil, fmt.Errorf("%w: resource %s has a query; authgate refuses one (RFC 9728 §1.2: SHOULD NOT)", ErrProtectedResource, quote(doc.Resource))
	}
	if len(doc.AuthorizationServers) == 0 {
		if len(issuers) == 0 {
			return nil, fmt.Errorf("%w: NewOpaque has no issuers to take as authorization servers: set ProtectedResource.AuthorizationServers", ErrProtectedResource)
		}
		doc.AuthorizationServers = slices.Clone(issuers)
	}
	for i, as := range doc.AuthorizationServers {
		au, err := checkMetadataURL(fmt.Sprintf("authorization server %d", i), as, pr.AllowLoopbackHTTP)
		if err != nil {
			return nil, err
		}
		if au.RawQuery != "" || au.ForceQuery {
			return nil, fmt.Errorf("%w: authorization server %d, %s, has a query, which an issuer identifier may not have (RFC 8414 §2)", ErrProtectedResource, i, quote(as))
		}
		if slices.Index(doc.AuthorizationServers, as) != i {
			return nil, fmt.Errorf("%w: authorization server %s is listed twice", ErrProtectedResource, quote(as))
		}
	}
	for i, s := range doc.ScopesSupported {
		if s == "" {
			return nil, fmt.Errorf("%w: scope %d is empty", ErrProtectedResource, i)
		}
		for j := 0; j < len(s); j++ {
			if !isScopeChar(s[j]) {
				return nil, fmt.Errorf("%w: scope %s has byte 0x%02x at offset %d, which a scope-token may not hold (RFC 6749 §3.3)", ErrProtectedResource, quote(s), s[j], j)
			}
		}
		if slices.Index(doc.ScopesSupported, s) != i {
			return nil, fmt.Errorf("%w: scope %s is listed twice", ErrProtectedResource, quote(s))
		}
	}
	if n := doc.ResourceName; n != "" {
		if !utf8.ValidString(n) || strings.IndexFunc(n, unicode.IsControl) >= 0 || strings.TrimSpace(n) == "" {
			return nil, fmt.Errorf("%w: resource name %s must be valid UTF-8 text without control characters", ErrProtectedResource, quote(n))
		}
	}
	if d := doc.ResourceDocumentation; d != "" {
		if _, err := checkMetadataURL("resource documentation", d, pr.AllowLoopbackHTTP); err != nil {
			return nil, err
		}
	}
	doc.BearerMethodsSupported = []string{"header"}
	if c.form {
		doc.BearerMethodsSupported = append(doc.BearerMethodsSupported, "body")
	}
	if c.query {
		doc.BearerMethodsSupported = append(doc.BearerMethodsSupported, "query")
	}
	doc.DPoPAlgs, doc.DPoPRequired = c.dpopMetadata()

	m := &Metadata{resource: doc.Resource}
	mu := url.URL{Scheme: u.Scheme, Host: u.Host, Path: WellKnownPath}
	m.paths = []string{WellKnownPath}
	if p := u.Path; p != "" && p != "/" {
		// §3.1: the well-known path goes between the host and the
		// resource's path.
		mu.Path = WellKnownPath + p
		mu.RawPath = ""
		if u.RawPath != "" {
			mu.RawPath = WellKnownPath + u.RawPath
		}
		m.paths = []string{mu.Path, WellKnownPath}
	}
	m.url = mu.String()
	if c.resourceMetadata != "" && c.resourceMetadata != m.url {
		return nil, fmt.Errorf("%w: WithResourceMetadata(%s) names another URL than the one the metadata is served at, %s; drop WithResourceMetadata", ErrProtectedResource, quote(c.resourceMetadata), quote(m.url))
	}
	c.resourceMetadata = m.url
	if m.body, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProtectedResource, err)
	}
	return m, nil
}

// checkMetadataURL checks that raw, named what, is an absolute https URL
// without user information or fragment; or http to a loopback host when
// loopback is set.
func checkMetadataURL(what, raw string, loopback bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s %s is not a URL: %w", ErrProtectedResource, what, quote(raw), err)
	case !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: %s %s is not an absolute URL with a host", ErrProtectedResource, what, quote(raw))
	case u.User != nil:
		return nil, fmt.Errorf("%w: %s %s holds user information", ErrProtectedResource, what, quote(u.Redacted()))
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%w: %s %s has a fragment, which RFC 9728 §1.2 and RFC 8414 §2 forbid", ErrProtectedResource, what, quote(raw))
	case u.Scheme == "https":
		return u, nil
	case u.Scheme == "http" && loopback && isLoopback(u.Hostname()):
		return u, nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil, fmt.Errorf("%w: %s %s uses http; set AllowLoopbackHTTP to accept http to a loopback host", ErrProtectedResource, what, quote(raw))
	default:
		return nil, fmt.Errorf("%w: %s %s must be an https URL (RFC 9728 §3); http is accepted only to a loopback host, with AllowLoopbackHTTP", ErrProtectedResource, what, quote(raw))
	}
}
