package bearer

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file holds the decisions of JWT verification, in the order verify
// takes them; the words of each rejection are in diagnostics.go.

// verifyToken checks one token and returns the identity it proves,
// without the caches.
func (v *Verifier) verifyToken(ctx context.Context, tok string) (*verifiers.Identity, error) {
	var vd verdict
	return v.verify(ctx, tok, nil, v.now(), &vd)
}

// verdict is what verify learned about a token besides the outcome: what
// the caches need to tell when the same token would get another outcome.
type verdict struct {
	// is, set and used are the issuer, the key set and the key that
	// verified the signature (nil until it verified); kid and alg are the
	// token's.
	is   *issuer
	set  *keySet
	used *key
	kid  string
	alg  *algorithm
	// from and until bound the times at which the time claims checked so
	// far give the same answer: once exp has passed the check, until is
	// exp + leeway; once nbf and iat have, from is the later of nbf and
	// iat minus the leeway. Zero when unbounded.
	from, until time.Time
	// exp is the token's exp, set once it has been read.
	exp time.Time
	// expired is set for a token_expired rejection.
	expired bool
	// settled is set when the token's key was looked for in a static key
	// set (unknownKid, or any findKeys error from a static issuer): no
	// fetch can follow, so a token_key_unknown outcome holds while the
	// key-set epoch does, as a bad signature's does. Only
	// rememberRejection reads it, for token_key_unknown alone.
	settled bool
}

// verify checks one token and returns the identity it proves. It is a
// function of the token, the clock and the key sets only (and, for the
// hint of an issuer mismatch, of what discovery found), which is what lets
// the verified-token caches sit in front of it. jws is tok parsed, or nil
// to have verify parse it.
func (v *Verifier) verify(ctx context.Context, tok string, jws *jose.JWS, now time.Time, vd *verdict) (*verifiers.Identity, error) {
	var err error
	t := new(token)
	if jws != nil {
		t.JWS = *jws
	} else if err = jose.ParseInto(tok, &t.JWS); err != nil {
		return nil, v.malformed(tok, asMalformed(err))
	}
	alg := jose.LookupAlg(t.Header.Alg)
	vd.kid, vd.alg = t.Header.Kid, alg
	if why := v.algRefusal(alg); why != algAllowed {
		return nil, v.algRejection(t, alg, why)
	}
	if t.set, err = t.ReadClaims(registered[:], t.reg[:]); err != nil {
		rej := v.malformed(tok, asMalformed(err))
		addAttr(rej, verifiers.AttrKid, t.Header.Kid)
		return nil, rej
	}
	if !v.longWay && v.noKeyToTry(t.Header.Kid, alg) {
		if rej := v.unknownKid(t, alg, vd); rej != nil {
			return nil, rej
		}
	}
	// The token's attributes are made by the one outcome returned:
	// t.attrs() for most, t.reject for those made with theirs.
	iss, m := stringMember(t.reg[regIss], "iss")
	switch {
	case m != nil:
		return nil, withAttrs(v.malformed(tok, m), t.attrs())
	case t.reg[regIss].Kind == jose.Absent:
		return nil, withAttrs(issuerMissing(), t.attrs())
	}
	is := v.issuers[iss]
	if is == nil {
		return nil, withAttrs(v.issuerMismatch(iss), t.attrs())
	}
	set := is.current()
	if set == nil {
		set, err = v.refresh(ctx, is, false)
		if set == nil {
			return nil, v.unavailable(is, err)
		}
	}
	cands, set, err := v.findKeys(ctx, is, set, t.Header.Kid, alg)
	if err != nil {
		vd.settled = !is.src.remote()
		return nil, withAttrs(err, t.attrs())
	}
	var used *key
	var sigBuf [512]byte
	sig := t.AppendSignature(sigBuf[:0])
	for _, k := range cands {
		if k.Verify(t.SigningInput, sig) {
			used = k
			break
		}
	}
	if used == nil {
		return nil, t.badSignature(is, set, alg, cands)
	}
	vd.is, vd.set, vd.used = is, set, used
	if err := v.checkClaims(t, now, vd); err != nil {
		if vd.expired {
			return nil, err // made with the token's attributes (t.reject)
		}
		if rej, ok := verifiers.AsRejection(err); ok && rej.Reason == verifiers.TokenMalformed {
			rej.With(verifiers.AttrFingerprint, v.fp.Fingerprint(tok))
		}
		return nil, withAttrs(err, t.attrs())
	}
	scopes, srej := v.scopes(t.claims)
	if srej != nil {
		return nil, withAttrs(srej, t.attrs())
	}
	id := &verifiers.Identity{
		Scheme: verifiers.SchemeBearer,
		Scopes: scopes,
		Claims: t.claims,
		Attrs:  t.attrs(),
	}
	id.Subject, _ = t.str(regSub)
	if cid, ok, _ := stringClaim(t.claims, "client_id"); ok && cid != "" {
		id.Attrs = append(id.Attrs, verifiers.Attr{Key: verifiers.AttrClientID, Value: cid})
	}
	// Clipped: the cache hands this identity to many requests, and an
	// append by one of them must copy, not write into spare capacity.
	id.Attrs = slices.Clip(id.Attrs)
	return id, nil
}

// algVerdict is why checkAlg refuses an alg, or algAllowed.
type algVerdict uint8

const (
	algAllowed        algVerdict = iota
	algUnknown                   // no JWS algorithm authgate verifies, "none" included
	algNotListed                 // outside WithAlgorithms
	algNeedsSecret               // HMAC, and the verifier has public keys
	algNeedsPublicKey            // asymmetric, and the verifier has secrets
)

// algRefusal refuses an alg that is unknown, "none", or outside the
// allow-list. Without an explicit list, HMAC algorithms are allowed only
// with shared secrets and asymmetric ones only with public keys (RFC
// 8725 §2.1); the key's own binding is checked later, once it is found.
// a is nil for a name jose.LookupAlg does not know.
func (v *Verifier) algRefusal(a *algorithm) algVerdict {
	switch {
	case a == nil:
		return algUnknown // algRejection tells "none" apart
	case v.allow != nil && !v.allow.Has(a):
		return algNotListed
	case a.HMAC() && !v.symmetric:
		return algNeedsSecret
	case !a.HMAC() && v.symmetric:
		return algNeedsPublicKey
	}
	return algAllowed
}

// findKeys looks up the keys for a token, fetching the issuer's set again
// (at most once per unknown-key interval) when none fits.
func (v *Verifier) findKeys(ctx context.Context, is *issuer, set *keySet, kid string, alg *algorithm) ([]*key, *keySet, error) {
	cands, over := set.candidates(kid, alg)
	if over > 0 && kid == "" {
		// No fetch would help: the set has keys for the token, too many.
		return nil, set, v.tooManyKeys(is, set, alg, over)
	}
	refreshed := staticRefresh
	if len(cands) == 0 && is.src.remote() {
		s2, err := v.refresh(ctx, is, false)
		if s2 != nil {
			set = s2
			cands, over = set.candidates(kid, alg)
		}
		if over > 0 && kid == "" {
			return nil, set, v.tooManyKeys(is, set, alg, over)
		}
		if len(cands) == 0 {
			// The key is unknown only if the latest fetch succeeded and
			// lacks it. After a failed fetch (or while one runs, or once
			// the verifier is closed) the key may be in the set the
			// issuer publishes now: that is no fault of the token, and a
			// 401 would tell the client to throw a valid token away.
			at, lastErr := is.latest()
			switch {
			case err == nil:
				refreshed = "the set was fetched again just now for this unknown key"
			case errors.Is(err, errRateLimited) && lastErr == nil:
				refreshed = v.rateLimitedRefresh(at)
			default:
				return nil, set, v.keyUnavailable(is, set, kid, alg, err, at, lastErr)
			}
		}
	}
	if len(cands) == 1 && cands[0].Alg != alg {
		return nil, set, keyBoundElsewhere(is, cands[0], alg)
	}
	if len(cands) > 0 {
		return cands, set, nil
	}
	return nil, set, keyUnknown(is, set, kid, alg, refreshed, over)
}

// checkClaims applies typ, the ID-token claims, the time claims, aud and
// the required claims, and records in vd the window in which the time
// claims pass. It decodes the claims map once the checks that need none
// have passed.
func (v *Verifier) checkClaims(t *token, now time.Time, vd *verdict) error {
	if len(v.types) > 0 && !typeMatches(t.Header.Typ, v.types) {
		return v.typeMismatch(t.Header.Typ)
	}
	if rej := v.checkIDToken(t.reg[regIDToken : regIDToken+len(idTokenClaims)]); rej != nil {
		return rej
	}
	if err := v.checkTimes(t, now, vd); err != nil {
		return err
	}
	claims, err := t.set.Map()
	if err != nil {
		// ReadClaims found the set valid: a map it cannot decode is a
		// bug, refused as malformed rather than let through.
		return verifiers.Reject(verifiers.TokenMalformed, asMalformed(err).Detail)
	}
	t.claims = claims
	if rej := v.checkAudience(claims); rej != nil {
		return rej
	}
	for _, name := range v.required {
		if _, ok := claims[name]; !ok {
			return requiredClaimMissing(name)
		}
	}
	return nil
}

// checkTimes applies exp, nbf and iat (RFC 7519 §4.1.4, §4.1.5, §4.1.6)
// with the leeway. exp is required.
func (v *Verifier) checkTimes(t *token, now time.Time, vd *verdict) error {
	exp, ok, m := dateMember(t.reg[regExp], "exp")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.Detail)
	}
	if !ok {
		return expMissing()
	}
	vd.exp = exp
	if !now.Before(exp.Add(v.leeway)) {
		vd.expired = true // verify returns the rejection as it is
		detail, hint, at := v.expiredWords(exp, now)
		return t.reject(verifiers.TokenExpired, detail, hint, verifiers.Attr{Key: "exp", Value: at})
	}
	vd.until = exp.Add(v.leeway)
	nbf, ok, m := dateMember(t.reg[regNbf], "nbf")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.Detail)
	}
	if ok && now.Before(nbf.Add(-v.leeway)) {
		return v.notYetValid(nbf, now)
	}
	if ok {
		vd.from = nbf.Add(-v.leeway)
	}
	iat, ok, m := dateMember(t.reg[regIat], "iat")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.Detail)
	}
	if ok && iat.After(now.Add(v.leeway)) {
		return v.issuedInFuture(iat, now)
	}
	if ok && iat.Add(-v.leeway).After(vd.from) {
		vd.from = iat.Add(-v.leeway)
	}
	return nil
}

// checkAudience requires aud, a string or an array of strings, to name
// this resource exactly (RFC 7519 §4.1.3, RFC 9068 §4).
func (v *Verifier) checkAudience(claims map[string]any) error {
	raw, ok := claims["aud"]
	if !ok {
		return v.audienceMissing()
	}
	var auds []string
	switch a := raw.(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return verifiers.Reject(verifiers.TokenMalformed, "the aud claim is an array with a member that is not a string (RFC 7519 §4.1.3)")
			}
			auds = append(auds, s)
		}
	default:
		return verifiers.Reject(verifiers.TokenMalformed, "the aud claim is a JSON "+jsonKind(raw)+", neither a string nor an array of strings (RFC 7519 §4.1.3)")
	}
	for _, a := range auds {
		if a == v.audience {
			return nil
		}
	}
	return v.audienceMismatch(auds)
}
