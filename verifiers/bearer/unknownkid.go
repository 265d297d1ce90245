package bearer

import (
	"time"

	"github.com/authgate/authgate/verifiers"
)

// An unknown kid (a token of another environment, of a key not yet
// published, or a forgery) costs no signature check. The token cache
// remembers it only from a static set (verdict.settled): from a remote
// one it is never remembered, so that it keeps reaching the refresh of
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
// issuer whose set may be fetched again. It marks vd settled when the
// issuer's set is static.
func (v *Verifier) unknownKid(t *token, alg *algorithm, vd *verdict) *verifiers.Rejection {
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
	} else {
		vd.settled = true
	}
	w := unknownWordsOf(is, set, kid, alg, refreshed, 0)
	return t.reject(verifiers.TokenKeyUnknown, w.detail, w.hint, verifiers.Attr{})
}
