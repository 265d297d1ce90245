package middleware

import (
	"sync"
	"time"

	"github.com/rs/zerolog"

	core "github.com/authgate/authgate/internal/limiter"
	"github.com/authgate/authgate/verifiers"
)

// sampler limits log events of identical rejections: at most burst events
// per key (client and reason) per window. Every event it suppresses is
// still accounted for: in the "suppressed" count of the key's next logged
// event when the client comes back after its window, or else in a summary
// line that a timer writes about one window after the key's first
// suppressed event, whether or not the client comes back.
//
// The per-key state lives in a core.GenMap bounded by maxSampleKeys per
// generation, so a flood of distinct clients cannot grow it, and every call
// is O(1). The counts not yet written live apart from it, in a queue
// ordered by when they are due (so a key dropped from the map keeps its
// count), bounded by maxPending: when it is full, the oldest count is
// written at once, early rather than lost.
//
// There is no goroutine: one timer (time.AfterFunc, or a test's) is armed
// while the queue is not empty, and nothing runs once it is.
type sampler struct {
	mu     sync.Mutex
	burst  int
	window time.Duration
	// slack: a timer firing writes the counts due within slack too, so
	// that it fires at most about window/slack times per window.
	slack time.Duration
	now   func() time.Time
	after func(time.Duration, func())
	emit  func(*pending) // writes one summary line; called without mu
	keys  *core.GenMap[sampleKey, sampleState]
	queue []*pending // by due time
	armed bool       // a timer will call fire
}

// sampleKey identifies identical rejections: one client, one reason.
type sampleKey struct {
	client clientKey
	reason verifiers.Reason
}

type sampleState struct {
	start time.Time // start of the key's window
	n     int       // events logged in it
	pend  *pending  // suppressed events not yet written, nil when none
}

// pending is the count of a key's suppressed events that no line has
// reported yet.
type pending struct {
	key   sampleKey
	ip    string          // the client address of the last suppressed event
	log   *zerolog.Logger // the logger of the last suppressed event
	count int
	due   time.Time // first suppressed event + window
	done  bool      // written (or handed to the next event): the key needs a new pending
}

const (
	maxSampleKeys = 10000
	maxPending    = 2 * maxSampleKeys
)

// newSampler returns a sampler whose summaries are written by emit, and
// whose timer is after (time.AfterFunc when nil).
func newSampler(burst int, window time.Duration, now func() time.Time, after func(time.Duration, func()), emit func(*pending)) *sampler {
	if after == nil {
		after = func(d time.Duration, f func()) { time.AfterFunc(d, f) }
	}
	return &sampler{
		burst: burst, window: window, slack: window / 64, now: now, after: after, emit: emit,
		keys: core.NewGenMap[sampleKey, sampleState](maxSampleKeys, window, now()),
	}
}

// allow reports whether an event for key should be logged and, if so, how
// many events for key were suppressed before it that no line reported. ip
// and l are the client address and the logger of this event, kept for the
// summary line when it is suppressed.
func (s *sampler) allow(key sampleKey, ip string, l *zerolog.Logger) (ok bool, suppressed int) {
	now := s.now()
	var early *pending // a count written before its time, the queue being full
	s.mu.Lock()
	s.keys.TurnIfDue(now)
	st, found := s.keys.Get(key)
	if st.pend != nil && st.pend.done {
		st.pend = nil
	}
	switch {
	case !found:
		st = sampleState{start: now, n: 1}
		ok = true
	case now.Sub(st.start) >= s.window:
		if p := st.pend; p != nil {
			// This event's line reports the count; the queued entry
			// finds nothing left to write.
			suppressed, p.count, p.done = p.count, 0, true
		}
		st = sampleState{start: now, n: 1}
		ok = true
	case st.n < s.burst:
		st.n++
		ok = true
	default:
		if st.pend == nil {
			if len(s.queue) >= maxPending {
				early = s.pop()
			}
			st.pend = &pending{key: key, due: now.Add(s.window)}
			s.queue = append(s.queue, st.pend)
			if !s.armed {
				s.armed = true
				s.after(s.window, s.fire)
			}
		}
		p := st.pend
		p.count++
		p.ip, p.log = ip, l
	}
	s.keys.Put(key, st)
	s.mu.Unlock()
	if early != nil && early.count > 0 {
		s.emit(early)
	}
	return ok, suppressed
}

// pop removes the oldest pending count from the queue and marks it
// written. The caller holds mu and writes it.
func (s *sampler) pop() *pending {
	p := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	p.done = true
	return p
}

// fire writes the counts that are due, and arms the timer again for the
// next one.
func (s *sampler) fire() {
	now := s.now()
	var out []*pending
	s.mu.Lock()
	for len(s.queue) > 0 && !s.queue[0].due.After(now.Add(s.slack)) {
		if p := s.pop(); p.count > 0 {
			out = append(out, p)
		}
	}
	if len(s.queue) == 0 {
		s.armed = false
		s.queue = nil // let a flood's backing array go
	} else {
		d := s.queue[0].due.Sub(now)
		if d > s.window {
			d = s.window // a clock set back: look again within a window
		}
		s.after(d, s.fire)
	}
	s.mu.Unlock()
	for _, p := range out {
		s.emit(p)
	}
}
