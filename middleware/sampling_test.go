package middleware

import (
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeTimer stands for time.AfterFunc: it records the timers armed, and
// the test fires them.
type fakeTimer struct {
	mu sync.Mutex
	d  []time.Duration
	f  []func()
}

func (ft *fakeTimer) after(d time.Duration, f func()) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.d, ft.f = append(ft.d, d), append(ft.f, f)
}

// armed is how many timers are waiting.
func (ft *fakeTimer) armed() int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return len(ft.f)
}

// fire runs the waiting timers (those they arm wait for the next call)
// and returns the longest delay they were armed with.
func (ft *fakeTimer) fire() time.Duration {
	ft.mu.Lock()
	fs, ds := ft.f, ft.d
	ft.f, ft.d = nil, nil
	ft.mu.Unlock()
	var longest time.Duration
	for i, f := range fs {
		longest = max(longest, ds[i])
		f()
	}
	return longest
}

// newTestSampler is a sampler whose timer never fires and whose summaries
// go nowhere, for the tests of what it logs one by one.
func newTestSampler(burst int, window time.Duration, now func() time.Time) *sampler {
	return newSampler(burst, window, now, func(time.Duration, func()) {}, func(*pending) {})
}

// recordedSampler is a sampler with a fake timer that keeps its summaries.
type recordedSampler struct {
	*sampler
	timer     *fakeTimer
	summaries []pending
}

func newRecordedSampler(burst int, window time.Duration, now func() time.Time) *recordedSampler {
	rs := &recordedSampler{timer: &fakeTimer{}}
	rs.sampler = newSampler(burst, window, now, rs.timer.after, func(p *pending) { rs.summaries = append(rs.summaries, *p) })
	return rs
}

func (rs *recordedSampler) summarised() (n int) {
	for _, p := range rs.summaries {
		n += p.count
	}
	return n
}

// TestSamplerSummaryWithoutReturn: a burst from a client that never comes
// back is counted in a summary line written by the timer, armed at the
// first suppressed event for one window at most.
func TestSamplerSummaryWithoutReturn(t *testing.T) {
	now := time.Unix(1000, 0)
	rs := newRecordedSampler(10, time.Minute, func() time.Time { return now })
	k := sampleKey{ipKey("192.0.2.1"), "password_mismatch"}
	logged := 0
	for range 5001 {
		if ok, sup := rs.allow(k, "192.0.2.1", nil); ok {
			logged += 1 + sup
		}
	}
	if logged != 10 || rs.timer.armed() != 1 {
		t.Fatalf("logged %d, timers %d; want 10, 1", logged, rs.timer.armed())
	}
	now = now.Add(time.Minute)
	if d := rs.timer.fire(); d > time.Minute {
		t.Errorf("timer armed for %v, more than the window", d)
	}
	if len(rs.summaries) != 1 || rs.summaries[0].count != 4991 || rs.summaries[0].ip != "192.0.2.1" || rs.summaries[0].key != k {
		t.Fatalf("summaries %+v, want one of 4991 for %v", rs.summaries, k)
	}
	if rs.timer.armed() != 0 || len(rs.queue) != 0 {
		t.Errorf("timers %d, queue %d after the last summary; want none", rs.timer.armed(), len(rs.queue))
	}
	// Coming back: a fresh window, nothing counted twice.
	if ok, sup := rs.allow(k, "192.0.2.1", nil); !ok || sup != 0 {
		t.Errorf("after the summary: allow %v suppressed %d, want true 0", ok, sup)
	}
}

// TestSamplerReturnBeforeTimer: a client back after its window reports
// the count on its next event; the timer then writes nothing for it.
func TestSamplerReturnBeforeTimer(t *testing.T) {
	now := time.Unix(1000, 0)
	rs := newRecordedSampler(2, time.Minute, func() time.Time { return now })
	k := sampleKey{ipKey("192.0.2.1"), "token_expired"}
	for range 3 {
		rs.allow(k, "", nil)
	}
	now = now.Add(10 * time.Second)
	rs.allow(k, "", nil) // 2 suppressed, the first at +0s
	now = now.Add(50 * time.Second)
	if ok, sup := rs.allow(k, "", nil); !ok || sup != 2 {
		t.Fatalf("back after the window: allow %v suppressed %d, want true 2", ok, sup)
	}
	now = now.Add(time.Minute)
	rs.timer.fire()
	if len(rs.summaries) != 0 {
		t.Errorf("summaries %+v: the count was already reported", rs.summaries)
	}
}

// TestSamplerEvictedKeyKeepsItsCount: a flood of other clients drops a
// client's state from the bounded map, or fills the queue of counts; the
// client's suppressed count is still written, every event is accounted
// for, and memory stays bounded.
func TestSamplerEvictedKeyKeepsItsCount(t *testing.T) {
	for _, perClient := range []int{1, 2} {
		// 1: the flood evicts the victim from the map, its count waits in
		// the queue; 2: every flood client has a suppressed event, the
		// queue fills and writes its oldest counts early.
		t.Run(strconv.Itoa(perClient)+"_events_per_flood_client", func(t *testing.T) {
			now := time.Unix(1000, 0)
			rs := newRecordedSampler(1, time.Minute, func() time.Time { return now })
			total, lines, reported := 0, 0, 0
			send := func(k sampleKey) {
				total++
				if ok, sup := rs.allow(k, "", nil); ok {
					lines++
					reported += sup
				}
			}
			victim := sampleKey{ipKey("192.0.2.200"), "x"}
			for range 7 {
				send(victim) // 1 logged, 6 suppressed
			}
			for i := range 3 * maxSampleKeys {
				k := sampleKey{keyOf(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})), "x"}
				for range perClient {
					send(k)
				}
				if n := rs.keys.Len(); n > 2*maxSampleKeys {
					t.Fatalf("%d keys, bound %d", n, 2*maxSampleKeys)
				}
				if len(rs.queue) > maxPending {
					t.Fatalf("%d pending counts, bound %d", len(rs.queue), maxPending)
				}
			}
			if rs.keys.Contains(victim) {
				t.Fatal("the flood did not evict the victim: the test tests nothing")
			}
			now = now.Add(time.Minute)
			rs.timer.fire()
			if got := lines + reported + rs.summarised(); got != total {
				t.Errorf("lines %d + suppressed %d = %d, want %d events", lines, reported+rs.summarised(), got, total)
			}
			found := false
			for _, p := range rs.summaries {
				if p.key == victim && p.count == 6 {
					found = true
				}
			}
			if !found {
				t.Error("the evicted victim's 6 suppressed events were not written")
			}
		})
	}
}

// TestSamplerTimerCoalesces: counts due close together are written by one
// firing, and the timer is armed again for the later ones, never for more
// than a window.
func TestSamplerTimerCoalesces(t *testing.T) {
	now := time.Unix(1000, 0)
	rs := newRecordedSampler(1, time.Minute, func() time.Time { return now })
	for i := range 100 {
		k := sampleKey{keyOf(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})), "x"}
		rs.allow(k, "", nil)
		rs.allow(k, "", nil)
		now = now.Add(time.Second / 10) // 10 s for all
	}
	fires := 0
	for rs.timer.armed() > 0 {
		now = now.Add(time.Minute / 64)
		if d := rs.timer.fire(); d > time.Minute {
			t.Fatalf("timer armed for %v", d)
		}
		if fires++; fires > 100 {
			t.Fatal("the timer never stops")
		}
	}
	if rs.summarised() != 100 || len(rs.summaries) != 100 {
		t.Errorf("%d summaries of %d events, want 100 of 100", len(rs.summaries), rs.summarised())
	}
}
