package cache

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
)

func newClock() *authgatetest.Clock {
	return authgatetest.NewClock(time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC))
}

// order lists the keys from most to least recently used, checking that
// the list and the map agree.
func order[K comparable, V any](t *testing.T, c *Cache[K, V]) []K {
	t.Helper()
	var ks []K
	for e := c.root.next; e != &c.root; e = e.next {
		if e.next.prev != e {
			t.Fatal("list links broken")
		}
		if c.m[e.key] != e {
			t.Fatalf("key %v in the list but not the map", e.key)
		}
		ks = append(ks, e.key)
	}
	if len(ks) != len(c.m) {
		t.Fatalf("list has %d entries, map %d", len(ks), len(c.m))
	}
	return ks
}

func wantGet(t *testing.T, c *Cache[string, int], k string, want int, wantOK bool) {
	t.Helper()
	got, ok := c.Get(k)
	if ok != wantOK || got != want {
		t.Errorf("Get(%q) = %d, %v; want %d, %v", k, got, ok, want, wantOK)
	}
}

func TestCache_get_put(t *testing.T) {
	t.Parallel()
	c := New[string, int](3, time.Minute, newClock().Now)
	wantGet(t, c, "a", 0, false)
	c.Put("a", 1)
	c.Put("b", 2)
	wantGet(t, c, "a", 1, true)
	wantGet(t, c, "b", 2, true)
	c.Put("a", 10) // replaces
	wantGet(t, c, "a", 10, true)
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}

func TestCache_LRU_eviction(t *testing.T) {
	t.Parallel()
	c := New[string, int](3, time.Minute, newClock().Now)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Put("c", 3)
	if got := order(t, c); !slices.Equal(got, []string{"c", "b", "a"}) {
		t.Fatalf("order %v", got)
	}
	wantGet(t, c, "a", 1, true) // a is now the most recent; b the least
	c.Put("d", 4)
	wantGet(t, c, "b", 0, false)
	if got := order(t, c); !slices.Equal(got, []string{"d", "a", "c"}) {
		t.Fatalf("order %v", got)
	}
	c.Put("c", 30) // a replacement refreshes too
	c.Put("e", 5)
	if got := order(t, c); !slices.Equal(got, []string{"e", "c", "d"}) {
		t.Fatalf("order %v", got)
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want the bound 3", c.Len())
	}
}

func TestCache_size_one(t *testing.T) {
	t.Parallel()
	c := New[string, int](1, time.Minute, newClock().Now)
	c.Put("a", 1)
	c.Put("b", 2)
	wantGet(t, c, "a", 0, false)
	wantGet(t, c, "b", 2, true)
	if got := order(t, c); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("order %v", got)
	}
}

func TestCache_TTL(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c := New[string, int](3, time.Minute, clk.Now)
	c.Put("a", 1)
	clk.Advance(time.Minute - time.Nanosecond)
	wantGet(t, c, "a", 1, true) // a hit does not extend the TTL
	c.Put("b", 2)
	clk.Advance(time.Nanosecond)
	wantGet(t, c, "a", 0, false) // expiry is exclusive: at now+ttl it is gone
	if c.Len() != 1 {
		t.Errorf("expired entry not removed on Get: Len = %d", c.Len())
	}
	wantGet(t, c, "b", 2, true)
	order(t, c)
}

func TestCache_PutUntil(t *testing.T) {
	t.Parallel()
	clk := newClock()
	c := New[string, int](3, time.Minute, clk.Now)
	c.PutUntil("short", 1, clk.Now().Add(10*time.Second))
	c.PutUntil("long", 2, clk.Now().Add(time.Hour)) // capped at the TTL
	c.PutUntil("past", 3, clk.Now())                // already expired: not stored
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2 (an expired value is not stored)", c.Len())
	}
	clk.Advance(10 * time.Second)
	wantGet(t, c, "short", 0, false)
	wantGet(t, c, "long", 2, true)
	clk.Advance(50 * time.Second)
	wantGet(t, c, "long", 0, false)
}

func TestCache_Remove(t *testing.T) {
	t.Parallel()
	c := New[string, *int](2, time.Minute, newClock().Now)
	v := new(int)
	c.Put("a", v)
	c.Put("b", v)
	e := c.m["a"]
	c.Remove("a")
	c.Remove("nothing")
	if _, ok := c.Get("a"); ok {
		t.Error("removed entry still found")
	}
	if e.val != nil {
		t.Error("removed node still holds its value")
	}
	if got := order(t, c); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("order %v", got)
	}
}

func TestNew_refuses_bad_settings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		max  int
		ttl  time.Duration
		now  func() time.Time
	}{
		{"zero_size", 0, time.Minute, time.Now},
		{"zero_ttl", 1, 0, time.Now},
		{"no_clock", 1, time.Minute, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			New[string, int](tc.max, tc.ttl, tc.now)
		})
	}
}

func TestCache_hit_allocates_nothing(t *testing.T) {
	c := New[[32]byte, *int](8, time.Minute, time.Now)
	var k [32]byte
	c.Put(k, new(int))
	if n := testing.AllocsPerRun(100, func() { _, _ = c.Get(k) }); n != 0 {
		t.Errorf("Get hit: %v allocations, want 0", n)
	}
	// Full: a new entry reuses the evicted node.
	for i := range 8 {
		k[0] = byte(i)
		c.Put(k, nil)
	}
	i := 0
	if n := testing.AllocsPerRun(100, func() { i++; k[0], k[1] = byte(i), byte(i>>8); c.Put(k, nil) }); n != 0 {
		t.Errorf("Put into a full cache: %v allocations, want 0", n)
	}
}

func TestCache_concurrent(t *testing.T) {
	t.Parallel()
	c := New[int, int](16, time.Minute, time.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := (g*31 + i) % 40
				switch i % 4 {
				case 0:
					c.Put(k, i)
				case 1:
					c.PutUntil(k, i, time.Now().Add(time.Second))
				case 2:
					c.Remove(k)
				default:
					c.Get(k)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Errorf("Len %d over the bound", c.Len())
	}
	order(t, c)
}

func BenchmarkCache(b *testing.B) {
	b.Run("hit", func(b *testing.B) {
		c := New[[32]byte, *int](1024, time.Minute, time.Now)
		var k [32]byte
		c.Put(k, new(int))
		b.ReportAllocs()
		for b.Loop() {
			c.Get(k)
		}
	})
	b.Run("miss", func(b *testing.B) {
		c := New[[32]byte, *int](1024, time.Minute, time.Now)
		var k [32]byte
		b.ReportAllocs()
		for b.Loop() {
			c.Get(k)
		}
	})
	b.Run("put_full", func(b *testing.B) {
		c := New[[32]byte, *int](1024, time.Minute, time.Now)
		var k [32]byte
		for i := range 1024 {
			k[0], k[1] = byte(i), byte(i>>8)
			c.Put(k, nil)
		}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i++
			k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
			c.Put(k, nil)
		}
	})
	b.Run("parallel_hit", func(b *testing.B) {
		c := New[[32]byte, *int](1024, time.Minute, time.Now)
		var k [32]byte
		c.Put(k, new(int))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Get(k)
			}
		})
	})
}
