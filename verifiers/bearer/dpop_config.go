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
