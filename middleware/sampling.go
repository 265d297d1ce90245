package middleware

import (
	"sync"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// sampler limits log events of identical rejections: at most burst events
// per key (client and reason) per window. Its state lives in a genMap
// bounded by maxSampleKeys per generation, so a flood of distinct clients
// cannot grow it, and every call is O(1). A key unseen for a whole window
// may be dropped; all it loses is a suppressed count that would have been
// reported on its next event.
type sampler struct {
	mu     sync.Mutex
	burst  int
	window time.Duration
	now    func() time.Time
	keys   *genMap[sampleKey, sampleState]
}

// sampleKey identifies identical rejections: one client, one reason.
type sampleKey struct {
	client clientKey
	reason verifiers.Reason
}

type sampleState struct {
	start      time.Time
	n          int
	suppressed int
}

const maxSampleKeys = 10000

func newSampler(burst int, window time.Duration, now func() time.Time) *sampler {
	return &sampler{burst: burst, window: window, now: now, keys: newGenMap[sampleKey, sampleState](maxSampleKeys, window, now())}
}

// allow reports whether an event for key should be logged and, if so, how
// many events for key were suppressed before it.
func (s *sampler) allow(key sampleKey) (ok bool, suppressed int) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.turnIfDue(now)
	st, found := s.keys.get(key)
	switch {
	case !found:
		st = sampleState{start: now, n: 1}
		ok = true
	case now.Sub(st.start) >= s.window:
		suppressed = st.suppressed
		st = sampleState{start: now, n: 1}
		ok = true
	case st.n < s.burst:
		st.n++
		ok = true
	default:
		st.suppressed++
	}
	s.keys.put(key, st)
	return ok, suppressed
}
