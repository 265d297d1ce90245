package basic

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers"
)

// Defaults of the options.
const (
	DefaultRealm     = "restricted"
	DefaultCacheSize = 1024
	DefaultCacheTTL  = 5 * time.Minute
)

// Verifier checks RFC 7617 Basic credentials against a Source. It
// implements verifiers.Verifier; make one with New. It is safe for
// concurrent use.
type Verifier struct {
	src       Source
	ch        challenge.Challenge
	normalize func(string) string
	keys      *keyer
	cache     *cache // nil: caching off
	flights   flights

	// hashHook, when set (by tests), runs before every password hash
	// computation, cache hits excluded.
	hashHook func()
}

type config struct {
	realm     string
	cacheSize int
	cacheTTL  time.Duration
	normalize func(string) string
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
// user's stored hash is unchanged and, for a File, until the next Reload.
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

// New returns a Verifier that checks Basic credentials against src. It
// fails if src is nil, the realm is empty or not printable ASCII, or the
// cache settings are negative.
func New(src Source, opts ...Option) (*Verifier, error) {
	if src == nil {
		return nil, errors.New("basic: New needs a Source")
	}
	c := config{realm: DefaultRealm, cacheSize: DefaultCacheSize, cacheTTL: DefaultCacheTTL}
	for _, o := range opts {
		o(&c)
	}
	ch, err := challenge.Basic(c.realm)
	if err != nil {
		return nil, fmt.Errorf("basic: realm: %w", err)
	}
	if c.cacheSize < 0 || c.cacheTTL < 0 {
		return nil, fmt.Errorf("basic: cache size %d and TTL %v must not be negative", c.cacheSize, c.cacheTTL)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	v := &Verifier{src: src, ch: ch, normalize: c.normalize, keys: newKeyer(key)}
	if c.cacheSize > 0 && c.cacheTTL > 0 {
		v.cache = newCache(c.cacheSize, c.cacheTTL, time.Now)
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
//   - user_unknown (401) when the source has no such user,
//   - password_mismatch (401) when the password is wrong,
//
// or a *verifiers.UnavailableError (503) when the source fails. The
// client sees user_unknown and password_mismatch alike (both are
// credentials_invalid to it), and both take as long: an unknown user's
// password is checked against the source's decoy hash. Rejections carry
// the user-id, sanitized, as the "user" attribute; nothing carries the
// password or the header.
func (v *Verifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	creds, ok := verifiers.Authorization(r, "Basic")
	if !ok {
		return nil, verifiers.ErrNoCredentials
	}
	d, rej := decodeBasic(creds)
	if rej != nil {
		return nil, rej
	}
	user, password := d.user, d.password
	if v.normalize != nil {
		user, password = v.normalize(user), v.normalize(password)
	}
	h, err := v.src.Lookup(r.Context(), user)
	unknown := false
	switch {
	case errors.Is(err, ErrUserNotFound):
		unknown, h = true, v.src.Decoy()
	case err != nil:
		return nil, verifiers.Unavailable(fmt.Sprintf("could not look up user %q in %s", sanitizeUser(user), describe(v.src)), err)
	case h == nil:
		return nil, verifiers.Unavailable(fmt.Sprintf("%s returned no hash and no error for user %q", describe(v.src), sanitizeUser(user)), nil)
	}
	if id := v.check(user, password, h, unknown); id != nil {
		return id, nil
	}
	su := sanitizeUser(user)
	if unknown {
		rej := verifiers.Reject(verifiers.UserUnknown, fmt.Sprintf("no such user in %s", describe(v.src))).With(verifiers.AttrUser, su)
		switch {
		case user == "":
			rej.WithHint(hintEmptyUser)
		case strings.TrimSpace(user) != user:
			rej.WithHint("the user-id has leading or trailing spaces")
		}
		return nil, rej
	}
	return nil, verifiers.Reject(verifiers.PasswordMismatch,
		fmt.Sprintf("the password does not match the user's stored %s hash (%s) in %s", h.alg, h.Params(), describe(v.src))).
		With(verifiers.AttrUser, su)
}

// check returns the identity of user if password matches h, from the
// cache when it can. Unknown users go through the same steps, against the
// decoy, and never succeed.
func (v *Verifier) check(user, password string, h *Hash, unknown bool) *verifiers.Identity {
	k := v.keys.key(user, password)
	if v.cache != nil {
		if id, ok := v.cache.get(k, h); ok && !unknown {
			return id
		}
	}
	return v.flights.do(flightKey{cred: k, encoded: h.encoded, gen: h.gen}, func() *verifiers.Identity {
		if v.hashHook != nil {
			v.hashHook()
		}
		pw := []byte(password)
		ok := h.verify(pw)
		clear(pw)
		if !ok || unknown {
			return nil
		}
		id := &verifiers.Identity{
			Subject: user,
			Scheme:  verifiers.SchemeBasic,
			Attrs:   []verifiers.Attr{{Key: verifiers.AttrUser, Value: sanitizeUser(user)}},
		}
		if v.cache != nil {
			v.cache.put(k, h, id)
		}
		return id
	})
}

// describe names a source for log details.
func describe(s Source) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return "the user source"
}
