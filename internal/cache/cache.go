// Package cache is the one bounded, expiring, least-recently-used map
// behind the verifiers' caches of successful checks (basic's credential
// cache, bearer's identity cache for opaque tokens).
//
// A Cache holds at most a fixed number of entries, each for at most a fixed
// time, and evicts the least recently used entry to make room. It takes its
// clock as a function, so that tests can move time. A hit allocates
// nothing. What makes an entry still valid beyond its age (the stored hash
// it was made against, a source generation) is the user's business: keep
// those fields in V, check them after Get, and Remove the entry when they
// no longer match.
//
// The list is written out (an intrusive doubly linked list rather than
// container/list) so that a hit does no type assertion and an insertion
// into a full cache reuses the evicted node instead of allocating two.
package cache

import (
	"sync"
	"time"
)

// Cache is a bounded LRU map from K to V whose entries expire. It is safe
// for concurrent use; make one with New.
type Cache[K comparable, V any] struct {
	mu   sync.Mutex
	max  int
	ttl  time.Duration
	now  func() time.Time
	m    map[K]*entry[K, V]
	root entry[K, V] // sentinel: root.next is the most recently used, root.prev the least
}

type entry[K comparable, V any] struct {
	prev, next *entry[K, V]
	key        K
	val        V
	expires    time.Time
}

// New returns a Cache of at most max entries, each kept at most ttl as
// measured by now (time.Now outside tests). It panics if max or ttl is not
// positive or now is nil: callers validate their options first.
func New[K comparable, V any](max int, ttl time.Duration, now func() time.Time) *Cache[K, V] {
	if max < 1 || ttl <= 0 || now == nil {
		panic("cache: New needs a positive size and TTL and a clock")
	}
	c := &Cache[K, V]{max: max, ttl: ttl, now: now, m: make(map[K]*entry[K, V])}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

// Get returns the value stored for k and marks it most recently used. An
// expired entry is removed and reported absent.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	if !c.now().Before(e.expires) {
		c.drop(e)
		var zero V
		return zero, false
	}
	c.moveToFront(e)
	return e.val, true
}

// Put stores v for k for the cache's TTL, replacing any value k had, and
// evicts the least recently used entry when the cache is full.
func (c *Cache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(k, v, c.now().Add(c.ttl))
}

// PutUntil is Put for a value that must not outlive expires (a token's
// exp claim): it is kept until expires or for the TTL, whichever ends
// first, and not stored at all if expires has passed.
func (c *Cache[K, V]) PutUntil(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !now.Before(expires) {
		return
	}
	if limit := now.Add(c.ttl); limit.Before(expires) {
		expires = limit
	}
	c.put(k, v, expires)
}

// Remove drops the entry for k, if any. Use it when V's own validity check
// fails after Get.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[k]; ok {
		c.drop(e)
	}
}

// Len returns the number of entries, expired ones not yet seen by Get
// included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// put stores under c.mu.
func (c *Cache[K, V]) put(k K, v V, expires time.Time) {
	if e, ok := c.m[k]; ok {
		e.val, e.expires = v, expires
		c.moveToFront(e)
		return
	}
	var e *entry[K, V]
	if len(c.m) >= c.max {
		// Full: the least recently used node becomes the new one.
		e = c.root.prev
		c.unlink(e)
		delete(c.m, e.key)
	} else {
		e = &entry[K, V]{}
	}
	e.key, e.val, e.expires = k, v, expires
	c.m[k] = e
	c.pushFront(e)
}

// drop removes e and clears it, so that the value can be collected.
func (c *Cache[K, V]) drop(e *entry[K, V]) {
	c.unlink(e)
	delete(c.m, e.key)
	*e = entry[K, V]{}
}

func (c *Cache[K, V]) unlink(e *entry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *Cache[K, V]) pushFront(e *entry[K, V]) {
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
}

func (c *Cache[K, V]) moveToFront(e *entry[K, V]) {
	if c.root.next == e {
		return
	}
	c.unlink(e)
	c.pushFront(e)
}
