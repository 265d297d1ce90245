package basic

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// LookupFunc returns the stored hash of user from the application's own
// user database, or an error wrapping ErrNotFound. An empty hash with a
// nil error also counts as "not found" (an account without a password
// cannot log in with Basic). Any other error is reported as 503, logged
// with the error's text: it must not contain a password.
type LookupFunc func(ctx context.Context, user string) (hash string, err error)

// FuncStore is a Store over a LookupFunc, for users in your own database.
// Make one with NewFuncStore.
type FuncStore struct {
	fn    LookupFunc
	decoy atomic.Pointer[Hash]
}

// NewFuncStore returns a FuncStore that asks fn for each user's stored hash. like is
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
func NewFuncStore(fn LookupFunc, like string) (*FuncStore, error) {
	if fn == nil {
		return nil, errors.New("basic: NewFuncStore needs a function")
	}
	s := &FuncStore{fn: fn}
	d := defaultDecoy()
	if like != "" {
		h, err := parseHash(like)
		if err != nil {
			return nil, fmt.Errorf("basic: NewFuncStore's example hash: %w", err)
		}
		d = h.Decoy()
	}
	s.decoy.Store(d)
	return s, nil
}

// Lookup implements Store.
func (s *FuncStore) Lookup(ctx context.Context, user string) (*Hash, error) {
	enc, err := s.fn(ctx, user)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if enc == "" {
		return nil, ErrNotFound
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
func (s *FuncStore) raise(h *Hash) {
	for {
		d := s.decoy.Load()
		nd := covering(d, h)
		if nd == d || s.decoy.CompareAndSwap(d, nd) {
			return
		}
	}
}

// Decoy implements Store.
func (s *FuncStore) Decoy() *Hash { return s.decoy.Load() }

// String describes the store for log details.
func (s *FuncStore) String() string { return "user lookup function" }
