package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/redisstore"
)

// TestReplayStore: a key is fresh once, a replay on any instance after
// that, fresh again once its until has passed; an until already passed is
// fresh without a write.
func TestReplayStore(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	a := d.replayStore(t, newClient(t, testAddr()))
	b := d.replayStore(t, newClient(t, testAddr()))
	ctx := context.Background()
	until := time.Now().Add(300 * time.Millisecond)
	steps := []struct {
		name  string
		s     *redisstore.ReplayStore
		key   string
		fresh bool
	}{
		{"first use", a, "thumb.jti-1", true},
		{"replay, same instance", a, "thumb.jti-1", false},
		{"replay, other instance", b, "thumb.jti-1", false},
		{"another jti", b, "thumb.jti-2", true},
	}
	for _, s := range steps {
		fresh, err := s.s.Use(ctx, s.key, until)
		if err != nil || fresh != s.fresh {
			t.Fatalf("%s: fresh %v, %v; want %v", s.name, fresh, err, s.fresh)
		}
	}
	keys := d.keys(t)
	if len(keys) != 2 {
		t.Fatalf("%d keys, want 2", len(keys))
	}
	if at := d.direct.PExpireTime(ctx, keys[0]).Val(); (at - time.Duration(until.UnixMilli())*time.Millisecond).Abs() > time.Millisecond {
		t.Errorf("the key expires at %v, want until (%v)", at, until.UnixMilli())
	}
	time.Sleep(time.Until(until) + 50*time.Millisecond)
	if fresh, err := a.Use(ctx, "thumb.jti-1", time.Now().Add(time.Minute)); err != nil || !fresh {
		t.Errorf("after until: fresh %v, %v; want a new key", fresh, err)
	}
	if fresh, err := b.Use(ctx, "thumb.jti-3", time.Now().Add(-time.Second)); err != nil || !fresh {
		t.Errorf("an until already passed: fresh %v, %v; want fresh", fresh, err)
	}
	if n := len(d.keys(t)); n != 1 {
		t.Errorf("%d keys, want 1 (the past until writes nothing)", n)
	}
}

// TestReplayStoreConcurrent: of many instances receiving one proof at
// once, exactly one is told it is fresh.
func TestReplayStoreConcurrent(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	const instances, each = 4, 8
	var fresh, replays atomic.Int64
	var wg sync.WaitGroup
	until := time.Now().Add(time.Minute)
	for range instances {
		s := d.replayStore(t, newClient(t, testAddr()))
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.Use(context.Background(), "thumb.same-jti", until)
				switch {
				case err != nil:
					t.Error(err)
				case ok:
					fresh.Add(1)
				default:
					replays.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	if fresh.Load() != 1 || replays.Load() != instances*each-1 {
		t.Errorf("%d fresh and %d replays, want 1 and %d", fresh.Load(), replays.Load(), instances*each-1)
	}
}

// TestReplayStoreFailsClosed: cut or silent, Redis's absence is an error
// wrapping ErrReplayStoreUnavailable, never fresh, within about the
// timeout; a request already ended is an error too; once restored, the
// store decides again.
func TestReplayStoreFailsClosed(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	p := newProxy(t)
	s := d.replayStore(t, newClient(t, p.Addr()), redisstore.WithTimeout(200*time.Millisecond))
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if fresh, err := s.Use(ctx, "k0", until); err != nil || !fresh {
		t.Fatalf("warm-up: %v, %v", fresh, err)
	}
	check := func(name, key string) {
		t.Helper()
		start := time.Now()
		fresh, err := s.Use(ctx, key, until)
		if fresh || !errors.Is(err, redisstore.ErrReplayStoreUnavailable) {
			t.Errorf("%s: fresh %v, %v; want an ErrReplayStoreUnavailable error", name, fresh, err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: took %v, the timeout is 200ms", name, el)
		}
	}
	p.Cut()
	check("cut", "k1")
	check("cut, a replay", "k0")
	p.Restore()
	p.Freeze(true)
	check("silent", "k2")
	p.Freeze(false)
	if !eventually(5*time.Second, func() bool { fresh, err := s.Use(ctx, "k3", until); return err == nil && fresh }) {
		t.Fatal("the store does not decide again after the restore")
	}
	if fresh, err := s.Use(ctx, "k0", until); err != nil || fresh {
		t.Errorf("k0 after the restore: fresh %v, %v; want a replay", fresh, err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if fresh, err := s.Use(ended, "k4", until); fresh || !errors.Is(err, context.Canceled) {
		t.Errorf("an ended request: fresh %v, %v", fresh, err)
	}
}

// replayStore is the bearer verifier's ReplayStore interface, restated so
// that this module need not import the verifier: ReplayStore satisfies it.
type replayStore interface {
	Use(ctx context.Context, key string, until time.Time) (fresh bool, err error)
}

var _ replayStore = (*redisstore.ReplayStore)(nil)
