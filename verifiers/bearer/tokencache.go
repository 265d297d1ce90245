package bearer

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/verifiers"
	"golang.org/x/sync/singleflight"
)

// Defaults of the verified-token cache (see WithTokenCache).
const (
	// DefaultTokenCacheEntries is how many verified tokens the cache
	// holds at most.
	DefaultTokenCacheEntries = 10_000
	// DefaultTokenCacheBytes is how many bytes the cache's entries take
	// at most, counting each token's length and an estimate of its
	// identity's size.
	DefaultTokenCacheBytes = 16 << 20
	// TokenCacheTTL is the longest a token's outcome is remembered,
	// however far its exp: after it the token is verified again.
	TokenCacheTTL = 5 * time.Minute
	// rejectionShare is the share of both bounds given to remembered
	// rejections: a cache of its own, so that a flood of bad tokens
	// cannot evict good ones.
	rejectionShare = 8
)

// verified is a cached accepted token.
type verified struct {
	id *verifiers.Identity
	// The token's issuer, kid and alg, and the key that verified it.
	is   *issuer
	kid  string
	alg  *algorithm
	used *key
	// gen is the generation of the last key set of is seen to still hold
	// used for this token: while the issuer's set has that generation,
	// nothing needs checking.
	gen atomic.Uint64
	// from and until (Unix nanoseconds, on the verifier's clock) bound
	// when the entry may be served: until is the earlier of exp (without
	// leeway) and the insertion time plus TokenCacheTTL; from is the
	// later of nbf and iat minus the leeway.
	from, until int64
}

// refused is a cached rejection.
type refused struct {
	// rej is the rejection, with its own copy of the attributes; callers
	// get shallow copies of it, never rej itself.
	rej *verifiers.Rejection
	// epoch is the verifier's key-set epoch when the token was checked.
	epoch       uint64
	from, until int64
	// For token_expired: the detail and hint say how long ago the token
	// expired and the server's time, so they are rendered again when the
	// second changes.
	expired bool
	exp     time.Time
	shown   atomic.Pointer[rendering]
}

type rendering struct {
	key expiredKey
	rej *verifiers.Rejection
}

// expiredKey is everything the text of expiredWords depends on
// besides exp and the leeway.
type expiredKey struct {
	sec    int64         // the server time, in whole seconds
	ago    time.Duration // the rounded time since exp
	recent bool          // ago < skewWindow
}

func expiredKeyAt(exp, now time.Time) expiredKey {
	ago := now.Sub(exp)
	return expiredKey{sec: now.Unix(), ago: roundDur(ago), recent: ago < skewWindow}
}

// tokenCaches are the two caches of a Verifier.
type tokenCaches struct {
	accepted *tokenCache[*verified]
	rejected *tokenCache[*refused]
	// epoch increases whenever any issuer installs a key set, or
	// discovery finds another issuer name: remembered rejections from an
	// earlier epoch are dropped.
	epoch atomic.Uint64
	// checks counts full verifications (cache misses), for tests.
	checks atomic.Int64
	// flights shares a token's verification among concurrent first
	// requests with it (a client's burst after fetching a new token), so
	// that it is verified once. Its keys are whole tokens.
	flights singleflight.Group
	// beforeVerify, when set (tests only), runs in the leader of a
	// flight before it verifies.
	beforeVerify func()
}

func newTokenCaches(maxEntries int, maxBytes int64) *tokenCaches {
	if maxEntries == 0 {
		return &tokenCaches{}
	}
	return &tokenCaches{
		accepted: newTokenCache[*verified](maxEntries, maxBytes),
		rejected: newTokenCache[*refused](max(maxEntries/rejectionShare, 1), max(maxBytes/rejectionShare, 1)),
	}
}

// cachedIdentity returns the identity remembered for tok, or nil. It drops
// an entry that is outside its time window, or whose key is no longer
// the one the issuer's current key set would pick for the token.
func (v *Verifier) cachedIdentity(tok string, now int64) *verifiers.Identity {
	it := v.caches.accepted.get(tok)
	if it == nil {
		return nil
	}
	e := it.val
	if now < e.from || now >= e.until {
		v.caches.accepted.remove(it)
		return nil
	}
	set := e.is.current()
	if set == nil {
		return nil
	}
	if g := set.gen; g != e.gen.Load() {
		if !set.stillPicks(e.kid, e.alg, e.used) {
			v.caches.accepted.remove(it)
			return nil
		}
		e.gen.Store(g)
	}
	return e.id
}

// cachedRejection returns a copy of the rejection remembered for tok, or
// nil. It drops an entry from an earlier key-set epoch or outside its
// time window.
func (v *Verifier) cachedRejection(tok string, now time.Time) *verifiers.Rejection {
	it := v.caches.rejected.get(tok)
	if it == nil {
		return nil
	}
	e := it.val
	n := nanos(now)
	if e.epoch != v.caches.epoch.Load() || n < e.from || n >= e.until {
		v.caches.rejected.remove(it)
		return nil
	}
	rej := e.rej
	if e.expired {
		rej = v.renderExpired(e, now)
	}
	cp := *rej
	return &cp
}

// renderExpired returns e's rejection as checkTimes would word it
// at now, reusing the last rendering while the words are the same.
func (v *Verifier) renderExpired(e *refused, now time.Time) *verifiers.Rejection {
	k := expiredKeyAt(e.exp, now)
	if r := e.shown.Load(); r != nil && r.key == k {
		return r.rej
	}
	detail, hint, _ := v.expiredWords(e.exp, now)
	rej := verifiers.Reject(verifiers.TokenExpired, detail).WithHint(hint)
	rej.Attrs = e.rej.Attrs
	e.shown.Store(&rendering{key: k, rej: rej})
	return rej
}

// rememberIdentity caches id, which vd describes, for tok.
func (v *Verifier) rememberIdentity(tok string, id *verifiers.Identity, now time.Time, vd *verdict) {
	e := &verified{id: id, is: vd.is, kid: vd.kid, alg: vd.alg, used: vd.used, from: math.MinInt64}
	e.gen.Store(vd.set.gen)
	e.until = min(nanos(vd.exp), nanos(now.Add(TokenCacheTTL)))
	if !vd.from.IsZero() {
		e.from = nanos(vd.from)
	}
	if nanos(now) >= e.until {
		return // within the leeway after exp: accepted, never cached
	}
	v.caches.accepted.put(tok, e, int64(len(tok))+identityBytes(id))
}

// rememberRejection caches rej, which vd describes, for tok, when it is
// a pure function of the token and the key sets. Never remembered:
//
//   - token_key_unknown from a fetched set, so that each such token keeps
//     going through the unknown-key refresh of its issuer's set (from a
//     static set, vd.settled, it is remembered, an unknown kid or too many
//     keys for a token without kid alike: that set is never fetched, and
//     the outcome holds until another epoch);
//   - token_not_yet_valid and token_issued_in_future, which change with
//     time;
//   - verifier_unavailable (503), which is not a Rejection.
func (v *Verifier) rememberRejection(tok string, rej *verifiers.Rejection, epoch uint64, now time.Time, vd *verdict) {
	// The reason table says which verdicts hold; a settled unknown key
	// holds too.
	if !rej.Reason.Cacheable() && !(vd.settled && rej.Reason == verifiers.TokenKeyUnknown) {
		return
	}
	tmpl := *rej
	tmpl.Attrs = slices.Clip(slices.Clone(rej.Attrs))
	tmpl.Params = slices.Clip(slices.Clone(rej.Params))
	e := &refused{rej: &tmpl, epoch: epoch, from: math.MinInt64, until: nanos(now.Add(TokenCacheTTL))}
	size := int64(len(tok)) + rejectionBytes(&tmpl)
	if vd.expired {
		// Expired stays expired, unless the clock goes back.
		e.expired, e.exp = true, vd.exp
		e.from = nanos(vd.exp.Add(v.leeway))
		e.shown.Store(&rendering{key: expiredKeyAt(vd.exp, now), rej: &tmpl})
		size += rejectionBytes(&tmpl)
	} else {
		// A rejection found after the time claims passed holds while
		// they do.
		if !vd.until.IsZero() {
			e.until = min(e.until, nanos(vd.until))
		}
		if !vd.from.IsZero() {
			e.from = nanos(vd.from)
		}
	}
	v.caches.rejected.put(tok, e, size)
}

// nanos is t in Unix nanoseconds, clamped to the int64 range: a token's
// exp or nbf may lie thousands of years away, where UnixNano overflows.
func nanos(t time.Time) int64 {
	const limit = math.MaxInt64 / int64(time.Second) // in 2262
	switch s := t.Unix(); {
	case s >= limit:
		return math.MaxInt64
	case s <= -limit:
		return math.MinInt64
	}
	return t.UnixNano()
}

// Size estimates, in bytes, for the cache's byte bound. They are meant
// to be at least what the heap holds (TestTokenCache_size_estimate
// checks it for typical tokens and for one made of small numbers).
const (
	// itemBytes is a cache item, its map and ring slots, and the entry.
	itemBytes = 384
	// identityFixedBytes is an Identity with its slices' headers.
	identityFixedBytes = 160
)

// identityBytes estimates what id holds: its claims, scopes and
// attributes.
func identityBytes(id *verifiers.Identity) int64 {
	n := itemBytes + identityFixedBytes + len(id.Subject) + claimBytes(id.Claims, 0) + 24*len(id.Scopes)
	for _, a := range id.Attrs {
		n += 32 + len(a.Key) + len(a.Value)
	}
	return int64(n)
}

// claimBytes estimates the heap a decoded JSON value holds, besides the
// interface that holds it: strings and boxed numbers with their
// allocation rounding (the race detector's included), slices, and maps
// with their slots and spare room.
func claimBytes(x any, depth int) int {
	if depth > 64 {
		return 1 << 10 // deeper than any real claim; count it large
	}
	switch x := x.(type) {
	case string:
		return 24 + len(x)
	case float64:
		return 24
	case []any:
		n := 24 + 16*cap(x)
		for _, e := range x {
			n += claimBytes(e, depth+1)
		}
		return n
	case map[string]any:
		n := 64
		for k, e := range x {
			n += 48 + 16 + len(k) + claimBytes(e, depth+1)
		}
		return n
	}
	return 0
}

// rejectionBytes estimates what a remembered rejection holds.
func rejectionBytes(r *verifiers.Rejection) int64 {
	n := itemBytes + 128 + len(r.Detail) + len(r.Hint)
	for _, a := range r.Attrs {
		n += 32 + len(a.Key) + len(a.Value)
	}
	return int64(n + 48*len(r.Params))
}
