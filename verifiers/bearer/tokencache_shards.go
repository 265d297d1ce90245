package bearer

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
)

// tokenCache is a bounded map keyed by whole tokens: the key is the token
// string itself, compared byte for byte, so two tokens never share an
// entry. It is split into shards, each with its own lock, map and CLOCK
// ring: a hit takes one shard's read lock and sets the entry's reference
// bit; an insertion into a full shard sweeps the ring, giving referenced
// entries a second chance and evicting the first unreferenced one. Both
// bounds, entries and bytes, are divided evenly between the shards, so
// the whole cache never holds more than either.
type tokenCache[V any] struct {
	seed       maphash.Seed
	mask       uint64
	shards     []cacheShard[V]
	maxEntries int   // per shard
	maxBytes   int64 // per shard
}

type cacheShard[V any] struct {
	mu    sync.RWMutex
	m     map[string]*cacheItem[V]
	ring  []*cacheItem[V]
	hand  int
	bytes int64
	// Keeps two shards' locks off one cache line.
	_ [64]byte
}

// cacheItem is one entry. tok, val and size never change once the item
// is in a map; V's own fields that change are atomics.
type cacheItem[V any] struct {
	tok  string
	val  V
	size int64
	slot int // index in the shard's ring; guarded by the shard's lock
	ref  atomic.Bool
}

// Shard sizing: at most maxShards, and no fewer than minShardEntries
// entries nor minShardBytes bytes per shard, so that small caches are one
// shard whose bounds are exact.
const (
	maxShards       = 16
	minShardEntries = 64
	minShardBytes   = 64 << 10
)

// newTokenCache returns a cache of at most maxEntries entries and maxBytes
// bytes, both positive.
func newTokenCache[V any](maxEntries int, maxBytes int64) *tokenCache[V] {
	n := maxShards
	for n > 1 && (maxEntries/n < minShardEntries || maxBytes/int64(n) < minShardBytes) {
		n /= 2
	}
	c := &tokenCache[V]{
		seed:       maphash.MakeSeed(),
		mask:       uint64(n - 1),
		shards:     make([]cacheShard[V], n),
		maxEntries: maxEntries / n,
		maxBytes:   maxBytes / int64(n),
	}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheItem[V])
	}
	return c
}

func (c *tokenCache[V]) shard(tok string) *cacheShard[V] {
	if c.mask == 0 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, tok)&c.mask]
}

// get returns the item for tok, or nil, and marks it recently used.
func (c *tokenCache[V]) get(tok string) *cacheItem[V] {
	s := c.shard(tok)
	s.mu.RLock()
	it := s.m[tok]
	if it != nil && !it.ref.Load() {
		it.ref.Store(true)
	}
	s.mu.RUnlock()
	return it
}

// put stores val for tok, accounted as size bytes, replacing any entry tok
// had and evicting others as needed. An entry larger than a shard's byte
// budget is not stored. The cache keeps its own copy of tok, so that the
// request's header value it was cut from is not retained.
func (c *tokenCache[V]) put(tok string, val V, size int64) {
	if size > c.maxBytes {
		return
	}
	s := c.shard(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[tok]; old != nil {
		s.removeAt(old.slot)
	}
	for len(s.ring) > 0 && (len(s.ring) >= c.maxEntries || s.bytes+size > c.maxBytes) {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		if it := s.ring[s.hand]; it.ref.Load() {
			it.ref.Store(false)
			s.hand++
			continue
		}
		s.removeAt(s.hand)
	}
	it := &cacheItem[V]{tok: strings.Clone(tok), val: val, size: size, slot: len(s.ring)}
	s.m[it.tok] = it
	s.ring = append(s.ring, it)
	s.bytes += size
}

// remove drops it, unless it was already replaced or evicted.
func (c *tokenCache[V]) remove(it *cacheItem[V]) {
	s := c.shard(it.tok)
	s.mu.Lock()
	if s.m[it.tok] == it {
		s.removeAt(it.slot)
	}
	s.mu.Unlock()
}

// removeAt drops the item at ring index i, moving the last item into its
// slot. The caller holds the write lock.
func (s *cacheShard[V]) removeAt(i int) {
	it := s.ring[i]
	last := len(s.ring) - 1
	s.ring[i] = s.ring[last]
	s.ring[i].slot = i
	s.ring[last] = nil
	s.ring = s.ring[:last]
	delete(s.m, it.tok)
	s.bytes -= it.size
}

// stats returns the number of entries and bytes held, for tests.
func (c *tokenCache[V]) stats() (entries int, bytes int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		entries += len(s.ring)
		bytes += s.bytes
		s.mu.RUnlock()
	}
	return entries, bytes
}
