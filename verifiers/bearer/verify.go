package bearer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// skewWindow is how close to the limit a time claim must be for the hint
// to suggest clock skew rather than a stale or early token.
const skewWindow = 5 * time.Minute

// verifyToken checks one token and returns the identity it proves,
// without the caches.
func (v *Verifier) verifyToken(ctx context.Context, tok string) (*verifiers.Identity, error) {
	var vd verdict
	return v.verify(ctx, tok, v.now(), &vd)
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
// the verified-token caches sit in front of it.
func (v *Verifier) verify(ctx context.Context, tok string, now time.Time, vd *verdict) (*verifiers.Identity, error) {
	t, m := parseJWS(tok)
	if m != nil {
		return nil, v.malformed(tok, m)
	}
	alg := lookupAlg(t.hdr.Alg)
	vd.kid, vd.alg = t.hdr.Kid, alg
	if rej := v.checkAlg(t, alg); rej != nil {
		return nil, rej
	}
	if m := t.parseClaims(); m != nil {
		rej := v.malformed(tok, m)
		addAttr(rej, verifiers.AttrKid, t.hdr.Kid)
		return nil, rej
	}
	attrs := t.attrs()
	iss, present, m := stringClaim(t.claims, "iss")
	switch {
	case m != nil:
		return nil, withAttrs(v.malformed(tok, m), attrs)
	case !present:
		return nil, withAttrs(verifiers.Reject(verifiers.TokenClaimMissing,
			"the token has no iss claim; it is required to tell which issuer's keys verify it").
			WithHint("the token is not an OAuth access token from an authorization server, or the issuer is misconfigured"), attrs)
	}
	is := v.issuers[iss]
	if is == nil {
		return nil, withAttrs(v.issuerMismatch(iss), attrs)
	}
	set := is.current()
	if set == nil {
		var err error
		set, err = v.refresh(ctx, is, false)
		if set == nil {
			return nil, v.unavailable(is, err)
		}
	}
	cands, set, rej := v.findKeys(ctx, is, set, t.hdr.Kid, alg)
	if rej != nil {
		return nil, withAttrs(rej, attrs)
	}
	var used *key
	for _, k := range cands {
		if verifySignature(k, t.signingInput, t.sig) {
			used = k
			break
		}
	}
	if used == nil {
		return nil, withAttrs(v.badSignature(is, set, t, alg, cands), attrs)
	}
	vd.is, vd.set, vd.used = is, set, used
	if err := v.checkClaims(t, iss, now, vd); err != nil {
		var rej *verifiers.Rejection
		if errors.As(err, &rej) && rej.Reason == verifiers.TokenMalformed {
			rej.With(verifiers.AttrFingerprint, v.fp.Fingerprint(tok))
		}
		return nil, withAttrs(err, attrs)
	}
	scopes, srej := v.scopes(t.claims)
	if srej != nil {
		return nil, withAttrs(srej, attrs)
	}
	id := &verifiers.Identity{
		Scheme: verifiers.SchemeBearer,
		Scopes: scopes,
		Claims: t.claims,
		Attrs:  attrs,
	}
	id.Subject, _, _ = stringClaim(t.claims, "sub")
	if cid, ok, _ := stringClaim(t.claims, "client_id"); ok && cid != "" {
		id.Attrs = append(id.Attrs, verifiers.Attr{Key: verifiers.AttrClientID, Value: cid})
	}
	return id, nil
}

// attrs returns the safe identifiers of a token: kid, iss, sub and jti.
func (t *token) attrs() []verifiers.Attr {
	a := make([]verifiers.Attr, 0, 5)
	if t.hdr.Kid != "" {
		a = append(a, verifiers.Attr{Key: verifiers.AttrKid, Value: t.hdr.Kid})
	}
	for _, c := range [...]struct{ claim, attr string }{
		{"iss", verifiers.AttrIssuer}, {"sub", verifiers.AttrSubject}, {"jti", verifiers.AttrJTI},
	} {
		if s, ok := t.claims[c.claim].(string); ok && s != "" {
			a = append(a, verifiers.Attr{Key: c.attr, Value: s})
		}
	}
	return a
}

func withAttrs(err error, attrs []verifiers.Attr) error {
	var rej *verifiers.Rejection
	if errors.As(err, &rej) {
		rej.Attrs = append(rej.Attrs, attrs...)
	}
	return err
}

func addAttr(rej *verifiers.Rejection, k, val string) {
	if val != "" {
		rej.With(k, val)
	}
}

// malformed turns a syntax problem into a token_malformed rejection with
// the token's fingerprint.
func (v *Verifier) malformed(tok string, m *malformedError) *verifiers.Rejection {
	return malformedRejection(v.fp, tok, m)
}

func malformedRejection(fp *verifiers.Fingerprinter, tok string, m *malformedError) *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenMalformed, m.detail).WithHint(m.hint).
		With(verifiers.AttrFingerprint, fp.Fingerprint(tok))
}

// checkAlg refuses an alg that is unknown, "none", or outside the
// allow-list. Without an explicit list, HMAC algorithms are allowed only
// with shared secrets and asymmetric ones only with public keys; the key's
// own binding is checked later, once it is found.
func (v *Verifier) checkAlg(t *token, a *algorithm) *verifiers.Rejection {
	var detail, hint string
	switch {
	case a == nil && strings.EqualFold(t.hdr.Alg, "none"):
		detail = fmt.Sprintf("the token's alg is %s: an unsigned token, which is never accepted (RFC 8725 §3.1); allowed: %s", quote(t.hdr.Alg), v.allowed())
		hint = "the token carries no signature: a client or issuer bug, or an attempt to skip the signature check"
	case a == nil:
		detail = fmt.Sprintf("the token's alg %s is not a JWS algorithm authgate verifies; allowed: %s", quote(t.hdr.Alg), v.allowed())
	case v.allow != nil && !v.allow.has(a):
		detail = fmt.Sprintf("the token's alg %s is not in the allow-list; allowed: %s", a.name, v.allowed())
		hint = "the issuer signs with an algorithm this server was not configured for: add it with WithAlgorithms if the issuer really uses it"
	case a.fam == famHMAC && !v.symmetric:
		detail = fmt.Sprintf("the token's alg %s needs a shared secret, and this verifier has public keys only; allowed: %s", a.name, v.allowed())
		hint = "an HMAC token sent to a public-key verifier: a token from another system, or an algorithm-confusion attempt (RFC 8725 §2.1)"
	case a.fam != famHMAC && v.symmetric:
		detail = fmt.Sprintf("the token's alg %s needs a public key, and this verifier has shared secrets only; allowed: %s", a.name, v.allowed())
	default:
		return nil
	}
	rej := verifiers.Reject(verifiers.TokenAlgNotAllowed, detail).WithHint(hint)
	addAttr(rej, verifiers.AttrKid, t.hdr.Kid)
	return rej
}

// allowed describes the algorithms accepted, for details.
func (v *Verifier) allowed() string {
	if v.allow != nil {
		return v.allow.String()
	}
	var l allowList
	for _, is := range v.order {
		if s := is.current(); s != nil {
			for _, a := range s.algs() {
				if !l.has(a) {
					l = append(l, a)
				}
			}
		}
	}
	if len(l) == 0 {
		return "the algorithms of the issuers' keys (none loaded yet)"
	}
	return l.String() + " (the algorithms of the configured keys)"
}

// candidates returns the keys that may have signed a token with kid and
// alg: the key named kid, or when there is none (or no kid), the keys
// without kid bound to alg. When more than MaxKeysTried keys fit without
// a kid, it returns none of them and their number as over: a forged token
// must not cost a signature check per key of a large set.
func (s *keySet) candidates(kid string, alg *algorithm) (cands []*key, over int) {
	if kid != "" {
		if k := s.byKid[kid]; k != nil {
			return []*key{k}, 0
		}
	}
	n := 0
	for _, k := range s.keys {
		if k.alg == alg && (kid == "" || k.kid == "") {
			n++
		}
	}
	if n > MaxKeysTried {
		return nil, n
	}
	for _, k := range s.keys {
		if k.alg == alg && (kid == "" || k.kid == "") {
			cands = append(cands, k)
		}
	}
	return cands, 0
}

// findKeys looks up the keys for a token, fetching the issuer's set again
// (at most once per unknown-key interval) when none fits.
func (v *Verifier) findKeys(ctx context.Context, is *issuer, set *keySet, kid string, alg *algorithm) ([]*key, *keySet, error) {
	cands, over := set.candidates(kid, alg)
	if over > 0 && kid == "" {
		// No fetch would help: the set has keys for the token, too many.
		return nil, set, v.tooManyKeys(is, set, alg, over)
	}
	refreshed := "static keys are never fetched again"
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
				wait := v.unknownRefresh - v.now().Sub(at)
				refreshed = fmt.Sprintf("it was last fetched, successfully, %s ago, and an unknown key makes it be fetched at most every %s (next in %s)", dur(v.now().Sub(at)), v.unknownRefresh, dur(max(wait, 0)))
			default:
				return nil, set, v.keyUnavailable(is, set, kid, alg, err, at, lastErr)
			}
		}
	}
	if len(cands) == 1 && cands[0].alg != alg {
		k := cands[0]
		how := "its alg member"
		if k.inferred {
			how = "inferred from its key type, as it has no alg member"
		}
		return nil, set, verifiers.Reject(verifiers.TokenAlgNotAllowed,
			fmt.Sprintf("the token's alg is %s, but key kid %s of issuer %s is bound to %s (%s); a key verifies one algorithm only (RFC 8725 §3.1)", alg.name, quote(k.kid), quote(is.iss), k.alg.name, how)).
			WithHint("the token was signed with another algorithm than its key is for: an algorithm-confusion attempt, or the issuer's key set does not state the algorithm it signs with (publish alg on the key)")
	}
	if len(cands) > 0 {
		return cands, set, nil
	}
	var detail string
	if kid != "" {
		detail = fmt.Sprintf("no key with kid %s in the key set of issuer %s", quote(kid), quote(is.iss))
	} else {
		detail = fmt.Sprintf("the token has no kid, and no key of issuer %s is bound to its alg %s", quote(is.iss), alg.name)
	}
	detail += fmt.Sprintf(" (%s: %s); %s", describeSet(set), set.origin, refreshed)
	if over > 0 {
		detail += fmt.Sprintf("; the %d %s keys without kid were not tried, as a token is tried against at most %d", over, alg.name, MaxKeysTried)
	}
	hint := "the issuer may have rotated to a key it has not published yet, or the token comes from another environment or tenant that uses the same issuer name"
	if !is.src.remote() {
		hint = "the issuer may have rotated its keys: update the configured key set; or the token comes from another environment or tenant"
	}
	return nil, set, verifiers.Reject(verifiers.TokenKeyUnknown, detail).WithHint(hint)
}

// tooManyKeys refuses a token without kid when more than MaxKeysTried keys
// of its issuer could have signed it. It is the token's fault, so 401
// token_key_unknown: with several keys in its set, an issuer must name
// the signing key in the token's kid (OpenID Connect Core §10.1), and no
// fetch of the set would change the answer.
func (v *Verifier) tooManyKeys(is *issuer, set *keySet, alg *algorithm, n int) *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenKeyUnknown,
		fmt.Sprintf("the token has no kid, and %d keys of issuer %s are bound to its alg %s (%s: %s); a token without kid is tried against at most %d keys, so none was tried",
			n, quote(is.iss), alg.name, describeSet(set), set.origin, MaxKeysTried)).
		WithHint("the issuer must put kid in the token header: with several keys in its set it is required to (OpenID Connect Core §10.1); or publish fewer keys without kid for this algorithm")
}

// keyUnavailable is the 503 for a token whose key is not in the cached set
// of is when the set could not be fetched again: the fetch failed (now,
// or the last time, less than the unknown-key interval ago), is still
// running, or the verifier is closed. at and lastErr are the start and
// outcome of the latest completed fetch.
func (v *Verifier) keyUnavailable(is *issuer, set *keySet, kid string, alg *algorithm, err error, at time.Time, lastErr error) *verifiers.UnavailableError {
	what := "no key with kid " + quote(kid)
	if kid == "" {
		what = "no key for this " + alg.name + " token (it has no kid)"
	}
	what = fmt.Sprintf("%s in the cached key set of issuer %s (%s: %s)", what, quote(is.iss), describeSet(set), set.origin)
	switch {
	case errors.Is(err, errFetchPending):
		ue := verifiers.Unavailable(what+", and fetching the set again did not finish in time ("+err.Error()+")", err)
		ue.RetryAfter = time.Second
		return ue
	case errors.Is(err, errClosed):
		return verifiers.Unavailable(what+"; the verifier is closed (Close was called), so the set is not fetched again and the token cannot be checked", err)
	}
	cause := err
	if errors.Is(err, errRateLimited) && lastErr != nil {
		cause = lastErr
	}
	now := v.now()
	// Retry-After counts whole seconds: at least one.
	wait := max(at.Add(v.unknownRefresh).Sub(now), 0)
	last := "the last successful fetch was at " + stamp(set.fetchedAt) + " (" + dur(now.Sub(set.fetchedAt)) + " ago)"
	ue := verifiers.Unavailable(fmt.Sprintf("%s; %s, and the latest fetch, at %s, failed (%v), so the key may be in the set the issuer publishes now; the next fetch is allowed in %s",
		what, last, stamp(at), cause, dur(wait)), cause)
	ue.RetryAfter = max(wait, time.Second)
	return ue
}

// describeSet says how many keys a set holds, their kids, and its age.
// It is computed once per installed set.
func describeSet(s *keySet) string {
	if d := s.desc.Load(); d != nil {
		return *d
	}
	var kids []string
	for _, k := range s.keys {
		if len(kids) == 8 {
			kids = append(kids, "...")
			break
		}
		if k.kid != "" {
			kids = append(kids, quote(k.kid))
		}
	}
	out := fmt.Sprintf("%d key", len(s.keys))
	if len(s.keys) != 1 {
		out += "s"
	}
	if len(kids) > 0 {
		out += " with kids " + strings.Join(kids, ", ")
	}
	if !s.fetchedAt.IsZero() {
		out += ", fetched at " + s.fetchedAt.UTC().Format(time.RFC3339)
	}
	s.desc.Store(&out)
	return out
}

func (v *Verifier) badSignature(is *issuer, set *keySet, t *token, alg *algorithm, cands []*key) error {
	var detail string
	switch {
	case len(cands) == 1 && cands[0].kid != "":
		detail = fmt.Sprintf("the signature does not verify with key kid %s (%s) of issuer %s", quote(cands[0].kid), alg.name, quote(is.iss))
	case len(cands) == 1:
		detail = fmt.Sprintf("the signature does not verify with the %s key (it has no kid) of issuer %s", alg.name, quote(is.iss))
	default:
		detail = fmt.Sprintf("the signature verifies with none of the %d %s keys without kid of issuer %s", len(cands), alg.name, quote(is.iss))
	}
	detail += fmt.Sprintf(" (%s: %s)", describeSet(set), set.origin)
	return verifiers.Reject(verifiers.TokenSignatureInvalid, detail).
		WithHint("the token was signed by another environment or tenant whose key has the same kid, or it was altered after signing")
}

// issuerMismatch explains an iss no configured issuer has.
func (v *Verifier) issuerMismatch(iss string) error {
	exp := make([]string, len(v.order))
	for i, is := range v.order {
		exp[i] = quote(is.iss)
	}
	detail := fmt.Sprintf("the token's iss is %s; this verifier trusts %s", quote(iss), strings.Join(exp, ", "))
	hint := "the token comes from another environment or tenant (staging vs production), or the configured issuer is written differently"
	for _, is := range v.order {
		if h := issuerHint(iss, is.iss); h != "" {
			hint = h
			break
		}
	}
	for _, is := range v.order {
		is.mu.Lock()
		d := is.discoveredIssuer
		is.mu.Unlock()
		if d != "" && d == iss {
			hint = fmt.Sprintf("the discovery document of the configured issuer %s names its issuer %s, which is what the token carries: configure the issuer exactly as %s", quote(is.iss), quote(d), quote(d))
		}
	}
	return verifiers.Reject(verifiers.TokenIssuerMismatch, detail).WithHint(hint)
}

// issuerHint names the small difference between two issuer identifiers
// that look alike, which an exact comparison refuses.
func issuerHint(got, want string) string {
	both := fmt.Sprintf("(token: %s, configured: %s)", quote(got), quote(want))
	switch {
	case strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/"):
		return "the issuers differ only by a trailing slash " + both + "; iss is compared exactly: configure it as the issuer writes it"
	case strings.EqualFold(got, want):
		return "the issuers differ only in letter case " + both + "; iss is compared exactly"
	case strings.Replace(got, "localhost", "127.0.0.1", 1) == strings.Replace(want, "localhost", "127.0.0.1", 1):
		return "the issuers differ only by localhost vs 127.0.0.1 " + both + "; iss is compared exactly: configure the host name the issuer uses"
	case strings.TrimPrefix(strings.TrimPrefix(got, "https://"), "http://") == strings.TrimPrefix(strings.TrimPrefix(want, "https://"), "http://"):
		return "the issuers differ only by http vs https " + both
	}
	return ""
}

// checkClaims applies typ, the ID-token claims, the time claims, aud and
// the required claims, and records in vd the window in which the time
// claims pass.
func (v *Verifier) checkClaims(t *token, iss string, now time.Time, vd *verdict) error {
	if len(v.types) > 0 && !typeMatches(t.hdr.Typ, v.types) {
		got := "the token has no typ header"
		if t.hdr.Typ != "" {
			got = "the token's typ is " + quote(t.hdr.Typ)
		}
		return verifiers.Reject(verifiers.TokenTypeMismatch,
			fmt.Sprintf("%s; expected %s", got, strings.Join(v.types, " or "))).
			WithHint("another kind of JWT (an ID token, a logout token, a client assertion) is used as an access token; RFC 9068 access tokens carry typ at+jwt")
	}
	if rej := v.checkIDToken(t.claims); rej != nil {
		return rej
	}
	exp, ok, m := numericDate(t.claims, "exp")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.detail)
	}
	if !ok {
		return verifiers.Reject(verifiers.TokenClaimMissing, "the token has no exp claim; tokens without an expiry are not accepted").
			WithHint("the issuer issues tokens that never expire; configure it to set exp")
	}
	vd.exp = exp
	if !now.Before(exp.Add(v.leeway)) {
		vd.expired = true
		return v.expiredRejection(exp, now).With("exp", stamp(exp))
	}
	vd.until = exp.Add(v.leeway)
	nbf, ok, m := numericDate(t.claims, "nbf")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.detail)
	}
	if ok && now.Before(nbf.Add(-v.leeway)) {
		ahead := nbf.Sub(now)
		hint := "the token becomes valid later: the client sent it too early"
		if ahead < skewWindow {
			hint = "it becomes valid in " + dur(ahead) + ": the issuer's clock is probably ahead of this server's (clock skew; check NTP on both)"
		}
		return verifiers.Reject(verifiers.TokenNotYetValid,
			fmt.Sprintf("the token is not valid before %s, %s from now (leeway %s; server time %s)", stamp(nbf), dur(ahead), v.leeway, stamp(now))).
			WithHint(hint)
	}
	if ok {
		vd.from = nbf.Add(-v.leeway)
	}
	iat, ok, m := numericDate(t.claims, "iat")
	if m != nil {
		return verifiers.Reject(verifiers.TokenMalformed, m.detail)
	}
	if ok && iat.After(now.Add(v.leeway)) {
		ahead := iat.Sub(now)
		hint := "the issuer's clock is far ahead of this server's, or the token was made by hand"
		if ahead < skewWindow {
			hint = "it was issued " + dur(ahead) + " in the future: the issuer's clock is probably ahead of this server's (clock skew; check NTP on both)"
		}
		return verifiers.Reject(verifiers.TokenIssuedInFuture,
			fmt.Sprintf("the token says it was issued at %s, %s in the future (leeway %s; server time %s)", stamp(iat), dur(ahead), v.leeway, stamp(now))).
			WithHint(hint)
	}
	if ok && iat.Add(-v.leeway).After(vd.from) {
		vd.from = iat.Add(-v.leeway)
	}
	if rej := v.checkAudience(t.claims); rej != nil {
		return rej
	}
	for _, name := range v.required {
		if _, ok := t.claims[name]; !ok {
			return verifiers.Reject(verifiers.TokenClaimMissing,
				fmt.Sprintf("the token has no %s claim, which this verifier requires", quote(name))).
				WithHint("the issuer does not put this claim into its tokens: check the token settings (claims mapping, scopes, or the RFC 9068 profile) of the client at the issuer")
		}
	}
	return nil
}

// expiredRejection explains a token that expired at exp, seen at now.
// Its text depends on now only through expiredKeyAt(exp, now).
func (v *Verifier) expiredRejection(exp, now time.Time) *verifiers.Rejection {
	ago := now.Sub(exp)
	hint := "the client keeps using a token past its expiry: it should get a new one (or refresh it) before exp"
	if ago < skewWindow {
		hint = "it expired only " + dur(ago) + " ago: if the client obtained it moments ago, the clocks of the issuer and this server differ (clock skew; check NTP on both); otherwise the client should renew tokens a little before exp"
	}
	return verifiers.Reject(verifiers.TokenExpired,
		fmt.Sprintf("the token expired at %s, %s ago (leeway %s; server time %s)", stamp(exp), dur(ago), v.leeway, stamp(now))).
		WithHint(hint)
}

func (v *Verifier) checkAudience(claims map[string]any) error {
	raw, ok := claims["aud"]
	if !ok {
		return verifiers.Reject(verifiers.TokenClaimMissing,
			fmt.Sprintf("the token has no aud claim; it must name this resource, %s (RFC 9068 §4)", quote(v.audience))).
			WithHint("the client did not ask for a token for this resource: it should send the resource (RFC 8707) or audience parameter with " + quote(v.audience))
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
		return verifiers.Reject(verifiers.TokenMalformed, fmt.Sprintf("the aud claim is a JSON %s, neither a string nor an array of strings (RFC 7519 §4.1.3)", jsonKind(raw)))
	}
	for _, a := range auds {
		if a == v.audience {
			return nil
		}
	}
	q := make([]string, 0, len(auds))
	for i, a := range auds {
		if i == 8 {
			q = append(q, "...")
			break
		}
		q = append(q, quote(a))
	}
	got := "[" + strings.Join(q, ", ") + "]"
	hint := "the token was issued for another resource, or by another environment or tenant: the client must request a token for " + quote(v.audience) + " (resource or audience parameter)"
	for _, a := range auds {
		if strings.TrimSuffix(a, "/") == strings.TrimSuffix(v.audience, "/") {
			hint = "the audiences differ only by a trailing slash; aud is compared exactly: configure the audience as the issuer writes it"
		}
	}
	return verifiers.Reject(verifiers.TokenAudienceMismatch,
		fmt.Sprintf("the token's aud is %s; this resource is %s", got, quote(v.audience))).WithHint(hint)
}

// typeMatches compares a typ header with the accepted types, ignoring
// case and an "application/" prefix (RFC 7515 §4.1.9).
func typeMatches(typ string, types []string) bool {
	norm := func(s string) string {
		if len(s) > 12 && strings.EqualFold(s[:12], "application/") {
			s = s[12:]
		}
		return s
	}
	typ = norm(typ)
	for _, t := range types {
		if strings.EqualFold(typ, norm(t)) {
			return true
		}
	}
	return false
}

// scopes reads the first scope claim present: a space-delimited string or
// an array of scope-tokens (RFC 6749 §3.3). Anything else, or a value
// outside that syntax, is token_claim_invalid.
func (v *Verifier) scopes(claims map[string]any) ([]string, *verifiers.Rejection) {
	for _, name := range v.scopeClaims {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		switch s := raw.(type) {
		case string:
			return parseScopeString(name, s)
		case []any:
			return parseScopeArray(name, s)
		default:
			return nil, verifiers.Reject(verifiers.TokenClaimInvalid,
				fmt.Sprintf("the %s claim is a JSON %s; scopes are a space-separated string or an array of strings", quote(name), jsonKind(raw))).
				WithHint("the issuer's scope claim mapping produces other values than scope names")
		}
	}
	return nil, nil
}

// stringClaim returns a string claim; a claim of another type is
// malformed.
func stringClaim(claims map[string]any, name string) (string, bool, *malformedError) {
	raw, ok := claims[name]
	if !ok {
		return "", false, nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", true, malformed("", "the %s claim is a JSON %s, not a string", name, jsonKind(raw))
	}
	return s, true, nil
}

// numericDate reads a NumericDate claim (RFC 7519 §2): a JSON number of
// seconds since the epoch, possibly fractional.
func numericDate(claims map[string]any, name string) (time.Time, bool, *malformedError) {
	raw, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok {
		return time.Time{}, true, malformed("", "the %s claim is a JSON %s; RFC 7519 §4.1 requires a NumericDate (a number of seconds)", name, jsonKind(raw))
	}
	const limit = 1 << 40 // about 34,800 years: beyond any real date
	f = math.Max(-limit, math.Min(limit, f))
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// dur formats a duration for a detail: whole seconds, or milliseconds
// under a second.
func dur(d time.Duration) string { return roundDur(d).String() }

// roundDur is the duration dur shows.
func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// unavailable is the 503 for an issuer with no key set.
func (v *Verifier) unavailable(is *issuer, err error) error {
	is.mu.Lock()
	last, lastErr := is.lastAttempt, is.lastErr
	is.mu.Unlock()
	if lastErr == nil {
		lastErr = err
	}
	if errors.Is(err, errClosed) {
		return verifiers.Unavailable(fmt.Sprintf("no key set for issuer %s: none was fetched before the verifier was closed (Close was called), and a closed verifier fetches no more", quote(is.iss)), err)
	}
	if errors.Is(err, errFetchPending) {
		ue := verifiers.Unavailable(fmt.Sprintf("no key set for issuer %s yet: the fetch from %s started at %s has not finished (%s)",
			quote(is.iss), is.origin(), stamp(last), err), err)
		ue.RetryAfter = time.Second
		return ue
	}
	wait := max(v.unknownRefresh-v.now().Sub(last), 0)
	ue := verifiers.Unavailable(fmt.Sprintf("no key set for issuer %s: the last fetch from %s at %s failed; the next is allowed in %s",
		quote(is.iss), is.origin(), stamp(last), dur(wait)), lastErr)
	ue.RetryAfter = max(wait, time.Second) // Retry-After counts whole seconds
	return ue
}
