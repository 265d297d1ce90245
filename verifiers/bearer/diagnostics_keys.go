package bearer

import (
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// This file holds the words of the rejections about keys and key sets:
// an unknown or misbound key, a bad signature, a key set that could not
// be fetched. Like diagnostics.go, it only words what verify.go and
// findKeys decided.

// rateLimitedRefresh says why an unknown key did not make the set be
// fetched again: it was, successfully, at at.
func (v *Verifier) rateLimitedRefresh(at time.Time) string {
	wait := v.unknownRefresh - v.now().Sub(at)
	return fmt.Sprintf("it was last fetched, successfully, %s ago, and an unknown key makes it be fetched at most every %s (next in %s)", dur(v.now().Sub(at)), v.unknownRefresh, dur(max(wait, 0)))
}

// keyBoundElsewhere refuses a token whose only candidate key k is bound
// to another algorithm than the token's alg.
func keyBoundElsewhere(is *issuer, k *key, alg *algorithm) *verifiers.Rejection {
	how := "its alg member"
	if k.Inferred {
		how = "inferred from its key type, as it has no alg member"
	}
	return verifiers.Reject(verifiers.TokenAlgNotAllowed,
		fmt.Sprintf("the token's alg is %s, but key kid %s of issuer %s is bound to %s (%s); a key verifies one algorithm only (RFC 8725 §3.1)", alg.Name(), quote(k.Kid), quote(is.iss), k.Alg.Name(), how)).
		WithHint("the token was signed with another algorithm than its key is for: an algorithm-confusion attempt, or the issuer's key set does not state the algorithm it signs with (publish alg on the key)")
}

// keyUnknown is token_key_unknown: no key of the set fits the token's kid
// and alg. refreshed says whether the set was fetched again for it; over
// is the number of keys without kid left untried.
func keyUnknown(is *issuer, set *keySet, kid string, alg *algorithm, refreshed string, over int) *verifiers.Rejection {
	w := unknownWordsOf(is, set, kid, alg, refreshed, over)
	return verifiers.Reject(verifiers.TokenKeyUnknown, w.detail).WithHint(w.hint)
}

// unknownWordsOf returns keyUnknown's words. They depend on the set and
// the four others only: a set remembers the last ones, for the same
// unknown kid sent again and again.
func unknownWordsOf(is *issuer, set *keySet, kid string, alg *algorithm, refreshed string, over int) *unknownWords {
	if w := set.unknown.Load(); w != nil && w.kid == kid && w.alg == alg && w.refreshed == refreshed && w.over == over {
		return w
	}
	rej := keyUnknownWords(is, set, kid, alg, refreshed, over)
	w := &unknownWords{kid: kid, alg: alg, refreshed: refreshed, over: over, detail: rej.Detail, hint: rej.Hint}
	set.unknown.Store(w)
	return w
}

// unknownWords are the words of the last token_key_unknown of a set, and
// what they were made of.
type unknownWords struct {
	kid       string
	alg       *algorithm
	refreshed string
	over      int
	detail    string
	hint      string
}

// keyUnknownWords words keyUnknown's rejection.
func keyUnknownWords(is *issuer, set *keySet, kid string, alg *algorithm, refreshed string, over int) *verifiers.Rejection {
	var detail string
	if kid != "" {
		detail = fmt.Sprintf("no key with kid %s in the key set of issuer %s", quote(kid), quote(is.iss))
	} else {
		detail = fmt.Sprintf("the token has no kid, and no key of issuer %s is bound to its alg %s", quote(is.iss), alg.Name())
	}
	detail += fmt.Sprintf(" (%s: %s); %s", describeSet(set), set.origin, refreshed)
	if over > 0 {
		detail += fmt.Sprintf("; the %d %s keys without kid were not tried, as a token is tried against at most %d", over, alg.Name(), MaxKeysTried)
	}
	hint := "the issuer may have rotated to a key it has not published yet, or the token comes from another environment or tenant that uses the same issuer name"
	if !is.src.remote() {
		hint = "the issuer may have rotated its keys: update the configured key set; or the token comes from another environment or tenant"
	}
	return verifiers.Reject(verifiers.TokenKeyUnknown, detail).WithHint(hint)
}

// tooManyKeys refuses a token without kid when more than MaxKeysTried keys
// of its issuer could have signed it. It is the token's fault, so 401
// token_key_unknown: with several keys in its set, an issuer must name
// the signing key in the token's kid (OpenID Connect Core §10.1), and no
// fetch of the set would change the answer.
func (v *Verifier) tooManyKeys(is *issuer, set *keySet, alg *algorithm, n int) *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenKeyUnknown,
		fmt.Sprintf("the token has no kid, and %d keys of issuer %s are bound to its alg %s (%s: %s); a token without kid is tried against at most %d keys, so none was tried",
			n, quote(is.iss), alg.Name(), describeSet(set), set.origin, MaxKeysTried)).
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
		what = "no key for this " + alg.Name() + " token (it has no kid)"
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

// badSignature is the rejection of t, whose signature verifies with none
// of cands, the keys of set that were tried.
func (t *token) badSignature(is *issuer, set *keySet, alg *algorithm, cands []*key) error {
	return t.reject(verifiers.TokenSignatureInvalid, badSignatureDetail(is, set, alg, cands),
		"the token was signed by another environment or tenant whose key has the same kid, or it was altered after signing", verifiers.Attr{})
}

// badSignatureDetail words badSignature's detail. It depends on the set,
// alg and the keys tried only: the set remembers the last one, as it
// does unknownWordsOf's, so that a flood of one forgery pays for no
// formatting.
func badSignatureDetail(is *issuer, set *keySet, alg *algorithm, cands []*key) string {
	if len(cands) > 0 {
		if w := set.badSig.Load(); w != nil && w.alg == alg && w.first == cands[0] && w.n == len(cands) {
			return w.detail
		}
	}
	var detail string
	switch {
	case len(cands) == 1 && cands[0].Kid != "":
		detail = fmt.Sprintf("the signature does not verify with key kid %s (%s) of issuer %s", quote(cands[0].Kid), alg.Name(), quote(is.iss))
	case len(cands) == 1:
		detail = fmt.Sprintf("the signature does not verify with the %s key (it has no kid) of issuer %s", alg.Name(), quote(is.iss))
	default:
		detail = fmt.Sprintf("the signature verifies with none of the %d %s keys without kid of issuer %s", len(cands), alg.Name(), quote(is.iss))
	}
	detail += fmt.Sprintf(" (%s: %s)", describeSet(set), set.origin)
	if len(cands) > 0 {
		set.badSig.Store(&badSigWords{alg: alg, first: cands[0], n: len(cands), detail: detail})
	}
	return detail
}

// badSigWords is the last detail of badSignatureDetail for a set, and
// what it was made of: the candidates are the keys of the set for alg
// and the token's kid (or all without kid), so the first and their
// number tell them apart.
type badSigWords struct {
	alg    *algorithm
	first  *key
	n      int
	detail string
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
