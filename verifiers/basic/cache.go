package basic

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// credKey is HMAC-SHA256(per-verifier random key, user || 0x00 || password):
// what the cache and the in-flight table are keyed by, so that neither
// holds a password or an unkeyed hash of one. The NUL separator is
// unambiguous because decodeBasic refuses control characters in the
// user-id.
type credKey [sha256.Size]byte

// keyer computes credKeys without allocating: HMAC (RFC 2104) written out
// over sha256.Sum256 so that the message can live in a stack buffer.
type keyer struct {
	ipad, opad [sha256.BlockSize]byte
}

func newKeyer(key []byte) *keyer {
	k := &keyer{}
	// key is 32 bytes, shorter than the block: zero-padded, not hashed.
	for i := range k.ipad {
		var b byte
		if i < len(key) {
			b = key[i]
		}
		k.ipad[i] = b ^ 0x36
		k.opad[i] = b ^ 0x5c
	}
	return k
}

func (k *keyer) key(user, password string) credKey {
	var buf [sha256.BlockSize + MaxCredentialsLength]byte
	msg := buf[:0]
	if sha256.BlockSize+len(user)+1+len(password) > len(buf) {
		// Cannot happen through decodeBasic; stay correct anyway.
		msg = make([]byte, 0, sha256.BlockSize+len(user)+1+len(password))
	}
	msg = append(msg, k.ipad[:]...)
	msg = append(msg, user...)
	msg = append(msg, 0)
	msg = append(msg, password...)
	inner := sha256.Sum256(msg)
	clear(msg) // the buffer held the password
	var obuf [sha256.BlockSize + sha256.Size]byte
	copy(obuf[:], k.opad[:])
	copy(obuf[sha256.BlockSize:], inner[:])
	return sha256.Sum256(obuf[:])
}

// cache remembers successful verifications for a while, bounded in entries
// with least-recently-used eviction. An entry is trusted only while the
// user's stored hash is the one it was made against (same encoded string,
// same source generation) and its TTL has not passed. Failures are never
// stored.
type cache struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	now     func() time.Time
	entries map[credKey]*list.Element // of *cacheEntry
	lru     list.List                 // front: most recently used
}

type cacheEntry struct {
	key     credKey
	encoded string
	gen     uint64
	expires time.Time
	id      *verifiers.Identity
}

func newCache(max int, ttl time.Duration, now func() time.Time) *cache {
	return &cache{max: max, ttl: ttl, now: now, entries: make(map[credKey]*list.Element)}
}

// get returns the identity cached for k if it was made against h and has
// not expired. A stale entry is removed.
func (c *cache) get(k credKey, h *Hash) (*verifiers.Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if e.gen != h.gen || e.encoded != h.encoded || !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.entries, k)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.id, true
}

// put stores a successful verification of k against h, evicting the least
// recently used entry when full.
func (c *cache) put(k credKey, h *Hash, id *verifiers.Identity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: k, encoded: h.encoded, gen: h.gen, expires: c.now().Add(c.ttl), id: id}
	if el, ok := c.entries[k]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[k] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).key)
	}
}

// len returns the number of entries, stale ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// flights makes concurrent checks of the same credentials against the same
// stored hash run the hash function once: the first caller computes, the
// others wait for its answer. This is what keeps a burst of identical
// first requests (a dashboard opening, a scraper's parallel fetches) from
// costing one bcrypt each.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*flight

	// joined, when set (by tests), runs when a caller starts waiting for
	// another's computation.
	joined func()
}

type flightKey struct {
	cred    credKey
	encoded string
	gen     uint64
}

type flight struct {
	done chan struct{}
	id   *verifiers.Identity // nil: the password did not match, or err
	err  error               // the check could not run (no slot)
}

// do runs fn once for all concurrent callers with key k and gives each of
// them its result. A caller that joins waits for the first one's answer,
// so it needs no check slot of its own, and shares its error too.
func (f *flights) do(k flightKey, fn func() (*verifiers.Identity, error)) (*verifiers.Identity, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = make(map[flightKey]*flight)
	}
	if fl, ok := f.m[k]; ok {
		f.mu.Unlock()
		if f.joined != nil {
			f.joined()
		}
		<-fl.done
		return fl.id, fl.err
	}
	fl := &flight{done: make(chan struct{})}
	f.m[k] = fl
	f.mu.Unlock()

	defer func() {
		f.mu.Lock()
		delete(f.m, k)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.id, fl.err = fn()
	return fl.id, fl.err
}
