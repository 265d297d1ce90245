package middleware_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// manualTimers stands for time.AfterFunc in the gate: the test fires the
// timers armed so far.
type manualTimers struct {
	mu sync.Mutex
	d  []time.Duration
	f  []func()
}

func (m *manualTimers) after(d time.Duration, f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.d, m.f = append(m.d, d), append(m.f, f)
}

// fire runs the timers armed so far and returns the longest delay asked.
func (m *manualTimers) fire() (longest time.Duration) {
	m.mu.Lock()
	fs, ds := m.f, m.d
	m.f, m.d = nil, nil
	m.mu.Unlock()
	for i, f := range fs {
		longest = max(longest, ds[i])
		f()
	}
	return longest
}

// accounted returns the rejection lines and the suppressed counts of the
// log, failing on a line that is neither, or that holds the credential.
func accounted(t *testing.T, lb *logBuf, secret string) (lines, suppressed int, summaries []map[string]any) {
	t.Helper()
	if secret != "" && strings.Contains(lb.String(), secret) {
		t.Fatalf("the log holds the credential")
	}
	for _, ev := range lb.events(t) {
		n, _ := ev["suppressed"].(float64)
		suppressed += int(n)
		switch ev["message"] {
		case "authgate: request refused":
			lines++
		case "authgate: identical rejections suppressed":
			summaries = append(summaries, ev)
		default:
			t.Fatalf("unexpected line %v", ev)
		}
	}
	return lines, suppressed, summaries
}

// TestLogSamplingAccountsForEveryRejection: 5,001 wrong passwords from one
// client that then goes away. Every one is in the log, as its own line or
// in the count of a summary line that the gate's timer writes within one
// window, with no further request.
func TestLogSamplingAccountsForEveryRejection(t *testing.T) {
	t.Parallel()
	const secret = "CANARYsampling-pw-7f3a"
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	timers := &manualTimers{}
	lb := &logBuf{}
	g := middleware.New(middleware.WithLogger(zerologTo(lb)), middleware.WithClock(clock), middleware.WithTimer(timers.after))
	v := basicV(map[string]func() (*verifiers.Identity, error){})
	v.outcomes["YWxpY2U6"+secret] = reject(verifiers.PasswordMismatch, "wrong password for alice")
	h := g.Require(v)(okHandler)
	for range 5001 {
		r := get("/login", "Authorization", "Basic YWxpY2U6"+secret)
		r.RemoteAddr = "203.0.113.9:4711"
		if w := serve(h, r); w.Code != 401 {
			t.Fatalf("status %d", w.Code)
		}
	}
	lines, suppressed, _ := accounted(t, lb, secret)
	if lines != 10 || suppressed != 0 {
		t.Fatalf("before the window ends: %d lines, %d suppressed; want 10, 0 (the default burst)", lines, suppressed)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if d := timers.fire(); d <= 0 || d > time.Minute {
		t.Errorf("the summary timer was armed for %v, want at most the window (1m)", d)
	}
	lines, suppressed, summaries := accounted(t, lb, secret)
	if lines+suppressed != 5001 {
		t.Errorf("%d lines + %d suppressed = %d, want 5001", lines, suppressed, lines+suppressed)
	}
	if len(summaries) != 1 {
		t.Fatalf("%d summary lines, want 1", len(summaries))
	}
	want := map[string]any{"level": "warn", "reason": "password_mismatch", "status": float64(401), "remote_ip": "203.0.113.9", "suppressed": float64(4991), "window": "1m0s"}
	for k, v := range want {
		if summaries[0][k] != v {
			t.Errorf("summary %s = %v, want %v (%v)", k, summaries[0][k], v, summaries[0])
		}
	}
}

// TestLogSamplingFloodOfClients: one client's burst, then a flood of
// distinct clients that evicts it from the sampler's bounded memory. Its
// count is still written, and every rejection is accounted for.
func TestLogSamplingFloodOfClients(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	timers := &manualTimers{}
	lb := &logBuf{}
	g := middleware.New(middleware.WithLogger(zerologTo(lb)), middleware.WithClock(func() time.Time { return now }),
		middleware.WithTimer(timers.after), middleware.WithLogSampling(2, time.Minute))
	h := g.Require(bearerV(nil))(okHandler)
	send := func(ip string) {
		r := get("/")
		r.RemoteAddr = ip + ":1234"
		serve(h, r)
	}
	total := 0
	for range 50 {
		send("198.51.100.7")
		total++
	}
	for i := range 25_000 {
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&0xff, i&0xff)
		n := 1
		if i%10 == 0 {
			n = 4 // some clients over the burst, most not
		}
		for range n {
			send(ip)
			total++
		}
	}
	// The timer is owned by the gate and fires once its window has
	// passed; the test calls it, as time.AfterFunc would.
	now = now.Add(time.Minute)
	for range 3 {
		timers.fire()
	}
	lines, suppressed, summaries := accounted(t, lb, "")
	if lines+suppressed != total {
		t.Errorf("%d lines + %d suppressed = %d, want %d", lines, suppressed, lines+suppressed, total)
	}
	found := false
	for _, s := range summaries {
		if s["remote_ip"] == "198.51.100.7" && s["suppressed"] == float64(48) {
			found = true
		}
	}
	if !found {
		t.Error("the first client's 48 suppressed rejections have no summary line")
	}
}

// TestLogSamplingRealTimer: with time.AfterFunc (no test hook) the
// summary line arrives by itself.
func TestLogSamplingRealTimer(t *testing.T) {
	t.Parallel()
	lb := &logBuf{}
	g := middleware.New(middleware.WithLogger(zerologTo(lb)), middleware.WithLogSampling(1, 20*time.Millisecond))
	h := g.Require(bearerV(nil))(okHandler)
	for range 5 {
		serve(h, get("/"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines, suppressed, _ := accounted(t, lb, "")
		if lines+suppressed == 5 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %d lines + %d suppressed, want 5:\n%s", lines, suppressed, lb)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
