package bearer

import (
	"fmt"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file words the rejections of DPoP requests: the detail says which
// check failed, with the values compared; the hint names the likely
// cause. None holds the proof or the token: a proof is identified by its
// key's thumbprint (jkt) only.

// Error codes of the DPoP challenge (RFC 9449 §7.1, §9).
const (
	errInvalidDPoPProof = "invalid_dpop_proof"
	errUseDPoPNonce     = "use_dpop_nonce"
)

// proofRejection is a Rejection whose challenge says
// error="invalid_dpop_proof" with the reason's description.
func proofRejection(reason verifiers.Reason, detail string) *verifiers.Rejection {
	rej := verifiers.Reject(reason, detail)
	rej.Params = []challenge.Param{{Name: "error", Value: errInvalidDPoPProof}, {Name: "error_description", Value: reason.Description()}}
	return rej
}

// withJKT names the proof's key in a rejection.
func withJKT(rej *verifiers.Rejection, p *proof) *verifiers.Rejection {
	return rej.With(verifiers.AttrJKT, p.thumb)
}

func proofMalformed(detail string) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofMalformed, "the DPoP proof is malformed: "+detail).
		WithHint("the DPoP header must hold a compact JWS made by the client's DPoP library, one per request")
}

func proofTypeMismatch(typ string) *verifiers.Rejection {
	got := "has no typ"
	if typ != "" {
		got = "has typ " + quote(typ)
	}
	return proofRejection(verifiers.DPoPProofMalformed, "the DPoP proof "+got+"; a proof has typ dpop+jwt (RFC 9449 §4.2)").
		WithHint("another JWT (the access token itself?) was sent in the DPoP header")
}

func (d *dpopConfig) proofAlgRefused(alg string) *verifiers.Rejection {
	detail := "the DPoP proof's alg " + quote(alg) + " is not accepted; accepted: " + strings.Join(d.algNames, ", ")
	hint := "the client signs its proofs with a key type this server does not accept; the DPoP challenge's algs lists those it does"
	if a := jose.LookupAlg(alg); a != nil && a.HMAC() {
		detail += " (a DPoP proof needs an asymmetric algorithm, RFC 9449 §4.2)"
	}
	if strings.EqualFold(alg, "none") {
		hint = "an unsigned proof: never accepted"
	}
	return proofRejection(verifiers.DPoPProofAlgNotAllowed, detail).WithHint(hint)
}

func proofKeyRefused(ek *jose.EmbeddedKeyError) *verifiers.Rejection {
	rej := proofRejection(verifiers.DPoPProofKeyInvalid, "the DPoP proof's jwk header is refused: "+ek.Problem)
	if ek.Private {
		return rej.WithHint("the client put its private key into the proof, which every server and proxy on the way has now seen: that key must be replaced")
	}
	return rej.WithHint("the client's DPoP library exports its public key wrongly, or the proof was made by hand")
}

func proofKeyMissing() *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofKeyInvalid, "the DPoP proof has no jwk header: a proof carries the public key it is signed with (RFC 9449 §4.2)").
		WithHint("another JWT (the access token itself?) was sent in the DPoP header")
}

func proofClaimMissing(name string) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofMalformed, "the DPoP proof has no "+name+" claim, or an empty one; a proof has jti, htm, htu and iat (RFC 9449 §4.2)").
		WithHint("the client's DPoP library is outdated or the proof was made by hand")
}

func methodMismatch(htm, method string) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofMismatch,
		fmt.Sprintf("the DPoP proof's htm is %s; the request's method is %s (RFC 9449 §4.3)", quote(htm), quote(method))).
		WithHint("the client made the proof for another request (a proof is made for each request's method and URL), or a proxy changed the method")
}

func (d *dpopConfig) urlMismatch(htu, named string, ok bool, seen string) *verifiers.Rejection {
	if !ok {
		return proofRejection(verifiers.DPoPProofMismatch,
			"the DPoP proof's htu "+quoteURL(htu)+" is no absolute http or https URL; the server sees "+quoteURL(seen)).
			WithHint("the client puts a relative or malformed URL in htu")
	}
	hint := "the client made the proof for another URL"
	if d.origin == nil && d.external == nil {
		hint = "behind a proxy or load balancer, the URL this server sees differs from the client's: set DPoPOptions.ExternalOrigin (or ExternalURL) to the public origin"
	}
	return proofRejection(verifiers.DPoPProofMismatch,
		"the DPoP proof's htu is "+quoteURL(htu)+" (normalised "+quoteURL(named)+"); the server sees "+quoteURL(seen)+" (query and fragment ignored, RFC 9449 §4.3)").
		WithHint(hint)
}

func proofFromFuture(iat, now time.Time, leeway time.Duration) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofStale,
		fmt.Sprintf("the DPoP proof's iat is %s, %s in the future (leeway %s; server time %s)", stamp(iat), dur(iat.Sub(now)), leeway, stamp(now))).
		WithHint("the client's clock is ahead of this server's (clock skew; check NTP on both)")
}

func proofTooOld(iat, now time.Time, window, leeway time.Duration) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofStale,
		fmt.Sprintf("the DPoP proof's iat is %s, %s ago; proofs are accepted for %s (leeway %s; server time %s)", stamp(iat), dur(now.Sub(iat)), window, leeway, stamp(now))).
		WithHint("the client reuses a proof it made earlier (it must make one per request), or its clock is behind this server's")
}

func nonceRequired(present bool) *verifiers.Rejection {
	detail := "the DPoP proof has no nonce, and this server requires one (RFC 9449 §9)"
	hint := "the client's first request, normally: it retries with the nonce of the DPoP-Nonce response header"
	if present {
		detail = "the DPoP proof's nonce is not one this server issued, or it is no longer accepted (RFC 9449 §9)"
		hint = "the nonce rotated since the client got it; the client retries with the DPoP-Nonce of this response (a nonce from another deployment, with another secret, never passes)"
	}
	rej := verifiers.Reject(verifiers.DPoPNonceRequired, detail).WithHint(hint)
	rej.Params = []challenge.Param{{Name: "error", Value: errUseDPoPNonce}, {Name: "error_description", Value: verifiers.DPoPNonceRequired.Description()}}
	return rej
}

func athMismatch(present bool) *verifiers.Rejection {
	if !present {
		return proofRejection(verifiers.DPoPATHMismatch, "the DPoP proof has no ath claim; a proof sent with an access token carries its hash (RFC 9449 §4.2)").
			WithHint("the client made a token-endpoint proof (without ath) and used it at the resource")
	}
	return proofRejection(verifiers.DPoPATHMismatch, "the DPoP proof's ath is not the SHA-256 hash of the access token sent (RFC 9449 §4.3)").
		WithHint("the client made the proof for another token, such as the one it had before a refresh")
}

func proofSignatureInvalid(alg *algorithm) *verifiers.Rejection {
	return proofRejection(verifiers.DPoPProofSignatureInvalid, "the DPoP proof's "+alg.Name()+" signature does not verify with the jwk it carries").
		WithHint("the proof was altered on its way, or the client signs with another key than it puts in jwk")
}

func keyMismatch(jkt any, p *proof) *verifiers.Rejection {
	var rej *verifiers.Rejection
	switch s, ok := jkt.(string); {
	case jkt == nil:
		rej = proofRejection(verifiers.DPoPKeyMismatch, "the access token has no cnf.jkt: it is not bound to a DPoP key, so it cannot be sent with the DPoP scheme (RFC 9449 §7.1)").
			WithHint("the authorization server issued a plain Bearer token: the client must send it as Bearer, or ask for a DPoP-bound token with a DPoP proof at the token endpoint")
	case !ok:
		rej = proofRejection(verifiers.DPoPKeyMismatch, "the access token's cnf.jkt is a JSON "+jsonKind(jkt)+", not a thumbprint string (RFC 9449 §6.1)").
			WithHint("the issuer's cnf claim mapping")
	default:
		rej = proofRejection(verifiers.DPoPKeyMismatch, "the access token is bound to the key "+quote(s)+"; the proof is signed by the key "+quote(p.thumb)+" (RFC 9449 §6.1)").
			WithHint("a token used with another key than the one it was issued to (a stolen token?), or a client that made a new DPoP key but kept its old token")
	}
	return withJKT(rej, p)
}

func replayed(p *proof, now time.Time) *verifiers.Rejection {
	return withJKT(proofRejection(verifiers.DPoPProofReplayed,
		fmt.Sprintf("a DPoP proof with this key and jti %s, issued at %s, was already used (server time %s; RFC 9449 §11.1)", quote(p.jti), stamp(p.iat), stamp(now))).
		WithHint("the client retries with the same proof (it must make one per request), or someone replays a proof they captured"), p)
}

func boundTokenAsBearer(jkt any) *verifiers.Rejection {
	rej := verifiers.Reject(verifiers.DPoPBoundTokenAsBearer,
		"the token is bound to a DPoP key (it has cnf.jkt) but was sent as Bearer; a bound token is accepted only with the DPoP scheme and a proof (RFC 9449 §7.2)").
		WithHint("the client must send 'Authorization: DPoP <token>' and a 'DPoP: <proof>' header signed by the key the token is bound to")
	if s, ok := jkt.(string); ok && s != "" {
		rej.With(verifiers.AttrJKT, s)
	}
	return rej
}

func dpopRequired() *verifiers.Rejection {
	return verifiers.Reject(verifiers.DPoPRequired, "the token was sent as Bearer, and this verifier requires DPoP (DPoPRequired)").
		WithHint("the client must get a DPoP-bound token (a DPoP proof at the token endpoint) and send it as 'Authorization: DPoP <token>' with a proof")
}
