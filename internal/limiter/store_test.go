package limiter

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowStore is Memory behind a delay, as a network store; block, when
// set, holds every Failures call for that client until it is closed.
type slowStore struct {
	*Memory
	delay time.Duration
	block map[[16]byte]chan struct{}
}

func (s *slowStore) Failures(ctx context.Context, k Key) (Count, error) {
	if ch := s.block[k.Client]; ch != nil {
		<-ch
	}
	time.Sleep(s.delay)
	return s.Memory.Failures(ctx, k)
}

func (s *slowStore) Fail(ctx context.Context, k Key, w time.Duration) (Count, error) {
	time.Sleep(s.delay)
	return s.Memory.Fail(ctx, k, w)
}

// TestStoreNotCalledUnderTheLock: a store that hangs for one client
// delays that client only; another's check goes through meanwhile.
func TestStoreNotCalledUnderTheLock(t *testing.T) {
	t.Parallel()
	a, b := ipKey("192.0.2.1"), ipKey("192.0.2.2")
	hold := make(chan struct{})
	st := &slowStore{Memory: NewMemory(100, time.Minute, time.Now), block: map[[16]byte]chan struct{}{a: hold}}
	l := New(Config{PerIP: 3, Window: time.Minute}, st, st)
	go func() {
		at := &Attempt{Client: a}
		l.Check(context.Background(), at)
		l.End(at, Other)
	}()
	done := make(chan struct{})
	go func() {
		at := &Attempt{Client: b}
		if _, hit := l.Check(context.Background(), at); hit {
			t.Error("b refused")
		}
		l.End(at, Other)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a store call for 192.0.2.1 blocked the check of 192.0.2.2")
	}
	close(hold)
}

// TestParallelGuessesSlowStore: with a store that takes a millisecond a
// call, 40 guesses sent within 10 ms from one address still reach the
// verifier at most PerIP times: a check that read while a failure was
// being stored reads again.
func TestParallelGuessesSlowStore(t *testing.T) {
	t.Parallel()
	const limit = 3
	st := &slowStore{Memory: NewMemory(100, time.Minute, time.Now), delay: time.Millisecond}
	l := New(Config{PerIP: limit, Window: time.Minute, MaxWait: 10 * time.Second}, st, st)
	k := ipKey("192.0.2.1")
	var verified atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread over the run, so that guesses arrive while others
			// end and their failures are being stored.
			time.Sleep(time.Duration(i) * 250 * time.Microsecond)
			at := &Attempt{Client: k}
			if _, hit := l.Check(context.Background(), at); hit {
				return
			}
			verified.Add(1)
			time.Sleep(time.Millisecond) // the verifier
			l.End(at, Failure)
		}()
	}
	wg.Wait()
	if n := verified.Load(); n > limit {
		t.Errorf("%d guesses verified, limit %d", n, limit)
	}
	if c, _ := st.Memory.Failures(context.Background(), Key{Client: k}); c.N != int(verified.Load()) {
		t.Errorf("store counts %d failures, %d verified", c.N, verified.Load())
	}
}
