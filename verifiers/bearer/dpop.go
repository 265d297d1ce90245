package bearer

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// DPoPMode says whether a Verifier with WithDPoP still accepts Bearer
// tokens.
type DPoPMode uint8

const (
	// DPoPAllowed accepts DPoP-bound tokens with a proof (Authorization:
	// DPoP, through the Verifier's DPoP verifier) and tokens without cnf
	// as Bearer. A DPoP-bound token sent as Bearer is refused
	// (dpop_bound_token_as_bearer): no downgrade (RFC 9449 §7.2).
	DPoPAllowed DPoPMode = iota
	// DPoPRequired accepts DPoP only: the Bearer verifier refuses every
	// token with dpop_required. Mount only the DPoP verifier on such
	// routes, so that 401s offer the DPoP challenge alone.
	DPoPRequired
)

// Defaults of DPoPOptions.
const (
	// DefaultDPoPWindow is how old a proof's iat may be.
	DefaultDPoPWindow = time.Minute
	// DefaultDPoPLeeway is the clock tolerance for a proof's iat, both
	// ways.
	DefaultDPoPLeeway = 5 * time.Second
	// MaxDPoPWindow is the largest window WithDPoP accepts: the replay
	// store keeps every proof's jti that long.
	MaxDPoPWindow = 10 * time.Minute
	// DefaultMaxProofBytes caps the DPoP header; a larger proof is
	// refused with credentials_too_large before any parsing.
	DefaultMaxProofBytes = 8 << 10
)

// defaultDPoPAlgs are the proof algorithms accepted when DPoPOptions.Algs
// is empty: every asymmetric one authgate verifies, in the order the
// challenge lists them.
func defaultDPoPAlgs() []string {
	return []string{"ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}
}

// DPoPOptions configure DPoP (RFC 9449) for WithDPoP. The zero value is
// usable: DPoPAllowed, every asymmetric algorithm, a one-minute window, an
// in-memory replay store, no nonces, and the URL the request names.
type DPoPOptions struct {
	// Mode is DPoPAllowed (the default) or DPoPRequired.
	Mode DPoPMode
	// Algs are the proof algorithms accepted, listed in the challenge's
	// algs parameter (RFC 9449 §7.1). Asymmetric ones only; empty for
	// all of ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256,
	// RS384, RS512.
	Algs []string
	// IATWindow is how old a proof may be: its iat must be within
	// [now − IATWindow − Leeway, now + Leeway] (RFC 9449 §11.1). Default
	// DefaultDPoPWindow, at most MaxDPoPWindow.
	IATWindow time.Duration
	// Leeway is the clock tolerance for iat; default DefaultDPoPLeeway,
	// at most MaxLeeway.
	Leeway time.Duration
	// Replay remembers the proofs used, keyed by an SHA-256 of the proof
	// key's thumbprint and the proof's jti, until the proof's window has
	// closed. Default: a MemoryReplayStore of DefaultReplayStoreEntries
	// for this Verifier alone. Several instances need a shared store, or
	// a proof replayed to another instance is accepted there.
	Replay ReplayStore
	// Nonces, when set, makes every proof carry a nonce the server issued
	// (RFC 9449 §9): a proof without one, or with one Nonces no longer
	// accepts, gets 401 error="use_dpop_nonce". Mount the DPoP verifier's
	// Nonces middleware in front of the gate, so that every response
	// carries a current DPoP-Nonce. See NewDPoPNonces.
	Nonces DPoPNonceSource
	// ExternalOrigin is the scheme and host clients use to reach this
	// server ("https://api.example.com"), for a server behind a proxy:
	// the htu a proof must name is this origin and the request's path.
	// Without it (and without ExternalURL), the URL is the request's own:
	// https when it came over TLS, http otherwise, and its Host header.
	// Forwarded headers are never read: a client could set them.
	ExternalOrigin string
	// ExternalURL, for deployments ExternalOrigin does not fit (a proxy
	// that strips a path prefix), returns the URL the client used for r;
	// its query and fragment are ignored. Set at most one of the two.
	ExternalURL func(r *http.Request) *url.URL
	// MaxProofBytes caps the DPoP header; default DefaultMaxProofBytes.
	MaxProofBytes int
}

// DPoPNonceSource issues and checks DPoP nonces (RFC 9449 §8, §9). A
// source shared by several instances (NewDPoPNonces with one secret)
// lets a client use a nonce from one instance at another. It must be
// safe for concurrent use.
type DPoPNonceSource interface {
	// Nonce returns the nonce to send now in DPoP-Nonce.
	Nonce() string
	// Check reports whether nonce is one the source issued and still
	// accepts.
	Check(nonce string) bool
}

// WithDPoP enables DPoP (RFC 9449): tokens bound to a key (cnf.jkt) and
// sent as `Authorization: DPoP <token>` with a `DPoP: <proof>` header.
// Such requests are verified by the Verifier's DPoP verifier (see
// Verifier.DPoP), which the route must list beside, or instead of, the
// Verifier itself. JWT only.
func WithDPoP(o DPoPOptions) Option {
	return jwtOption(func(c *config) error {
		cp := o
		cp.Algs = append([]string(nil), o.Algs...)
		c.dpop = &cp
		return nil
	})
}

// dpopConfig is DPoPOptions checked, with defaults applied.
type dpopConfig struct {
	mode     DPoPMode
	algs     allowList
	algNames []string
	window   time.Duration
	leeway   time.Duration
	replay   ReplayStore
	nonces   DPoPNonceSource
	origin   *url.URL
	external func(*http.Request) *url.URL
	maxProof int
	ch       challenge.Challenge
}

func newDPoPConfig(o *DPoPOptions, c *config) (*dpopConfig, error) {
	d := &dpopConfig{
		mode:     o.Mode,
		window:   o.IATWindow,
		leeway:   o.Leeway,
		replay:   o.Replay,
		nonces:   o.Nonces,
		external: o.ExternalURL,
		maxProof: o.MaxProofBytes,
	}
	if d.mode > DPoPRequired {
		return nil, fmt.Errorf("bearer: WithDPoP: unknown Mode %d", d.mode)
	}
	names := o.Algs
	if len(names) == 0 {
		names = defaultDPoPAlgs()
	}
	for _, n := range names {
		a := jose.LookupAlg(n)
		switch {
		case a == nil:
			return nil, fmt.Errorf("bearer: WithDPoP: unknown algorithm %s", quote(n))
		case a.HMAC():
			return nil, fmt.Errorf("bearer: WithDPoP: %s is symmetric; a DPoP proof needs an asymmetric algorithm (RFC 9449 §4.2)", n)
		case d.algs.Has(a):
			return nil, fmt.Errorf("bearer: WithDPoP: %s listed twice", n)
		}
		d.algs = append(d.algs, a)
		d.algNames = append(d.algNames, n)
	}
	switch {
	case d.window == 0:
		d.window = DefaultDPoPWindow
	case d.window < 0 || d.window > MaxDPoPWindow:
		return nil, fmt.Errorf("bearer: WithDPoP: IATWindow %v is outside (0, %v]", d.window, MaxDPoPWindow)
	}
	switch {
	case d.leeway == 0:
		d.leeway = DefaultDPoPLeeway
	case d.leeway < 0 || d.leeway > MaxLeeway:
		return nil, fmt.Errorf("bearer: WithDPoP: Leeway %v is outside [0, %v]", d.leeway, MaxLeeway)
	}
	switch {
	case d.maxProof == 0:
		d.maxProof = DefaultMaxProofBytes
	case d.maxProof < 0:
		return nil, fmt.Errorf("bearer: WithDPoP: MaxProofBytes %d is negative", d.maxProof)
	}
	if d.replay == nil {
		d.replay = NewMemoryReplayStore(0, ReplayStoreClock(c.now))
	}
	if o.ExternalOrigin != "" {
		if o.ExternalURL != nil {
			return nil, errors.New("bearer: WithDPoP: set ExternalOrigin or ExternalURL, not both")
		}
		u, err := url.Parse(o.ExternalOrigin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("bearer: WithDPoP: ExternalOrigin %s is not an origin such as https://api.example.com", quote(o.ExternalOrigin))
		}
		d.origin = u
	}
	params := []challenge.Param{{Name: "realm", Value: c.realm}, {Name: "algs", Value: strings.Join(d.algNames, " ")}}
	if c.resourceMetadata != "" {
		params = append(params, challenge.Param{Name: "resource_metadata", Value: c.resourceMetadata})
	}
	d.ch = challenge.Challenge{Scheme: "DPoP", Params: params}
	if err := d.ch.Validate(); err != nil {
		return nil, fmt.Errorf("bearer: WithDPoP: challenge: %w", err)
	}
	return d, nil
}

// dpopMetadata tells the DPoP settings the RFC 9728 metadata publishes
// (RFC 9449 §5.1): dpop_signing_alg_values_supported, the proof
// algorithms accepted, and dpop_bound_access_tokens_required. algs is nil
// when DPoP is off, and both members are then left out. New refuses
// algorithms newDPoPConfig does not accept, so none is ever published.
func (c *config) dpopMetadata() (algs []string, required bool) {
	if c.dpop == nil {
		return nil, false
	}
	algs = c.dpop.Algs
	if len(algs) == 0 {
		algs = defaultDPoPAlgs()
	}
	return slices.Clone(algs), c.dpop.Mode == DPoPRequired
}

// DPoPVerifier verifies `Authorization: DPoP <token>` requests with their
// DPoP proof (RFC 9449 §7.1), for a Verifier made with WithDPoP. It
// implements verifiers.Verifier, with the challenge
// `DPoP realm="REALM", algs="ES256 ..."`; list it on a route beside the
// Verifier (DPoPAllowed) or alone (DPoPRequired):
//
//	r.With(gate.Require(v.DPoP(), v)).Get("/orders", listOrders)
//
// It shares the Verifier's issuers, keys, token cache and Close.
type DPoPVerifier struct {
	v *Verifier
}

// DPoP returns the verifier of DPoP requests. It panics when v was made
// without WithDPoP: a configuration error, found at start-up.
func (v *Verifier) DPoP() *DPoPVerifier {
	if v.dpop == nil {
		panic("bearer: Verifier.DPoP called on a Verifier made without WithDPoP")
	}
	return &DPoPVerifier{v: v}
}

// Challenge returns `DPoP realm="REALM", algs="..."`, with
// resource_metadata when configured. The gate adds error and
// error_description to the challenge of a rejected request:
// invalid_dpop_proof or use_dpop_nonce for the proof, invalid_token for
// the token (RFC 9449 §7.1).
func (d *DPoPVerifier) Challenge() challenge.Challenge { return d.v.dpop.ch }

// Nonces returns next with a DPoP-Nonce header (RFC 9449 §8) on every
// response, when DPoPOptions.Nonces is set; next itself otherwise. Mount
// it in front of the gate, so that 401 use_dpop_nonce answers and
// successful responses both carry the nonce to use next.
func (d *DPoPVerifier) Nonces(next http.Handler) http.Handler {
	src := d.v.dpop.nonces
	if src == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Dpop-Nonce"] = []string{src.Nonce()}
		next.ServeHTTP(w, r)
	})
}

// bearerWithDPoP applies DPoP's rules to an identity the Bearer scheme
// proved: a token bound to a key is refused (a stolen bound token must
// not be usable without its key, RFC 9449 §7.2), and with DPoPRequired
// every token is.
func (v *Verifier) bearerWithDPoP(id *verifiers.Identity) (*verifiers.Identity, error) {
	if jkt, bound := boundKey(id.Claims); bound {
		return nil, withAttrs(boundTokenAsBearer(jkt), id.Attrs)
	}
	if v.dpop.mode == DPoPRequired {
		return nil, withAttrs(dpopRequired(), id.Attrs)
	}
	return id, nil
}

// boundKey returns the token's cnf.jkt (RFC 9449 §6.1) and whether the
// token has a cnf claim with jkt at all, whatever its type.
func boundKey(claims map[string]any) (jkt any, bound bool) {
	cnf, ok := claims["cnf"].(map[string]any)
	if !ok {
		return nil, false
	}
	jkt, bound = cnf["jkt"]
	return jkt, bound
}

// Verify checks a DPoP request: the token in `Authorization: DPoP`, as
// the Verifier checks Bearer tokens (with its caches), then the proof in
// the DPoP header, afresh on every request, as RFC 9449 §4.3 lists: one
// DPoP header within MaxProofBytes; a compact JWS with typ dpop+jwt, an
// allowed asymmetric alg and a public jwk; jti, htm, htu and iat present;
// htm the request's method; htu its URL (RFC 9449 §4.3 normalisation,
// query and fragment ignored); iat within the window; the nonce when
// Nonces is set; ath the hash of the token; the signature; the token's
// cnf.jkt the proof key's thumbprint; and the jti not used before. It
// returns ErrNoCredentials when Authorization is not of the DPoP scheme.
func (d *DPoPVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	v, dc := d.v, d.v.dpop
	tok, err := v.dpopToken(r)
	if err != nil {
		return nil, err
	}
	raw, err := dc.proofHeader(r)
	if err != nil {
		return nil, err
	}
	// The token first, through the caches (a cached token costs little),
	// so that a proof's rejection names whose token it came with.
	id, err := v.identity(r, tok, verifiers.Source{In: verifiers.InAuthorization})
	if err != nil {
		return nil, err
	}
	now := v.now()
	p, err := dc.checkProof(r, raw, tok, now)
	if err != nil {
		return nil, withAttrs(err, id.Attrs)
	}
	jkt, _ := boundKey(id.Claims)
	if s, ok := jkt.(string); !ok || s != p.thumb {
		return nil, withAttrs(keyMismatch(jkt, p), id.Attrs)
	}
	fresh, err := dc.replay.Use(r.Context(), replayKey(p), p.until)
	switch {
	case err != nil:
		return nil, &verifiers.UnavailableError{Detail: "the DPoP replay store could not tell whether the proof was used before", Err: err}
	case !fresh:
		return nil, withAttrs(replayed(p, now), id.Attrs)
	}
	out := *id
	out.Scheme = verifiers.SchemeDPoP
	out.Attrs = append(append(make([]verifiers.Attr, 0, len(id.Attrs)+1), id.Attrs...), verifiers.Attr{Key: verifiers.AttrJKT, Value: p.thumb})
	return &out, nil
}

// dpopToken returns the token of `Authorization: DPoP <token>`, or
// ErrNoCredentials for another scheme.
func (v *Verifier) dpopToken(r *http.Request) (string, error) {
	auth := r.Header["Authorization"]
	switch {
	case len(auth) == 0:
		return "", verifiers.ErrNoCredentials
	case len(auth) > 1:
		return "", verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("the request has %d Authorization header fields; exactly one is allowed", len(auth)))
	}
	tok, ok := schemeCredentials(auth[0], "dpop")
	switch {
	case !ok:
		return "", verifiers.ErrNoCredentials
	case tok == "":
		return "", verifiers.Reject(verifiers.RequestMalformed, "the Authorization header says DPoP but carries no token").
			WithHint("the client sent the scheme without a token; check that the variable holding the token is set")
	case len(tok) > v.maxTokenBytes:
		return "", verifiers.Reject(verifiers.CredentialsTooLarge,
			fmt.Sprintf("the token in the Authorization header is %d bytes, over the %d-byte limit; it was not parsed", len(tok), v.maxTokenBytes)).
			With(verifiers.AttrHeader, "Authorization")
	}
	return tok, nil
}

// proofHeader returns the one DPoP header's value (RFC 9449 §4.3 step 1).
func (d *dpopConfig) proofHeader(r *http.Request) (string, error) {
	vals := r.Header["Dpop"]
	switch {
	case len(vals) == 0:
		return "", proofRejection(verifiers.DPoPProofMissing, "the request says Authorization: DPoP but has no DPoP header with a proof (RFC 9449 §7.1)").
			WithHint("the client, or a proxy on the way, drops the DPoP header; a DPoP client sends a new proof with every request")
	case len(vals) > 1:
		return "", verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("the request has %d DPoP header fields; RFC 9449 §4.3 allows exactly one", len(vals)))
	case len(vals[0]) > d.maxProof:
		return "", verifiers.Reject(verifiers.CredentialsTooLarge,
			fmt.Sprintf("the DPoP proof is %d bytes, over the %d-byte limit; it was not parsed", len(vals[0]), d.maxProof)).
			With(verifiers.AttrHeader, "DPoP")
	}
	return vals[0], nil
}

// schemeCredentials is bearerCredentials for another scheme, given in
// lower case.
func schemeCredentials(v, scheme string) (rest string, ok bool) {
	v = strings.Trim(v, " \t")
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	v = v[len(scheme):]
	if v != "" && v[0] != ' ' && v[0] != '\t' {
		return "", false
	}
	return strings.TrimLeft(v, " \t"), true
}
