package middleware

import (
	"sync"
	"time"
)

// sampler limits log events of identical rejections: at most burst events
// per key (client address and reason) per window. Its memory is bounded by
// maxKeys; when full, expired keys are dropped, and if none are, all of
// them, so a flood of distinct clients cannot grow it.
type sampler struct {
	mu     sync.Mutex
	burst  int
	window time.Duration
	now    func() time.Time
	keys   map[sampleKey]*sampleState
}

// sampleKey identifies identical rejections: one client, one reason.
type sampleKey struct {
	ip     string
	reason string
}

type sampleState struct {
	start      time.Time
	n          int
	suppressed int
}

const maxSampleKeys = 10000

func newSampler(burst int, window time.Duration, now func() time.Time) *sampler {
	return &sampler{burst: burst, window: window, now: now, keys: make(map[sampleKey]*sampleState)}
}

// allow reports whether an event for key should be logged and, if so, how
// many events for key were suppressed before it.
func (s *sampler) allow(key sampleKey) (ok bool, suppressed int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.keys[key]
	if st == nil {
		if len(s.keys) >= maxSampleKeys {
			s.evict(now)
		}
		s.keys[key] = &sampleState{start: now, n: 1}
		return true, 0
	}
	if now.Sub(st.start) >= s.window {
		suppressed = st.suppressed
		*st = sampleState{start: now, n: 1}
		return true, suppressed
	}
	if st.n < s.burst {
		st.n++
		return true, 0
	}
	st.suppressed++
	return false, 0
}

func (s *sampler) evict(now time.Time) {
	for k, st := range s.keys {
		if now.Sub(st.start) >= s.window && st.suppressed == 0 {
			delete(s.keys, k)
		}
	}
	if len(s.keys) >= maxSampleKeys {
		clear(s.keys)
	}
}
