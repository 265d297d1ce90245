package bearer

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

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
