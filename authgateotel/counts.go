package authgateotel

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// count is the count of one attribute set of an observable counter.
type count struct {
	set attribute.Set
	n   atomic.Int64
}

func (c *count) observe(o metric.Observer, inst metric.Int64ObservableCounter) {
	o.ObserveInt64(inst, c.n.Load(), metric.WithAttributeSet(c.set))
}

// overflowSet is the attribute set of the counts past maxCached distinct
// tuples, as the SDK names its own overflow.
var overflowSet = attribute.NewSet(attribute.Bool("otel.metric.overflow", true))

// entries keeps the entry of each attribute tuple seen: an immutable
// table behind an atomic pointer, copied on the rare insert, so that a
// lookup takes no lock. The table is keyed by the tuple's maphash, with
// the tuple itself compared on a hit: hashing a tuple of strings once
// with maphash.Comparable and indexing by an integer costs about half
// what a map keyed by the tuple does. Past maxCached tuples, further ones
// share one overflow entry.
type entries[K comparable, V any] struct {
	t        atomic.Pointer[table[K, V]]
	front    [frontSlots]atomic.Pointer[tuple[K, V]]
	mu       sync.Mutex
	overflow V
	full     bool
}

// frontSlots is the size of an entries' front: a direct-mapped array,
// indexed by a hash the caller computes cheaply (lengths and a few bytes,
// no pass over the strings), of pointers to tuples of the table. A hit
// costs that hash and one comparison of the tuple, whose strings are
// mostly the same constants as the stored ones; a miss (two tuples with
// the same slot, taking turns) only costs the table's lookup, and
// replaces the slot's pointer, so the front never grows.
const frontSlots = 64

// getFast is get behind the front: slot is k's front hash.
func (c *entries[K, V]) getFast(k K, slot uint64, build func(overflow bool) V) V {
	f := &c.front[slot%frontSlots]
	if e := f.Load(); e != nil && e.k == k {
		return e.v
	}
	if t := c.t.Load(); t != nil {
		if _, e := t.lookup(k); e != nil {
			f.Store(e)
			return e.v
		}
	}
	return c.get(k, build)
}

type table[K comparable, V any] struct {
	seed maphash.Seed
	n    int                      // tuples in m
	m    map[uint64][]tuple[K, V] // by maphash.Comparable(seed, k)
}

type tuple[K comparable, V any] struct {
	k K
	v V
}

// lookup returns k's hash in t and its tuple, nil if there is none. The
// pointer stays valid: a bucket's array is never written once a table is
// published.
func (t *table[K, V]) lookup(k K) (uint64, *tuple[K, V]) {
	h := maphash.Comparable(t.seed, k)
	es := t.m[h]
	for i := range es {
		if es[i].k == k {
			return h, &es[i]
		}
	}
	return h, nil
}

// get returns k's entry, made by build(false) on first sight, or the
// overflow entry (made by build(true)) once the table is full.
func (c *entries[K, V]) get(k K, build func(overflow bool) V) V {
	if t := c.t.Load(); t != nil {
		if _, e := t.lookup(k); e != nil {
			return e.v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.t.Load()
	if old == nil {
		old = &table[K, V]{seed: maphash.MakeSeed()}
	}
	h, e := old.lookup(k)
	if e != nil {
		return e.v
	}
	if old.n >= maxCached {
		if !c.full {
			c.overflow, c.full = build(true), true
		}
		return c.overflow
	}
	next := &table[K, V]{seed: old.seed, n: old.n + 1, m: make(map[uint64][]tuple[K, V], len(old.m)+1)}
	for h2, es := range old.m {
		next.m[h2] = es
	}
	v := build(false)
	// A fresh array for the bucket: the old table's stays as it was.
	next.m[h] = append(slices.Clip(old.m[h]), tuple[K, V]{k, v})
	c.t.Store(next)
	return v
}

// each calls f with every entry, the overflow one included.
func (c *entries[K, V]) each(f func(V)) {
	if t := c.t.Load(); t != nil {
		for _, es := range t.m {
			for _, e := range es {
				f(e.v)
			}
		}
	}
	c.mu.Lock()
	ov, full := c.overflow, c.full
	c.mu.Unlock()
	if full {
		f(ov)
	}
}
