package basic

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
)

// ErrNotFound is what a Store's Lookup returns (or wraps) when it has
// no user by that name. The Verifier then checks the password against the
// store's decoy, so the answer takes as long as for a wrong password, and
// rejects with reason user_unknown. Any other error from Lookup means the
// store could not be consulted: the gate answers 503.
var ErrNotFound = errors.New("basic: user not found")

// Store finds users' stored password hashes. The package provides
// FileStore (an Apache htpasswd file), MemoryStore, and FuncStore (a
// function over your own user database). Implementations must be safe for
// concurrent use. The same names mean the same things in package apikey.
type Store interface {
	// Lookup returns the stored hash of user, or an error wrapping
	// ErrNotFound when there is no such user. It is called on every
	// request, cached credentials included, so that a changed hash takes
	// effect at once; it should be fast (a map or an indexed query).
	Lookup(ctx context.Context, user string) (*Hash, error)
	// Decoy returns a hash that costs as much to check as the most
	// expensive hash the store holds, and that no password matches (see
	// Hash.Decoy). It is checked when the user is unknown; a known user
	// whose hash is cheaper also pays the difference, so every check of
	// the store costs what the decoy costs.
	Decoy() *Hash
}

// table is an immutable user → hash map with its decoy. Stores swap whole
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
	return nil, ErrNotFound
}

func parseUserHash(user, enc string) (*Hash, error) {
	if err := checkUserName(user); err != nil {
		return nil, fmt.Errorf("basic: %w", err)
	}
	h, err := parseHash(enc)
	if err != nil {
		return nil, fmt.Errorf("basic: user %s: %w", quoteUser(sanitizeUser(user)), err)
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
		return fmt.Errorf("user %s: name longer than %d bytes", quoteUser(sanitizeUser(u)), MaxUserLength)
	case strings.Contains(u, ":"):
		return fmt.Errorf("user %s: name contains a colon, which Basic cannot carry (RFC 7617 §2)", quoteUser(sanitizeUser(u)))
	}
	if err := checkText(u, "the user name"); err != nil {
		return fmt.Errorf("user %s: %w", quoteUser(sanitizeUser(u)), err)
	}
	return nil
}
