package basic

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrUserNotFound is what a Source's Lookup returns (or wraps) when it has
// no user by that name. The Verifier then checks the password against the
// source's decoy, so the answer takes as long as for a wrong password, and
// rejects with reason user_unknown. Any other error from Lookup means the
// source could not be consulted: the gate answers 503.
var ErrUserNotFound = errors.New("basic: user not found")

// Source finds users' stored password hashes. The package provides File
// (an Apache htpasswd file), Memory and Lookup (a function over your own
// user database). Implementations must be safe for concurrent use.
type Source interface {
	// Lookup returns the stored hash of user, or an error wrapping
	// ErrUserNotFound when there is no such user. It is called on every
	// request, cached credentials included, so that a changed hash takes
	// effect at once; it should be fast (a map or an indexed query).
	Lookup(ctx context.Context, user string) (*Hash, error)
	// Decoy returns a hash that costs as much to check as the most
	// expensive hash the source holds, and that no password matches (see
	// Hash.Decoy). It is checked when the user is unknown; a known user
	// whose hash is cheaper also pays the difference, so every check of
	// the source costs what the decoy costs.
	Decoy() *Hash
}

// table is an immutable user → hash map with its decoy. Sources swap whole
// tables atomically.
type table struct {
	users map[string]*Hash
	decoy *Hash
}

func newTable(users map[string]*Hash) *table {
	return &table{users: users, decoy: decoyFor(maps.Values(users))}
}

func (t *table) lookup(user string) (*Hash, error) {
	if h, ok := t.users[user]; ok {
		return h, nil
	}
	return nil, ErrUserNotFound
}

// Memory is a Source of users and hashes held in memory, for a fixed set of
// users known to the program or for tests. Set and Delete change it while
// it is in use; cached credentials of a changed user stop being trusted at
// once.
type Memory struct {
	mu  sync.Mutex // serialises writers
	gen uint64     // guarded by mu
	t   atomic.Pointer[table]
}

// NewMemory returns a Memory holding users, a map of user name to stored
// hash (see ParseHash for the formats). It fails on the first hash that
// does not parse or is over the cost maxima, or user name that is not
// valid (empty, a colon, a control character, invalid UTF-8), naming the
// user.
//
// Unlike LoadFile, NewMemory logs nothing about weak or mixed costs: the
// program chose the hashes itself (tests rightly use bcrypt.MinCost), and
// mixed costs no longer tell users apart by timing, since a cheaper
// user's check pays the difference up to the decoy.
func NewMemory(users map[string]string) (*Memory, error) {
	m := &Memory{}
	t := make(map[string]*Hash, len(users))
	for u, enc := range users {
		h, err := parseUserHash(u, enc)
		if err != nil {
			return nil, err
		}
		t[u] = h
	}
	m.t.Store(newTable(t))
	return m, nil
}

func parseUserHash(user, enc string) (*Hash, error) {
	if err := checkUserName(user); err != nil {
		return nil, fmt.Errorf("basic: %w", err)
	}
	h, err := parseHash(enc)
	if err != nil {
		return nil, fmt.Errorf("basic: user %q: %w", sanitizeUser(user), err)
	}
	return h, nil
}

// checkUserName refuses user names no Basic client can send. Its errors
// have no package prefix; callers add it.
func checkUserName(u string) error {
	switch {
	case u == "":
		return errors.New("empty user name")
	case len(u) > MaxUserLength:
		return fmt.Errorf("user %q: name longer than %d bytes", sanitizeUser(u), MaxUserLength)
	case strings.Contains(u, ":"):
		return fmt.Errorf("user %q: name contains a colon, which Basic cannot carry (RFC 7617 §2)", sanitizeUser(u))
	}
	if err := checkText(u, "the user name"); err != nil {
		return fmt.Errorf("user %q: %w", sanitizeUser(u), err)
	}
	return nil
}

// Set adds user with the stored hash enc, or replaces that user's hash.
func (m *Memory) Set(user, enc string) error {
	h, err := parseUserHash(user, enc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	h.gen = m.gen
	users := maps.Clone(m.t.Load().users)
	users[user] = h
	m.t.Store(newTable(users))
	return nil
}

// Delete removes user; it does nothing if there is no such user.
func (m *Memory) Delete(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := maps.Clone(m.t.Load().users)
	delete(users, user)
	m.t.Store(newTable(users))
}

// Lookup implements Source.
func (m *Memory) Lookup(_ context.Context, user string) (*Hash, error) {
	return m.t.Load().lookup(user)
}

// Decoy implements Source: bcrypt or argon2id, whichever most users have,
// at the strongest parameters in use.
func (m *Memory) Decoy() *Hash { return m.t.Load().decoy }

// String describes the source for log details.
func (m *Memory) String() string { return "in-memory user list" }

// LookupFunc returns the stored hash of user from the application's own
// user database, or an error wrapping ErrUserNotFound. An empty hash with a
// nil error also counts as "not found" (an account without a password
// cannot log in with Basic). Any other error is reported as 503, logged
// with the error's text: it must not contain a password.
type LookupFunc func(ctx context.Context, user string) (hash string, err error)

// LookupSource is a Source over a LookupFunc. Make one with Lookup.
type LookupSource struct {
	fn    LookupFunc
	decoy atomic.Pointer[Hash]
}

// Lookup returns a Source that asks fn for each user's stored hash. like is
// a hash in the format and at the cost your database uses (any user's
// stored hash will do); the decoy checked for unknown users copies its
// algorithm and parameters, with a random salt and digest. Pass "" for
// bcrypt at cost 10. Whenever fn returns a hash with stronger parameters,
// the decoy is raised to match (and when it returns a hash of the other
// algorithm, the decoy covers that algorithm too), so an unknown user
// costs as much as the strongest hash seen so far, and a user with a
// cheaper hash pays the difference (see the package documentation,
// "Timing").
//
// A hash from fn that ParseHash refuses is reported as 503, since the
// client is not at fault: fix the stored hash.
func Lookup(fn LookupFunc, like string) (*LookupSource, error) {
	if fn == nil {
		return nil, errors.New("basic: Lookup needs a function")
	}
	s := &LookupSource{fn: fn}
	d := defaultDecoy()
	if like != "" {
		h, err := parseHash(like)
		if err != nil {
			return nil, fmt.Errorf("basic: Lookup's example hash: %w", err)
		}
		d = h.Decoy()
	}
	s.decoy.Store(d)
	return s, nil
}

// Lookup implements Source.
func (s *LookupSource) Lookup(ctx context.Context, user string) (*Hash, error) {
	enc, err := s.fn(ctx, user)
	if err != nil {
		if errors.Is(err, ErrUserNotFound) {
			return nil, ErrUserNotFound
		}
		return nil, err
	}
	if enc == "" {
		return nil, ErrUserNotFound
	}
	h, err := parseHash(enc)
	if err != nil {
		return nil, fmt.Errorf("stored hash of user %s: %w", logSafe(user), err)
	}
	s.raise(h)
	return h, nil
}

// raise makes the decoy cost at least as much as h: of h's algorithm at
// h's parameters when stronger, with h's algorithm added when the decoy
// had none of it.
func (s *LookupSource) raise(h *Hash) {
	for {
		d := s.decoy.Load()
		nd := covering(d, h)
		if nd == d || s.decoy.CompareAndSwap(d, nd) {
			return
		}
	}
}

// Decoy implements Source.
func (s *LookupSource) Decoy() *Hash { return s.decoy.Load() }

// String describes the source for log details.
func (s *LookupSource) String() string { return "user lookup function" }
