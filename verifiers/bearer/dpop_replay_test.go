package bearer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for the replay store and nonce tests.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestMemoryReplayStore_fresh_then_replay(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(t0)
	s := NewMemoryReplayStore(10, ReplayStoreClock(clk.now))
	ctx := context.Background()
	until := t0.Add(time.Minute)
	if fresh, err := s.Use(ctx, "a", until); !fresh || err != nil {
		t.Fatalf("first use = %v, %v; want fresh", fresh, err)
	}
	if fresh, err := s.Use(ctx, "a", until); fresh || err != nil {
		t.Fatalf("second use = %v, %v; want replay", fresh, err)
	}
	if fresh, err := s.Use(ctx, "b", until); !fresh || err != nil {
		t.Fatalf("other key = %v, %v; want fresh", fresh, err)
	}
	clk.advance(time.Minute - time.Nanosecond)
	if fresh, _ := s.Use(ctx, "a", until); fresh {
		t.Fatal("a key was forgotten before its until")
	}
	clk.advance(time.Nanosecond)
	if fresh, err := s.Use(ctx, "a", until.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("use after until = %v, %v; want fresh", fresh, err)
	}
	if fresh, _ := s.Use(ctx, "a", until.Add(time.Minute)); fresh {
		t.Fatal("a key recorded again after expiry is not remembered")
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1 (b expired and dropped)", n)
	}
}

func TestMemoryReplayStore_full_fails_closed(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(t0)
	s := NewMemoryReplayStore(3, ReplayStoreClock(clk.now))
	ctx := context.Background()
	for i := range 3 {
		if fresh, err := s.Use(ctx, fmt.Sprint(i), t0.Add(time.Duration(i+1)*time.Second)); !fresh || err != nil {
			t.Fatalf("key %d: %v, %v", i, fresh, err)
		}
	}
	fresh, err := s.Use(ctx, "x", t0.Add(time.Minute))
	if fresh || !errors.Is(err, ErrReplayStoreFull) {
		t.Fatalf("full store: %v, %v; want ErrReplayStoreFull", fresh, err)
	}
	// A replay is still told apart when full.
	if fresh, err := s.Use(ctx, "0", t0.Add(time.Minute)); fresh || err != nil {
		t.Fatalf("replay in a full store: %v, %v; want replay", fresh, err)
	}
	// Once the earliest key expires there is room again, and only it went.
	clk.advance(time.Second)
	if fresh, err := s.Use(ctx, "x", t0.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("after expiry: %v, %v; want fresh", fresh, err)
	}
	if fresh, _ := s.Use(ctx, "1", t0.Add(time.Minute)); fresh {
		t.Fatal("an unexpired key was evicted to make room")
	}
}

func TestMemoryReplayStore_past_until_and_context(t *testing.T) {
	t.Parallel()
	clk := newFakeClock(t0)
	s := NewMemoryReplayStore(1, ReplayStoreClock(clk.now))
	if fresh, err := s.Use(context.Background(), "old", t0); !fresh || err != nil {
		t.Fatalf("past until: %v, %v", fresh, err)
	}
	if s.Len() != 0 {
		t.Fatal("a key with a past until was recorded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if fresh, err := s.Use(ctx, "k", t0.Add(time.Minute)); fresh || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v, %v; want context.Canceled", fresh, err)
	}
}

func TestMemoryReplayStore_default_bound(t *testing.T) {
	t.Parallel()
	if s := NewMemoryReplayStore(0); s.max != DefaultReplayStoreEntries {
		t.Fatalf("max = %d", s.max)
	}
}

// Many goroutines using one key: exactly one sees it fresh.
func TestMemoryReplayStore_concurrent_exactly_one_fresh(t *testing.T) {
	t.Parallel()
	s := NewMemoryReplayStore(1000)
	var fresh atomic.Int32
	var wg sync.WaitGroup
	until := time.Now().Add(time.Minute)
	for range 64 {
		wg.Go(func() {
			for i := range 50 {
				ok, err := s.Use(context.Background(), fmt.Sprint(i), until)
				if err != nil {
					t.Error(err)
				}
				if ok {
					fresh.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := fresh.Load(); n != 50 {
		t.Fatalf("%d fresh answers for 50 keys", n)
	}
}
