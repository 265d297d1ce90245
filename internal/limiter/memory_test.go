package limiter_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/limiter"
)

// TestMemoryWindow: counts start at the first failure, end with the
// window, and a Forget drops them.
func TestMemoryWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	m := limiter.NewMemory(100, time.Minute, func() time.Time { return now })
	ctx := context.Background()
	k := limiter.Key{Client: [16]byte{15: 1}}
	p := limiter.Key{Client: k.Client, Scheme: "Basic", Principal: "alice"}
	if c, _ := m.Failures(ctx, k); c != (limiter.Count{}) {
		t.Fatalf("fresh key: %+v", c)
	}
	m.Fail(ctx, k, time.Minute)
	now = now.Add(20 * time.Second)
	if c, _ := m.Fail(ctx, k, time.Minute); c.N != 2 || c.Left != 40*time.Second {
		t.Fatalf("second failure: %+v", c)
	}
	if c, _ := m.Failures(ctx, p); c.N != 0 {
		t.Fatalf("the pair shares the address's count: %+v", c)
	}
	now = now.Add(40 * time.Second)
	if c, _ := m.Failures(ctx, k); c.N != 0 {
		t.Fatalf("after the window: %+v", c)
	}
	if c, _ := m.Fail(ctx, k, time.Minute); c.N != 1 || c.Left != time.Minute {
		t.Fatalf("a new window: %+v", c)
	}
	_ = m.Forget(ctx, k)
	if c, _ := m.Failures(ctx, k); c.N != 0 || m.Len() != 0 {
		t.Fatalf("after Forget: %+v, %d keys", c, m.Len())
	}
}

// TestKeyString: distinct keys never share a string.
func TestKeyString(t *testing.T) {
	t.Parallel()
	keys := []limiter.Key{
		{},
		{Scheme: "Basic", Principal: "a:b"},
		{Scheme: "Basic:a", Principal: "b"},
		{Scheme: "Basic", Principal: "a"},
		{Client: [16]byte{1}, Scheme: "Basic", Principal: "a"},
	}
	seen := map[string]limiter.Key{}
	for _, k := range keys {
		if o, dup := seen[k.String()]; dup {
			t.Errorf("%+v and %+v share %q", k, o, k.String())
		}
		seen[k.String()] = k
	}
}
