package apikey

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryStore is a Store that keeps records in memory, for tests, demos and
// servers that load their keys from elsewhere at start-up. It is safe for
// concurrent use; lookups take a read lock only.
type MemoryStore struct {
	mu   sync.RWMutex
	recs map[string]*Record
}

// NewMemoryStore returns a MemoryStore holding records, or an error if one
// is invalid (see Record.Validate) or two share an id.
func NewMemoryStore(records ...*Record) (*MemoryStore, error) {
	s := &MemoryStore{recs: make(map[string]*Record, len(records))}
	for _, r := range records {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if _, dup := s.recs[r.ID]; dup {
			return nil, fmt.Errorf("%w: two records with id %s", ErrInvalidRecord, r.ID)
		}
		s.recs[r.ID] = r
	}
	return s, nil
}

// Lookup returns the record with id, or ErrNotFound.
func (s *MemoryStore) Lookup(_ context.Context, id string) (*Record, error) {
	s.mu.RLock()
	r, ok := s.recs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	return r, nil
}

// Put adds r, or replaces the record with the same id. r must not be
// modified afterwards.
func (s *MemoryStore) Put(r *Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.recs[r.ID] = r
	s.mu.Unlock()
	return nil
}

// Delete removes the record with id, if any. Requests with the key are
// then rejected as apikey_unknown; to have them rejected as apikey_revoked,
// which tells the operator what happened, use Revoke.
func (s *MemoryStore) Delete(id string) {
	s.mu.Lock()
	delete(s.recs, id)
	s.mu.Unlock()
}

// Revoke replaces the record with id by a copy revoked at the given time,
// or returns ErrNotFound.
func (s *MemoryStore) Revoke(id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return fmt.Errorf("apikey: revoke %s: %w", id, ErrNotFound)
	}
	s.recs[id] = r.copyWith(func(c *Record) { c.Revoked = at })
	return nil
}

// Len returns the number of records.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.recs)
}
