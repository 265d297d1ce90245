package basic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/cache"
	"github.com/authgate/authgate/verifiers"
)

// Defaults of the options.
const (
	DefaultRealm     = "restricted"
	DefaultCacheSize = 1024
	DefaultCacheTTL  = 5 * time.Minute
	// DefaultCheckWait is how long a request waits for a free password
	// check slot (WithConcurrentChecks) before it is answered 503.
	DefaultCheckWait = time.Second
)

// busyRetryAfter is the Retry-After of a 503 for checks that stayed busy:
// by then the checks in flight have ended.
const busyRetryAfter = time.Second

// Verifier checks RFC 7617 Basic credentials against a Store. It
// implements verifiers.Verifier; make one with New. It is safe for
// concurrent use.
type Verifier struct {
	store     Store
	ch        challenge.Challenge
	normalize func(string) string
	keys      *verifiers.Fingerprinter      // keys the cache: Sum(user, password), its own random key
	cache     *cache.Cache[credKey, cached] // nil: caching off
	flights   flights
	fp        *verifiers.Fingerprinter
	slots     *semaphore.Weighted
	nSlots    int
	wait      time.Duration

	// hashHook, when set (by tests), runs before every password hash
	// computation, cache hits excluded, in a check slot.
	hashHook func()
	// noPad, when set (by tests), turns padding to the decoy's cost off,
	// to show that the timing test catches its absence.
	noPad bool
}

type config struct {
	realm     string
	cacheSize int
	cacheTTL  time.Duration
	normalize func(string) string
	fp        *verifiers.Fingerprinter
	slots     int
	wait      time.Duration
	now       func() time.Time // the cache's clock; tests set it
}

// Option configures a Verifier.
type Option func(*config)

// WithRealm sets the realm of the challenge, `Basic realm="REALM",
// charset="UTF-8"`. Browsers show it in their login prompt and keep
// credentials per realm. The default is DefaultRealm. It must be
// non-empty printable ASCII.
func WithRealm(realm string) Option {
	return func(c *config) { c.realm = realm }
}

// WithCache sets how many successful verifications are remembered
// (size, least recently used ones evicted first) and for how long (ttl).
// size 0 turns the cache off, so every request pays for a full hash check.
// The default is DefaultCacheSize entries for DefaultCacheTTL.
//
// Entries are keyed by an HMAC of user and password under a key drawn at
// random for each Verifier: the cache never holds a password, and its keys
// are useless outside the process. An entry is trusted only while the
// user's stored hash is unchanged and, for a FileStore, until the next Reload.
func WithCache(size int, ttl time.Duration) Option {
	return func(c *config) { c.cacheSize, c.cacheTTL = size, ttl }
}

// WithNormalizer applies f to the user-id and the password after decoding,
// before the lookup and the hash check. RFC 7617 §2.1 asks a server that
// advertises charset="UTF-8" to compare in Unicode Normalization Form C;
// this package has no Unicode tables of its own and compares bytes as
// sent, which only differs for non-ASCII text that a client sends
// decomposed. To follow §2.1 exactly, pass
// golang.org/x/text/unicode/norm's NFC.String, and store hashes of NFC
// passwords and NFC user names.
func WithNormalizer(f func(string) string) Option {
	return func(c *config) { c.normalize = f }
}

// WithFingerprinter sets the Fingerprinter that names, in logs, a user-id
// that looks like a credential (an API key sent as the user name, see
// verifiers.LooksLikeCredential). Share one with the apikey and bearer
// verifiers to correlate a key sent as a Basic user with the same key
// sent as an API key. By default each Verifier has its own.
func WithFingerprinter(f *verifiers.Fingerprinter) Option {
	return func(c *config) { c.fp = f }
}

// WithConcurrentChecks bounds how many password hash checks (bcrypt or
// argon2id runs, decoys and padding included) run at once to n. A request
// that finds all n busy waits at most wait for one to end; if none does,
// or its context ends first, it is answered 503 verifier_unavailable with
// Retry-After: 1, instead of piling up CPU and memory (an argon2id check
// holds its whole memory while it runs). wait 0 means not waiting at all.
// A cache hit needs no slot, nor does a request that joins an identical
// check already in flight. When the request that started that check
// leaves while it waits for a slot, a joiner still waiting starts the
// check again, at most twice: it may then wait up to 3 × wait in all.
//
// The default is runtime.GOMAXPROCS(0) at New, so that checks do not
// queue behind each other on the processor any more than they must, and
// DefaultCheckWait.
func WithConcurrentChecks(n int, wait time.Duration) Option {
	return func(c *config) { c.slots, c.wait = n, wait }
}

// New returns a Verifier that checks Basic credentials against store. It
// fails if store is nil, the realm is empty or not printable ASCII, the
// cache settings are negative, the Fingerprinter is nil, or the
// concurrent checks are fewer than 1 or the wait negative.
func New(store Store, opts ...Option) (*Verifier, error) {
	if store == nil {
		return nil, errors.New("basic: New needs a Store")
	}
	c := config{realm: DefaultRealm, cacheSize: DefaultCacheSize, cacheTTL: DefaultCacheTTL,
		fp: verifiers.NewFingerprinter(), slots: runtime.GOMAXPROCS(0), wait: DefaultCheckWait, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.fp == nil {
		return nil, errors.New("basic: WithFingerprinter(nil)")
	}
	if c.slots < 1 || c.wait < 0 {
		return nil, fmt.Errorf("basic: WithConcurrentChecks(%d, %v): at least 1 check, and a wait not negative", c.slots, c.wait)
	}
	ch, err := challenge.Basic(c.realm)
	if err != nil {
		return nil, fmt.Errorf("basic: realm: %w", err)
	}
	if c.cacheSize < 0 || c.cacheTTL < 0 {
		return nil, fmt.Errorf("basic: cache size %d and TTL %v must not be negative", c.cacheSize, c.cacheTTL)
	}
	v := &Verifier{store: store, ch: ch, normalize: c.normalize, keys: verifiers.NewFingerprinter(), fp: c.fp,
		slots: semaphore.NewWeighted(int64(c.slots)), nSlots: c.slots, wait: c.wait}
	if c.cacheSize > 0 && c.cacheTTL > 0 {
		v.cache = cache.New[credKey, cached](c.cacheSize, c.cacheTTL, c.now)
	}
	return v, nil
}

// Challenge returns `Basic realm="REALM", charset="UTF-8"` (RFC 7617 §2,
// §2.1).
func (v *Verifier) Challenge() challenge.Challenge { return v.ch }

// Verify checks the request's Basic credentials. It returns
// verifiers.ErrNoCredentials when the Authorization field is absent or has
// another scheme, and otherwise a *verifiers.Rejection with reason
//
//   - request_malformed (400) for "Basic" with nothing after it,
//   - credentials_too_large (431) for more than MaxCredentialsLength bytes,
//   - credentials_malformed (401) for anything but strict padded base64 of
//     UTF-8 "user:password" without control characters,
//   - user_unknown (401) when the store has no such user,
//   - password_mismatch (401) when the password is wrong,
//
// or a *verifiers.UnavailableError (503) when the store fails or every
// check slot stayed busy (WithConcurrentChecks). The client sees
// user_unknown and password_mismatch alike (both are credentials_invalid
// to it), and both take as long: an unknown user's password is checked
// against the store's decoy hash, and a known user's hash cheaper than
// the decoy is padded to its cost. Rejections carry the user-id,
// sanitized, as the "user" attribute, or its fingerprint as the
// "fingerprint" attribute when it looks like a credential; nothing
// carries the password or the header.
func (v *Verifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	creds, ok := verifiers.Authorization(r, "Basic")
	if !ok {
		return nil, verifiers.ErrNoCredentials
	}
	d, rej := decodeBasic(creds, v.fp)
	if rej != nil {
		return nil, rej
	}
	user, password := d.user, d.password
	if v.normalize != nil {
		user, password = v.normalize(user), v.normalize(password)
	}
	h, err := v.store.Lookup(r.Context(), user)
	// After Lookup: a FuncStore raises its decoy to the hash it just
	// returned.
	decoy := v.store.Decoy()
	unknown := false
	switch {
	case errors.Is(err, ErrNotFound):
		unknown, h = true, decoy
	case err != nil:
		return nil, verifiers.Unavailable(fmt.Sprintf("could not look up %s in %s", nameUser(v.fp, user, password), describe(v.store)), err)
	case h == nil:
		return nil, verifiers.Unavailable(fmt.Sprintf("%s returned no hash and no error for %s", describe(v.store), nameUser(v.fp, user, password)), nil)
	}
	id, err := v.check(r.Context(), user, password, h, decoy, unknown)
	if err != nil {
		return nil, err
	}
	if id != nil {
		return id, nil
	}
	name := nameUser(v.fp, user, password)
	if unknown {
		detail := "no such user in " + describe(v.store)
		if name.kind != "" {
			detail += "; the user name looks like " + name.kind + " and is logged by its fingerprint"
		}
		rej := verifiers.Reject(verifiers.UserUnknown, detail)
		switch {
		case user == "":
			rej.WithHint(hintEmptyUser)
		case strings.TrimSpace(user) != user:
			rej.WithHint("the user-id has leading or trailing spaces")
		}
		return nil, name.with(rej)
	}
	detail := fmt.Sprintf("the password does not match the user's stored %s hash (%s) in %s", h.alg, h.Params(), describe(v.store))
	if name.kind != "" {
		// The user exists: no hint that the client sent a key by
		// mistake, only why the name is not in the log.
		detail += "; the user name looks like " + name.kind + " and is logged by its fingerprint"
		rej := verifiers.Reject(verifiers.PasswordMismatch, detail)
		rej.Attrs = append(rej.Attrs, name.attr)
		return nil, rej
	}
	return nil, name.with(verifiers.Reject(verifiers.PasswordMismatch, detail))
}

// check returns the identity of user if password matches h, from the
// cache when it can. Unknown users go through the same steps, against the
// decoy, and never succeed. The hash work runs in a check slot and is
// padded to the decoy's cost; the error is an *verifiers.UnavailableError
// when no slot could be had.
func (v *Verifier) check(ctx context.Context, user, password string, h, decoy *Hash, unknown bool) (*verifiers.Identity, error) {
	k := credKey(v.keys.Sum(user, password))
	if v.cache != nil {
		if c, ok := v.cache.Get(k); ok {
			switch {
			case !c.madeAgainst(h):
				v.cache.Remove(k) // stale: the stored hash changed
			case !unknown:
				return c.id, nil
			}
		}
	}
	return v.flights.do(ctx, flightKey(k, h), func() (res any, err error) {
		// The check runs on singleflight's goroutine, where a panic would
		// end the process instead of one request: turn it into a 503 for
		// every request waiting on it, as the gate does for a verifier.
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, verifiers.Unavailable(fmt.Sprintf("the password check panicked (%T); this is a bug", p), nil)
			}
		}()
		if err := v.acquire(ctx); err != nil {
			return nil, err
		}
		defer v.slots.Release(1)
		if v.hashHook != nil {
			v.hashHook()
		}
		pw := []byte(password)
		ok := h.verify(pw)
		if !v.noPad {
			pad(h, decoy, pw)
		}
		clear(pw)
		if !ok || unknown {
			return nil, nil
		}
		id := &verifiers.Identity{
			Subject: user,
			Scheme:  verifiers.SchemeBasic,
			Attrs:   []verifiers.Attr{{Key: verifiers.AttrUser, Value: sanitizeUser(user)}},
		}
		if v.cache != nil {
			v.cache.Put(k, cached{id: id, encoded: h.encoded, gen: h.gen})
		}
		return id, nil
	})
}

// acquire takes a check slot, waiting at most v.wait or until ctx ends.
func (v *Verifier) acquire(ctx context.Context) error {
	if v.slots.TryAcquire(1) {
		return nil
	}
	if v.wait > 0 && ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, v.wait)
		err := v.slots.Acquire(wctx, 1)
		cancel()
		if err == nil {
			return nil
		}
	}
	if ctx.Err() != nil {
		return requestEnded(ctx)
	}
	return &verifiers.UnavailableError{
		Detail: fmt.Sprintf("all %d password check slots stayed busy for %v (basic.WithConcurrentChecks): too many bcrypt or argon2id checks at once",
			v.nSlots, v.wait),
		RetryAfter: busyRetryAfter,
	}
}

// describe names a store for log details.
func describe(s Store) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return "the user source"
}
