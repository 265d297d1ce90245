package middleware

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestSamplerWindowAndSuppressedCount(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSampler(2, time.Minute, func() time.Time { return now })
	k := sampleKey{"192.0.2.1", "token_expired"}
	for i, want := range []bool{true, true, false, false, false} {
		if ok, _ := s.allow(k); ok != want {
			t.Fatalf("event %d: allow %v, want %v", i, ok, want)
		}
	}
	now = now.Add(time.Minute)
	ok, suppressed := s.allow(k)
	if !ok || suppressed != 3 {
		t.Errorf("after the window: allow %v suppressed %d, want true 3", ok, suppressed)
	}
}

func TestSamplerMemoryBound(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newSampler(1, time.Minute, func() time.Time { return now })
	for i := 0; i < 3*maxSampleKeys; i++ {
		if ok, _ := s.allow(sampleKey{fmt.Sprintf("198.51.%d.%d", i/256, i%256), "x"}); !ok {
			t.Fatalf("first event of a new client %d suppressed", i)
		}
		if len(s.keys) > maxSampleKeys {
			t.Fatalf("%d keys, bound %d", len(s.keys), maxSampleKeys)
		}
		if i == maxSampleKeys {
			now = now.Add(2 * time.Minute) // let the first ones expire
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uo\te`, "ctl\x00\x1f\x7f", "<&>", "é✓", "bad\xffutf8"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, b, err)
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if got != want {
			t.Errorf("%q round-trips as %q", s, got)
		}
	}
}
