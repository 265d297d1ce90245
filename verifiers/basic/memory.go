package basic

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
)

// MemoryStore is a Store of users and hashes held in memory, for a fixed set of
// users known to the program or for tests. Put and Delete change it while
// it is in use; cached credentials of a changed user stop being trusted at
// once.
type MemoryStore struct {
	mu  sync.Mutex // serialises writers
	gen uint64     // guarded by mu
	t   atomic.Pointer[table]
}

// NewMemoryStore returns a MemoryStore holding users, a map of user name to stored
// hash (see ParseHash for the formats). It fails on the first hash that
// does not parse or is over the cost maxima, or user name that is not
// valid (empty, a colon, a control character, invalid UTF-8), naming the
// user.
//
// Unlike OpenFileStore, NewMemoryStore logs nothing about weak or mixed costs: the
// program chose the hashes itself (tests rightly use bcrypt.MinCost), and
// mixed costs no longer tell users apart by timing, since a cheaper
// user's check pays the difference up to the decoy.
func NewMemoryStore(users map[string]string) (*MemoryStore, error) {
	s := &MemoryStore{}
	t := make(map[string]*Hash, len(users))
	for u, enc := range users {
		h, err := parseUserHash(u, enc)
		if err != nil {
			return nil, err
		}
		t[u] = h
	}
	s.t.Store(newTable(t))
	return s, nil
}

// Put adds user with the stored hash enc, or replaces that user's hash.
func (s *MemoryStore) Put(user, enc string) error {
	h, err := parseUserHash(user, enc)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	h.gen = s.gen
	users := maps.Clone(s.t.Load().users)
	users[user] = h
	s.t.Store(newTable(users))
	return nil
}

// Delete removes user; it does nothing if there is no such user.
func (s *MemoryStore) Delete(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := maps.Clone(s.t.Load().users)
	delete(users, user)
	s.t.Store(newTable(users))
}

// Lookup implements Store.
func (s *MemoryStore) Lookup(_ context.Context, user string) (*Hash, error) {
	return s.t.Load().lookup(user)
}

// Decoy implements Store: bcrypt or argon2id, whichever most users have,
// at the strongest parameters in use.
func (s *MemoryStore) Decoy() *Hash { return s.t.Load().decoy }

// Len returns the number of users.
func (s *MemoryStore) Len() int { return len(s.t.Load().users) }

// String describes the store for log details.
func (s *MemoryStore) String() string { return "in-memory user list" }
