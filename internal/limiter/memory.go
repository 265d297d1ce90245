package limiter

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store in memory, bounded: GenMaps of maxKeys/2 keys per
// generation, so a flood of distinct addresses forgets the least recently
// seen ones rather than growing. It never fails. Its clock is the one
// given to NewMemory.
type Memory struct {
	mu  sync.Mutex
	now func() time.Time
	// Addresses are keyed by their 16 bytes alone, which hash faster
	// than a Key with its two strings; pairs by the whole Key.
	ips   *GenMap[[16]byte, state]
	pairs *GenMap[Key, state]
}

type state struct {
	start time.Time // first failure of the current window
	n     int
	win   time.Duration
}

// NewMemory returns a Memory holding at most about maxKeys keys, whose
// generations turn every window, reading time from now.
func NewMemory(maxKeys int, window time.Duration, now func() time.Time) *Memory {
	half, t := max(maxKeys/2, 1), now()
	return &Memory{now: now, ips: NewGenMap[[16]byte, state](half, window, t), pairs: NewGenMap[Key, state](half, window, t)}
}

// Failures implements Store. A key without failures costs a lookup in
// each generation and no clock reading.
func (m *Memory) Failures(_ context.Context, k Key) (Count, error) {
	m.mu.Lock()
	var st state
	var ok bool
	if k.isAddress() {
		st, ok = m.ips.Get(k.Client)
	} else {
		st, ok = m.pairs.Get(k)
	}
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
	if k.isAddress() {
		m.ips.TurnIfDue(now)
		st, _ := m.ips.Get(k.Client)
		st = st.fail(now, window)
		m.ips.Put(k.Client, st)
		return st.count(now), nil
	}
	m.pairs.TurnIfDue(now)
	st, _ := m.pairs.Get(k)
	st = st.fail(now, window)
	m.pairs.Put(k, st)
	return st.count(now), nil
}

// Forget implements Store.
func (m *Memory) Forget(_ context.Context, k Key) error {
	m.mu.Lock()
	if k.isAddress() {
		m.ips.Delete(k.Client)
	} else {
		m.pairs.Delete(k)
	}
	m.mu.Unlock()
	return nil
}

// Len is the number of keys held, both generations.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ips.Len() + m.pairs.Len()
}

// fail is st with one more failure at now, in a new window when none is
// running.
func (st state) fail(now time.Time, window time.Duration) state {
	if st.count(now).N == 0 {
		st = state{start: now, win: window}
	}
	st.n++
	return st
}

// count is st's live count at now.
func (st state) count(now time.Time) Count {
	left := st.start.Add(st.win).Sub(now)
	if st.n == 0 || left <= 0 || now.Before(st.start) {
		return Count{}
	}
	return Count{N: st.n, Left: left}
}
