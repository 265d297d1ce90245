package limiter

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store in memory, bounded: it keeps at most about max keys
// (two generations of max/2 each: a key read from the older one moves to
// the newer; the generations turn when the window has passed since the
// last turn, or when the newer one is full), so a flood of distinct
// addresses forgets the least recently seen ones rather than growing.
// It never fails. Its clock is the one given to NewMemory.
type Memory struct {
	mu        sync.Mutex
	now       func() time.Time
	window    time.Duration // generations turn once per window
	half      int
	cur, prev map[Key]state
	turned    time.Time
}

type state struct {
	start time.Time // first failure of the current window
	n     int
	win   time.Duration
}

// NewMemory returns a Memory holding at most about max keys, whose
// generations turn every window, reading time from now.
func NewMemory(max int, window time.Duration, now func() time.Time) *Memory {
	half := max / 2
	if half < 1 {
		half = 1
	}
	return &Memory{now: now, window: window, half: half, cur: make(map[Key]state), prev: make(map[Key]state), turned: now()}
}

// Failures implements Store. A key without failures costs a lookup in
// each generation and no clock reading.
func (m *Memory) Failures(_ context.Context, k Key) (Count, error) {
	m.mu.Lock()
	st, ok := m.get(k)
	m.mu.Unlock()
	if !ok {
		return Count{}, nil
	}
	return st.count(m.now()), nil
}

// Fail implements Store.
func (m *Memory) Fail(_ context.Context, k Key, window time.Duration) (Count, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.turned) >= m.window || now.Before(m.turned) {
		m.turn(now)
	}
	st, _ := m.get(k)
	if st.count(now).N == 0 {
		st = state{start: now, win: window}
	}
	st.n++
	m.put(k, st)
	return st.count(now), nil
}

// Forget implements Store.
func (m *Memory) Forget(_ context.Context, k Key) error {
	m.mu.Lock()
	delete(m.cur, k)
	delete(m.prev, k)
	m.mu.Unlock()
	return nil
}

// Len is the number of keys held, both generations.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cur) + len(m.prev)
}

// count is st's live count at now.
func (st state) count(now time.Time) Count {
	left := st.start.Add(st.win).Sub(now)
	if st.n == 0 || left <= 0 || now.Before(st.start) {
		return Count{}
	}
	return Count{N: st.n, Left: left}
}

func (m *Memory) get(k Key) (state, bool) {
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.prev[k]
	if ok {
		delete(m.prev, k)
		m.put(k, v)
	}
	return v, ok
}

func (m *Memory) put(k Key, v state) {
	if _, ok := m.cur[k]; !ok && len(m.cur) >= m.half {
		// The window keeps running from the last turn: a full turn does
		// not postpone the timed one.
		m.prev, m.cur = m.cur, make(map[Key]state, len(m.cur))
	}
	m.cur[k] = v
}

func (m *Memory) turn(now time.Time) {
	// A fresh map rather than clear(): a map keeps the buckets of its
	// largest size, and a flood should not pin that memory once over.
	m.prev, m.cur = m.cur, make(map[Key]state, len(m.cur))
	m.turned = now
}
