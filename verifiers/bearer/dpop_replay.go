package bearer

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ReplayStore remembers which DPoP proofs (RFC 9449 §11.1) were already
// used, so that a proof captured on the wire cannot be sent again. The
// verifier calls Use once per proof, with a key derived from the proof's
// key thumbprint and its jti (never the proof itself), and with the time
// after which the proof's iat window has closed, so that the key need not
// be kept longer.
//
// Use answers fresh=true when key was not seen before (it is now recorded
// until until), fresh=false for a replay, and a non-nil error when the
// store cannot decide: the verifier then answers 503 (never 401, never
// "fresh"), since a store that is down must not let replays through.
//
// NewMemoryReplayStore keeps the keys in one process. Several instances
// behind one load balancer need a shared store (Redis, SET NX with an
// expiry), or a replay sent to another instance goes unnoticed.
// Implementations must be safe for concurrent use.
type ReplayStore interface {
	Use(ctx context.Context, key string, until time.Time) (fresh bool, err error)
}

// ErrReplayStoreFull is returned by a MemoryReplayStore's Use when it
// holds its maximum of keys, none of them expired: it fails closed (the
// request gets 503) rather than forget a key before its time, which would
// let that proof be replayed.
var ErrReplayStoreFull = errors.New("bearer: DPoP replay store is full")

// DefaultReplayStoreEntries is the bound NewMemoryReplayStore uses for
// maxEntries ≤ 0. At about 150 bytes per key it is some 15 MB, which
// holds a minute's worth of proofs at over 1,500 requests a second with
// the default DPoP window.
const DefaultReplayStoreEntries = 100_000

// MemoryReplayStore is a ReplayStore in process memory, bounded in the
// number of keys. Expired keys are dropped as new ones come, oldest
// expiry first, so each Use costs O(log n). Make one with
// NewMemoryReplayStore; it is safe for concurrent use.
type MemoryReplayStore struct {
	mu   sync.Mutex
	max  int
	now  func() time.Time
	keys map[string]int64 // key → until, in Unix nanoseconds
	exp  expiryHeap
}

// ReplayStoreOption configures NewMemoryReplayStore.
type ReplayStoreOption func(*MemoryReplayStore)

// ReplayStoreClock sets the store's clock, for tests; the default is
// time.Now. A nil now is ignored.
func ReplayStoreClock(now func() time.Time) ReplayStoreOption {
	return func(s *MemoryReplayStore) {
		if now != nil {
			s.now = now
		}
	}
}

// NewMemoryReplayStore returns an empty in-memory ReplayStore holding at
// most maxEntries unexpired keys (DefaultReplayStoreEntries when
// maxEntries ≤ 0). When it is full, Use returns ErrReplayStoreFull.
func NewMemoryReplayStore(maxEntries int, opts ...ReplayStoreOption) *MemoryReplayStore {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayStoreEntries
	}
	s := &MemoryReplayStore{max: maxEntries, now: time.Now, keys: make(map[string]int64)}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// Use records key until until and reports whether it was not recorded
// before (see ReplayStore). A key whose until has passed counts as
// unseen. A key with an until that is not after now is answered fresh
// and not recorded: there is nothing left to protect. It returns
// ErrReplayStoreFull (wrapped) when the store is full, and ctx's error
// when ctx is done.
func (s *MemoryReplayStore) Use(ctx context.Context, key string, until time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("bearer: DPoP replay store: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixNano()
	s.evict(now)
	if u, ok := s.keys[key]; ok && u > now {
		return false, nil
	}
	end := until.UnixNano()
	if end <= now {
		return true, nil
	}
	if len(s.keys) >= s.max {
		return false, fmt.Errorf("%w (%d keys, none expired yet; the earliest expires in %v)",
			ErrReplayStoreFull, len(s.keys), time.Duration(s.exp[0].until-now))
	}
	s.keys[key] = end
	heap.Push(&s.exp, expiry{key: key, until: end})
	return true, nil
}

// Len returns the number of keys held, expired ones not yet dropped
// included.
func (s *MemoryReplayStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// evict drops the keys whose until is not after now. A heap entry whose
// key was recorded again with a later until is skipped: the map holds the
// key's current until.
func (s *MemoryReplayStore) evict(now int64) {
	for len(s.exp) > 0 && s.exp[0].until <= now {
		e := heap.Pop(&s.exp).(expiry)
		if s.keys[e.key] == e.until {
			delete(s.keys, e.key)
		}
	}
}

type expiry struct {
	key   string
	until int64
}

// expiryHeap is a min-heap of expiries (container/heap).
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
