package jose

import (
	"errors"
	"fmt"

	"github.com/authgate/authgate/internal/quote"
)

// This file binds a JWK to the one algorithm it verifies (RFC 8725
// §3.1): its alg member, checked against its type, or the algorithm its
// type implies.

// bindAlg returns the one algorithm the key verifies: its alg member, or
// the one its type implies (inferred).
func bindAlg(m rawKey, forSig bool, allow AllowList) (alg *Algorithm, inferred bool, skip string, err error) {
	switch {
	case m.Alg == "none":
		return nil, false, "", errors.New("alg 'none' is never a key's algorithm")
	case m.Alg != "" && isEncryptionAlg(m.Alg):
		if forSig {
			return nil, false, "", fmt.Errorf("alg %s is an encryption algorithm, but use or key_ops say the key verifies signatures", quote.Quote(m.Alg))
		}
		return nil, false, "alg " + quote.Quote(m.Alg) + " is an encryption algorithm", nil
	case m.Alg != "":
		alg = LookupAlg(m.Alg)
		if alg == nil {
			return nil, false, "", fmt.Errorf("alg %s is not a JWS algorithm authgate knows", quote.Quote(m.Alg))
		}
		if alg.kty() != m.Kty {
			return nil, false, "", fmt.Errorf("alg %s needs kty %s, this key's kty is %s", alg.name, alg.kty(), m.Kty)
		}
		if alg.curve != "" && alg.curve != m.Crv {
			return nil, false, "", fmt.Errorf("alg %s needs curve %s, this key is on %s", alg.name, alg.curve, m.Crv)
		}
		return alg, false, "", nil
	}
	alg, why := inferAlg(m, allow)
	if alg == nil {
		if m.Kty == "oct" {
			return nil, true, "", errors.New(why)
		}
		return nil, true, why, nil
	}
	return alg, true, "", nil
}

// inferAlg chooses the algorithm of a key without alg, within allow
// (nil: the default allow-list). It returns nil and a reason when there is
// no single answer.
func inferAlg(m rawKey, allow AllowList) (*Algorithm, string) {
	switch m.Kty {
	case "EC":
		switch m.Crv {
		case "P-256":
			return &algES256, ""
		case "P-384":
			return &algES384, ""
		default:
			return &algES512, ""
		}
	case "OKP":
		if allow != nil && allow.Has(&algEd25519) && !allow.Has(&algEdDSA) {
			return &algEd25519, ""
		}
		return &algEdDSA, ""
	case "RSA":
		// RS256 is what OpenID Connect requires every provider to support
		// (OIDC Core §15.1), and what providers that publish RSA keys
		// without alg sign with. RSA keys cannot say whether they sign
		// PKCS#1 v1.5 or PSS, so a key is bound to one of them only.
		if allow == nil || allow.Has(&algRS256) {
			return &algRS256, ""
		}
		var only *Algorithm
		for _, a := range allow {
			if a.isRSA() {
				if only != nil {
					return nil, "RSA key without alg, and the allow-list names several RSA algorithms but not RS256, so which one it signs with is unknown"
				}
				only = a
			}
		}
		if only == nil {
			return nil, "RSA key without alg, and the allow-list has no RSA algorithm"
		}
		return only, ""
	default: // oct
		return nil, "HMAC (oct) key without alg: a shared secret must name its algorithm (HS256, HS384 or HS512)"
	}
}
