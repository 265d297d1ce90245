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

// token is a parsed JWS and, once read, its claims: the registered ones
// verify decides on (reg) read first, and the map of all of them (claims)
// decoded only once the token has passed every check that needs no map,
// so that a token refused on its signature or its times never pays for
// the map (BenchmarkPaired).
type token struct {
	jose.JWS // inside the struct, on verify's stack (jose.ParseInto)
	set      jose.ClaimsSet
	reg      [len(registered)]jose.Member
	claims   map[string]any
}

// registered are the claims verify reads before the map, by index: iss
// picks the issuer; iss, sub and jti name the token in a rejection's
// attributes; exp, nbf and iat are the times; from regIDToken on,
// idTokenClaims, in their order (TestRegisteredHoldsIDTokenClaims).
var registered = [...]string{"iss", "sub", "jti", "exp", "nbf", "iat", "nonce", "at_hash", "c_hash", "s_hash"}

const (
	regIss = iota
	regSub
	regJTI
	regExp
	regNbf
	regIat
	regIDToken // the first of idTokenClaims
)

// str returns the registered claim i when it is a string.
func (t *token) str(i int) (string, bool) {
	return t.reg[i].Str, t.reg[i].Kind == jose.String
}

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
		if rej := v.unknownKid(t, alg); rej != nil {
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

// An unknown kid (a token of another environment, of a key not yet
// published, or a forgery) costs no signature check, and is never
// remembered by the token cache so that it keeps reaching the refresh of
// its issuer's set. When no refresh can follow (a static set, or a
// remote one fetched successfully less than the unknown-key interval ago
// with no fetch running), the outcome is token_key_unknown whatever the
// claims hold, once they are a well-formed claims set naming the issuer:
// noKeyToTry and unknownKid find that out from the claims ReadClaims
// read (without a map, but for a set of more than 32 claims), and verify
// takes its long way for every other token, so that the outcome (reason,
// detail, hint, attributes) is the one it would give.

// staticRefresh is what a token_key_unknown detail says of a static set.
const staticRefresh = "static keys are never fetched again"

// noKeyToTry reports whether kid names a key in none of the issuers'
// current sets, no key without kid could stand in for it, and no set can
// be fetched again for it (settledUnknown): whatever iss the token names,
// no key would be tried and nothing fetched. It is a map lookup per
// issuer for every token not in the cache whose kid is known.
func (v *Verifier) noKeyToTry(kid string, alg *algorithm) bool {
	if kid == "" {
		return false
	}
	for _, is := range v.order {
		if _, _, ok := v.settledUnknown(is, kid, alg); !ok {
			return false
		}
	}
	return true
}

// settledUnknown returns the set of is when it has no key for kid and
// alg and kid can make no fetch happen: is is static, or its last fetch
// succeeded less than the unknown-key interval ago, at, and no fetch
// runs. ok is false otherwise.
func (v *Verifier) settledUnknown(is *issuer, kid string, alg *algorithm) (set *keySet, at time.Time, ok bool) {
	if set = is.current(); set == nil {
		return nil, at, false
	}
	if cands, over := set.candidates(kid, alg); len(cands) > 0 || over > 0 {
		return nil, at, false
	}
	if !is.src.remote() {
		return set, at, true
	}
	is.mu.Lock()
	at, lastErr, fetching := is.lastAttempt, is.lastErr, is.fetching
	is.mu.Unlock()
	if fetching || at.IsZero() || lastErr != nil || v.now().Sub(at) >= v.unknownRefresh {
		return nil, at, false
	}
	// The set read before is.mu: one installed since then holds the key
	// or not, and findKeys would look again.
	if set = is.current(); set == nil {
		return nil, at, false
	}
	if cands, over := set.candidates(kid, alg); len(cands) > 0 || over > 0 {
		return nil, at, false
	}
	return set, at, true
}

// unknownKid returns the token_key_unknown rejection verify would give t,
// whose kid noKeyToTry found in no set, or nil when that takes verify's
// long way: a claims set that does not name a configured issuer, or an
// issuer whose set may be fetched again.
func (v *Verifier) unknownKid(t *token, alg *algorithm) *verifiers.Rejection {
	iss, ok := t.str(regIss)
	if !ok {
		return nil
	}
	is := v.issuers[iss]
	if is == nil {
		return nil
	}
	kid := t.Header.Kid
	set, at, ok := v.settledUnknown(is, kid, alg)
	if !ok {
		return nil
	}
	refreshed := staticRefresh
	if is.src.remote() {
		refreshed = v.rateLimitedRefresh(at)
	}
	w := unknownWordsOf(is, set, kid, alg, refreshed, 0)
	return t.reject(verifiers.TokenKeyUnknown, w.detail, w.hint, verifiers.Attr{})
}

// tokenRejection is a rejection of a token with the array of its
// attributes, in one allocation (token.reject).
type tokenRejection struct {
	rej   verifiers.Rejection
	attrs [6]verifiers.Attr
}

// reject returns the rejection of t for reason with its words and its
// attributes: first when it has a Key, then the token's (appendAttrs),
// clipped so that an append copies. The refusals of every token not in
// the cache that can be made this way are (an unknown kid, a bad
// signature, an expiry): one allocation, where Reject, a slice of the
// token's attributes and their copy into the rejection were three.
func (t *token) reject(reason verifiers.Reason, detail, hint string, first verifiers.Attr) *verifiers.Rejection {
	r := &tokenRejection{rej: verifiers.Rejection{Reason: reason, Detail: detail, Hint: hint}}
	a := r.attrs[:0]
	if first.Key != "" {
		a = append(a, first)
	}
	if a = t.appendAttrs(a); len(a) > 0 {
		r.rej.Attrs = a[:len(a):len(a)]
	}
	return &r.rej
}

// asMalformed is the *jose.MalformedError jose's parsers return.
func asMalformed(err error) *jose.MalformedError {
	if m, ok := err.(*jose.MalformedError); ok {
		return m
	}
	return &jose.MalformedError{Detail: err.Error()}
}

// attrs returns the safe identifiers of a token: kid, iss, sub and jti,
// with room for one more (client_id).
func (t *token) attrs() []verifiers.Attr {
	return t.appendAttrs(make([]verifiers.Attr, 0, 5))
}

// appendAttrs appends to a the token's kid and its iss, sub and jti
// claims, those that are non-empty strings.
func (t *token) appendAttrs(a []verifiers.Attr) []verifiers.Attr {
	if t.Header.Kid != "" {
		a = append(a, verifiers.Attr{Key: verifiers.AttrKid, Value: t.Header.Kid})
	}
	for _, c := range [...]struct {
		claim int
		attr  string
	}{{regIss, verifiers.AttrIssuer}, {regSub, verifiers.AttrSubject}, {regJTI, verifiers.AttrJTI}} {
		if s, ok := t.str(c.claim); ok && s != "" {
			a = append(a, verifiers.Attr{Key: c.attr, Value: s})
		}
	}
	return a
}

// withAttrs appends attrs to the attributes of err when it is a
// Rejection. A rejection without attributes shares attrs, clipped so
// that an append to either copies: no attribute is ever written in
// place.
func withAttrs(err error, attrs []verifiers.Attr) error {
	if len(attrs) == 0 {
		return err // a rejection without attributes keeps nil
	}
	if rej, ok := verifiers.AsRejection(err); ok {
		if len(rej.Attrs) == 0 {
			rej.Attrs = slices.Clip(attrs)
		} else {
			rej.Attrs = append(rej.Attrs, attrs...)
		}
	}
	return err
}

func addAttr(rej *verifiers.Rejection, k, val string) {
	if val != "" {
		rej.With(k, val)
	}
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
