package limiter

import "time"

// GenMap is a map bounded in memory with O(1) operations, for state kept per
// client (log sampling, failure limiting), which an attacker can multiply by
// sending from many addresses. It holds two generations: entries are
// written to the current one, and an entry read from the previous one moves
// to the current one. The generations turn (the previous one is dropped,
// the current one becomes previous) when the window has passed since the
// last turn or when the current one holds max entries. So an entry survives
// at least one window after it was last touched unless max distinct keys
// arrive in the meantime, and the map never holds more than 2*max entries.
//
// It is not safe for concurrent use: its owner holds a lock.
type GenMap[K comparable, V any] struct {
	cur, prev map[K]V
	max       int
	window    time.Duration
	turned    time.Time // when the generations last turned
}

// NewGenMap returns an empty GenMap of max entries per generation whose
// generations turn every window, counted from now.
func NewGenMap[K comparable, V any](max int, window time.Duration, now time.Time) *GenMap[K, V] {
	return &GenMap[K, V]{cur: make(map[K]V), prev: make(map[K]V), max: max, window: window, turned: now}
}

// TurnIfDue turns the generations when the window has passed.
func (m *GenMap[K, V]) TurnIfDue(now time.Time) {
	if now.Sub(m.turned) >= m.window || now.Before(m.turned) {
		m.turn(now)
	}
}

func (m *GenMap[K, V]) turn(now time.Time) {
	m.prev, m.cur = m.cur, m.fresh()
	m.turned = now
}

// fresh returns the next current generation, sized for as many entries as
// the current one holds: no growing under steady traffic. A fresh map
// rather than clear(): a map keeps the buckets of its largest size, and a
// flood should not pin that memory once it is over.
func (m *GenMap[K, V]) fresh() map[K]V { return make(map[K]V, len(m.cur)) }

// Get returns the value of key, moving it to the current generation.
func (m *GenMap[K, V]) Get(key K) (V, bool) {
	if v, ok := m.cur[key]; ok {
		return v, true
	}
	v, ok := m.prev[key]
	if ok {
		delete(m.prev, key)
		m.Put(key, v)
	}
	return v, ok
}

// Put sets the value of key in the current generation, turning the
// generations first when it is full.
func (m *GenMap[K, V]) Put(key K, v V) {
	if _, ok := m.cur[key]; !ok && len(m.cur) >= m.max {
		m.prev, m.cur = m.cur, m.fresh()
		// The window keeps running from the last turn: a full turn does
		// not postpone the timed one.
	}
	m.cur[key] = v
}

// Len is the number of entries held, both generations.
func (m *GenMap[K, V]) Len() int { return len(m.cur) + len(m.prev) }

// Delete removes key from both generations.
func (m *GenMap[K, V]) Delete(key K) {
	delete(m.cur, key)
	delete(m.prev, key)
}

// Contains reports whether key is held, in either generation, without
// moving it.
func (m *GenMap[K, V]) Contains(key K) bool {
	_, a := m.cur[key]
	_, b := m.prev[key]
	return a || b
}
