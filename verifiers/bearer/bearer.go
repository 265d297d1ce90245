package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
	"github.com/rs/zerolog"
)

// Verifier checks Bearer JWT access tokens (RFC 6750, RFC 9068) signed by
// trusted issuers. It implements verifiers.Verifier; make one with New and
// stop its background key refresh with Close. It is safe for concurrent
// use.
type Verifier struct {
	extractor
	audience string
	issuers  map[string]*issuer
	order    []*issuer
	// allow is the explicit allow-list, nil for the default (the
	// algorithms the keys are bound to).
	allow     allowList
	symmetric bool
	leeway    time.Duration
	// leewayText is the leeway as the details of time claims write it.
	leewayText string
	now        func() time.Time
	types      []string
	// idTokenAllowed lists the ID-token claims that do not make a token
	// an ID token (WithIDTokenClaimsAllowed).
	idTokenAllowed []string
	required       []string
	scopeClaims    []string

	client         *http.Client
	fetchTimeout   time.Duration
	maxResponse    int64
	minRefresh     time.Duration
	maxRefresh     time.Duration
	unknownRefresh time.Duration
	plainHTTP      bool
	log            zerolog.Logger
	observer       Observer

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closed  bool

	caches *tokenCaches
	meta   *Metadata // WithProtectedResource's, nil without

	// dpop is the DPoP configuration (WithDPoP), nil when DPoP is off.
	dpop *dpopConfig

	// longWay, set by tests only, makes verify decode the claims of a
	// token with an unknown kid as of any other (see unknownKid).
	longWay bool
}

// New returns a Verifier that accepts JWT access tokens for audience
// issued by one of issuers, each checked with its own keys.
//
// Static key sets (JWKS, JWKSFile, Secret) are loaded and checked now,
// and a bad one makes New fail with a *KeySetError. Remote ones (JWKSURL,
// Discovery) are fetched now, concurrently, and then refreshed in the
// background until Close is called. A remote set that cannot be fetched
// or is refused does not make New fail: it is logged at error level,
// tokens of that issuer get 503 (verifier_unavailable) until a fetch
// succeeds, and the fetch is retried in the background. New fails on
// configuration errors only, and when ctx is done before the first
// fetches end.
//
// ctx bounds the start-up only: once New has returned, its end changes
// nothing, so a start-up timeout does not stop the key refresh. The
// background refresh lives until Close; call Close when the Verifier is
// no longer used.
func New(ctx context.Context, audience string, issuers []Issuer, opts ...Option) (*Verifier, error) {
	if audience == "" {
		return nil, errors.New("bearer: New needs the audience (the resource identifier tokens must name in aud)")
	}
	if len(issuers) == 0 {
		return nil, errors.New("bearer: New needs at least one Issuer")
	}
	c := defaultConfig()
	if err := c.applyJWT(opts); err != nil {
		return nil, err
	}
	urls := make([]string, len(issuers))
	for i, in := range issuers {
		urls[i] = in.URL
	}
	// Before the challenge is made: it names the metadata's URL.
	meta, err := buildMetadata(&c, audience, urls)
	if err != nil {
		return nil, err
	}
	v, err := newVerifier(audience, &c)
	if err != nil {
		return nil, err
	}
	v.meta = meta
	asymmetric, remote := false, false
	for _, in := range issuers {
		is, err := v.addIssuer(in, &c)
		if err != nil {
			return nil, err
		}
		if set := is.current(); set != nil && set.symmetric {
			v.symmetric = true
		} else {
			asymmetric = true
		}
		remote = remote || is.src.remote()
	}
	if v.symmetric && asymmetric {
		return nil, errors.New("bearer: HMAC shared secrets and asymmetric keys in one verifier would allow algorithm confusion (RFC 8725 §2.1); use one verifier for each")
	}
	if c.allow != nil && v.symmetric != c.allow[0].HMAC() {
		return nil, fmt.Errorf("bearer: WithAlgorithms(%s) does not fit the keys, which are %s", c.allow, map[bool]string{true: "shared secrets", false: "asymmetric"}[v.symmetric])
	}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	if remote {
		if err := v.start(ctx); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// newVerifier returns a Verifier with c's settings and no issuer yet.
func newVerifier(audience string, c *config) (*Verifier, error) {
	x, err := newExtractor(c)
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		extractor:      x,
		audience:       audience,
		issuers:        make(map[string]*issuer),
		allow:          c.allow,
		leeway:         c.leeway,
		leewayText:     c.leeway.String(),
		now:            c.now,
		types:          c.types,
		idTokenAllowed: c.idTokenAllowed,
		required:       c.requiredClaims,
		scopeClaims:    c.scopeClaims,
		client:         c.httpClient,
		fetchTimeout:   c.fetchTimeout,
		maxResponse:    c.maxResponse,
		minRefresh:     c.minRefresh,
		maxRefresh:     c.maxRefresh,
		unknownRefresh: c.unknownRefresh,
		plainHTTP:      c.plainHTTP,
		log:            c.logger,
		observer:       c.observer,
		caches:         newTokenCaches(c.tokenCacheEntries, c.tokenCacheBytes),
	}
	if c.dpop != nil {
		d, err := newDPoPConfig(c.dpop, c)
		if err != nil {
			return nil, err
		}
		v.dpop = d
	}
	if v.client == nil {
		v.client = defaultClient(c.plainHTTP)
	}
	return v, nil
}

// addIssuer adds in to v: a remote source's URLs are checked, a static
// source's key set is loaded and checked now.
func (v *Verifier) addIssuer(in Issuer, c *config) (*issuer, error) {
	if in.URL == "" {
		return nil, errors.New("bearer: an Issuer has an empty URL")
	}
	if _, dup := v.issuers[in.URL]; dup {
		return nil, fmt.Errorf("bearer: issuer %s is listed twice", quote(in.URL))
	}
	is := &issuer{iss: in.URL, src: in.Keys}
	if in.Keys.remote() {
		u, err := checkFetchURL(in.URL, c.plainHTTP)
		if in.Keys.kind == srcURL {
			u, err = checkFetchURL(in.Keys.url, c.plainHTTP)
			is.jwks = in.Keys.url
		}
		if err != nil {
			return nil, fmt.Errorf("bearer: issuer %s: %w", quote(in.URL), err)
		}
		is.issURL = u
	} else {
		set, err := in.Keys.load(in.URL, c.allow)
		if err != nil {
			return nil, err
		}
		if c.allow != nil && !anyAllowed(set, c.allow) {
			return nil, fmt.Errorf("bearer: issuer %s: no key of %s is bound to an allowed algorithm (%s)", quote(in.URL), set.origin, c.allow)
		}
		is.set.Store(set)
	}
	v.issuers[in.URL] = is
	v.order = append(v.order, is)
	return is, nil
}

// start makes the first fetches of the remote key sets, concurrently,
// then starts their background refresh. ctx bounds the first fetches
// only: the background loops run on the verifier's own context, which
// only Close ends.
func (v *Verifier) start(ctx context.Context) error {
	var first sync.WaitGroup
	for _, is := range v.order {
		if is.src.remote() {
			first.Go(func() { _, _ = v.refresh(ctx, is, true) })
		}
	}
	first.Wait()
	if err := ctx.Err(); err != nil {
		v.Close()
		return fmt.Errorf("bearer: New: %w", err)
	}
	for _, is := range v.order {
		if is.src.remote() && v.startFetch() {
			go v.loop(is)
		}
	}
	return nil
}

func anyAllowed(s *keySet, allow allowList) bool {
	for _, k := range s.keys {
		if allow.Has(k.Alg) {
			return true
		}
	}
	return false
}

// Close stops the background refresh of remote key sets and waits for
// fetches in progress to end. It is safe to call more than once.
//
// A closed Verifier still verifies tokens with the key sets it holds,
// but never fetches a set again: a token it can no longer check (one
// whose key is not in the last set fetched, or of an issuer whose set was
// never fetched) gets 503 verifier_unavailable, never 401, since the
// token may well be valid. Static key sets are unaffected.
func (v *Verifier) Close() error {
	v.closeMu.Lock()
	if v.closed {
		v.closeMu.Unlock()
		return nil
	}
	v.closed = true
	v.closeMu.Unlock()
	v.cancel()
	v.wg.Wait()
	return nil
}

// Challenge returns `Bearer realm="REALM"` with resource_metadata when
// configured. It never has an error parameter: the gate adds
// error="invalid_token" to the challenge of a rejected request (RFC 6750
// §3.1).
func (v *Verifier) Challenge() challenge.Challenge { return v.ch }

// Verify checks the request's Bearer token. See the package documentation
// for the outcomes and their reasons.
//
// With the verified-token cache (on by default, see WithTokenCache), a
// token seen before is answered from it: an accepted token returns the
// same *verifiers.Identity every time, which callers must treat as
// read-only; a rejected one returns a copy of the same Rejection.
func (v *Verifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	tok, src, err := v.token(r)
	if err != nil {
		return nil, err
	}
	id, err := v.identity(r, tok, src)
	if err != nil || v.dpop == nil {
		return id, err
	}
	return v.bearerWithDPoP(id)
}
