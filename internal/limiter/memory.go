package limiter

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store in memory, bounded: a GenMap of maxKeys/2 keys per
// generation, so a flood of distinct addresses forgets the least recently
// seen ones rather than growing. It never fails. Its clock is the one
// given to NewMemory.
type Memory struct {
	mu  sync.Mutex
	now func() time.Time
	m   *GenMap[Key, state]
}

type state struct {
	start time.Time // first failure of the current window
	n     int
	win   time.Duration
}

// NewMemory returns a Memory holding at most about maxKeys keys, whose
// generations turn every window, reading time from now.
func NewMemory(maxKeys int, window time.Duration, now func() time.Time) *Memory {
	return &Memory{now: now, m: NewGenMap[Key, state](max(maxKeys/2, 1), window, now())}
}

// Failures implements Store. A key without failures costs a lookup in
// each generation and no clock reading.
func (m *Memory) Failures(_ context.Context, k Key) (Count, error) {
	m.mu.Lock()
	st, ok := m.m.Get(k)
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
	m.m.TurnIfDue(now)
	st, _ := m.m.Get(k)
	if st.count(now).N == 0 {
		st = state{start: now, win: window}
	}
	st.n++
	m.m.Put(k, st)
	return st.count(now), nil
}

// Forget implements Store.
func (m *Memory) Forget(_ context.Context, k Key) error {
	m.mu.Lock()
	m.m.Delete(k)
	m.mu.Unlock()
	return nil
}

// Len is the number of keys held, both generations.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m.Len()
}

// count is st's live count at now.
func (st state) count(now time.Time) Count {
	left := st.start.Add(st.win).Sub(now)
	if st.n == 0 || left <= 0 || now.Before(st.start) {
		return Count{}
	}
	return Count{N: st.n, Left: left}
}
