package middleware_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/middleware"
)

// mapStore is the simplest FailureStore: a map of string keys, as a
// network store keys its entries, with windows read from a clock. It
// stands for the Redis-backed store of a fleet.
type mapStore struct {
	mu    sync.Mutex
	now   func() time.Time
	m     map[string]mapEntry
	calls int
}

type mapEntry struct {
	n     int
	until time.Time
}

func (s *mapStore) Failures(_ context.Context, k middleware.FailureKey) (middleware.FailureCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	e := s.m[k.String()]
	if left := e.until.Sub(s.now()); e.n > 0 && left > 0 {
		return middleware.FailureCount{N: e.n, Left: left}, nil
	}
	return middleware.FailureCount{}, nil
}

func (s *mapStore) Fail(_ context.Context, k middleware.FailureKey, window time.Duration) (middleware.FailureCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	e := s.m[k.String()]
	if !e.until.After(s.now()) {
		e = mapEntry{until: s.now().Add(window)}
	}
	e.n++
	s.m[k.String()] = e
	return middleware.FailureCount{N: e.n, Left: e.until.Sub(s.now())}, nil
}

func (s *mapStore) Forget(_ context.Context, k middleware.FailureKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	delete(s.m, k.String())
	return nil
}

// TestFailureStoreSeam: the gate's failure limit counts through a store
// of another implementation exactly as through its own: per pair, per
// address, a success resetting its pair, windows ending; and the store's
// keys name what they count.
func TestFailureStoreSeam(t *testing.T) {
	t.Parallel()
	const a1, a2 = "192.0.2.1:1000", "198.51.100.2:1000"
	clock := newTestClock()
	store := &mapStore{now: clock.now, m: map[string]mapEntry{}}
	f := newLimitFixture(t, middleware.FailureLimit{PerIP: 4, PerPrincipal: 2, Window: time.Minute},
		middleware.WithFailureStore(store), middleware.WithClock(clock.now))
	steps := []struct {
		addr, user, pw string
		status         int
	}{
		{a1, "alice", "wrong", 401},
		{a1, "alice", "alice-password", 200}, // resets the pair, not the address
		{a1, "alice", "wrong", 401},
		{a1, "alice", "wrong", 401},
		{a1, "alice", "alice-password", 429}, // the pair is full
		{a2, "alice", "alice-password", 200}, // same user elsewhere
		{a1, "bob", "wrong", 401},            // the address's 4th failure
		{a1, "bob", "bob-password", 429},     // the address is full
	}
	for i, s := range steps {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, from(s.addr, s.user, s.pw))
		if w.Code != s.status {
			t.Fatalf("step %d (%s from %s): status %d, want %d; log %s", i, s.user, s.addr, w.Code, s.status, f.log)
		}
	}
	var keys []string
	store.mu.Lock()
	for k := range store.m {
		keys = append(keys, k)
	}
	store.mu.Unlock()
	got := strings.Join(keys, " ")
	if !strings.Contains(got, "pair:Basic:5:alice:") || !strings.Contains(got, "ip:") {
		t.Errorf("store keys %q", got)
	}
	clock.advance(time.Minute)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, from(a1, "bob", "bob-password"))
	if w.Code != 200 {
		t.Errorf("after the window: %d, want 200", w.Code)
	}
}

// brokenStore fails every call, as a store whose backend is down.
type brokenStore struct{}

var errStoreDown = errors.New("store down")

func (brokenStore) Failures(context.Context, middleware.FailureKey) (middleware.FailureCount, error) {
	return middleware.FailureCount{N: 99}, errStoreDown
}
func (brokenStore) Fail(context.Context, middleware.FailureKey, time.Duration) (middleware.FailureCount, error) {
	return middleware.FailureCount{N: 99}, errStoreDown
}
func (brokenStore) Forget(context.Context, middleware.FailureKey) error { return errStoreDown }

// TestFailureStoreDown: a store that fails never turns into a 5xx or a
// 429 (its counts, even returned beside the error, are not believed): the
// verifier decides.
func TestFailureStoreDown(t *testing.T) {
	t.Parallel()
	f := newLimitFixture(t, middleware.FailureLimit{PerIP: 1, PerPrincipal: 1, Window: time.Minute}, middleware.WithFailureStore(brokenStore{}))
	for i, s := range []struct {
		pw     string
		status int
	}{{"wrong", 401}, {"wrong", 401}, {"alice-password", 200}, {"wrong", 401}} {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, from("192.0.2.1:1000", "alice", s.pw))
		if w.Code != s.status {
			t.Fatalf("request %d: %d, want %d; log %s", i, w.Code, s.status, f.log)
		}
	}
}

// pairMapStore is mapStore answering a pair's and its address's counts
// in one call, as a network store does in one round trip; it counts the
// calls of each kind.
type pairMapStore struct {
	*mapStore
	failures, pairs int
}

func (s *pairMapStore) Failures(ctx context.Context, k middleware.FailureKey) (middleware.FailureCount, error) {
	s.mu.Lock()
	s.failures++
	s.mu.Unlock()
	return s.mapStore.Failures(ctx, k)
}

func (s *pairMapStore) PairFailures(ctx context.Context, pair middleware.FailureKey) (client, paired middleware.FailureCount, err error) {
	s.mu.Lock()
	s.pairs++
	s.mu.Unlock()
	if client, err = s.mapStore.Failures(ctx, middleware.FailureKey{Client: pair.Client}); err != nil {
		return client, paired, err
	}
	paired, err = s.mapStore.Failures(ctx, pair)
	return client, paired, err
}

var _ middleware.FailurePairStore = (*pairMapStore)(nil)

// TestFailurePairStoreOneRead: with a FailurePairStore, a request that
// claims a principal reads both of its counts in one PairFailures call
// (a network store's one round trip), and the limits hold exactly as
// with two reads.
func TestFailurePairStoreOneRead(t *testing.T) {
	t.Parallel()
	const a1 = "192.0.2.1:1000"
	clock := newTestClock()
	store := &pairMapStore{mapStore: &mapStore{now: clock.now, m: map[string]mapEntry{}}}
	f := newLimitFixture(t, middleware.FailureLimit{PerIP: 3, PerPrincipal: 2, Window: time.Minute},
		middleware.WithFailureStore(store), middleware.WithClock(clock.now))
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, from(a1, "alice", "alice-password"))
	if w.Code != 200 || store.pairs != 1 || store.failures != 0 || store.calls != 2 {
		t.Fatalf("a success without failures: status %d, %d PairFailures and %d Failures calls, %d reads in all; want 200, 1, 0, 2",
			w.Code, store.pairs, store.failures, store.calls)
	}
	for i, s := range []struct {
		user, pw string
		status   int
	}{
		{"alice", "wrong", 401},
		{"alice", "wrong", 401},
		{"alice", "alice-password", 429}, // the pair's limit, read through PairFailures
		{"bob", "wrong", 401},            // the address's 3rd failure
		{"bob", "bob-password", 429},     // the address's limit
	} {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, from(a1, s.user, s.pw))
		if w.Code != s.status {
			t.Fatalf("step %d (%s): status %d, want %d; log %s", i, s.user, w.Code, s.status, f.log)
		}
	}
	if store.failures != 0 {
		t.Errorf("%d Failures calls: every request claimed a principal, so PairFailures should have read both", store.failures)
	}
}

// TestFailureStoreUnusedWithoutLimit: a gate given a store but no
// failure limit never calls it.
func TestFailureStoreUnusedWithoutLimit(t *testing.T) {
	t.Parallel()
	store := &pairMapStore{mapStore: &mapStore{now: time.Now, m: map[string]mapEntry{}}}
	g, _ := testGate(middleware.WithFailureStore(store))
	h := g.Require(claiming{&counting{Verifier: basicUsers(t)}})(okHandler)
	for _, pw := range []string{"alice-password", "wrong"} {
		h.ServeHTTP(httptest.NewRecorder(), from("192.0.2.1:1000", "alice", pw))
	}
	if store.calls != 0 || store.pairs != 0 || store.failures != 0 {
		t.Errorf("store called %d times without WithFailureLimit", store.calls+store.pairs+store.failures)
	}
}

// TestNewMemoryFailureStore: the exported memory store counts within the
// window and forgets a pair, and its constructor refuses nonsense.
func TestNewMemoryFailureStore(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	s := middleware.NewMemoryFailureStore(10, time.Minute, clock.now)
	ctx := context.Background()
	k := middleware.FailureKey{Scheme: "Basic", Principal: "alice"}
	for want := 1; want <= 3; want++ {
		c, err := s.Fail(ctx, k, time.Minute)
		if err != nil || c.N != want || c.Left != time.Minute {
			t.Fatalf("Fail %d: %+v, %v", want, c, err)
		}
	}
	clock.advance(59 * time.Second)
	if c, _ := s.Failures(ctx, k); c.N != 3 || c.Left != time.Second {
		t.Errorf("before the window ends: %+v, want 3 failures, 1s left", c)
	}
	if err := s.Forget(ctx, k); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Failures(ctx, k); c.N != 0 {
		t.Errorf("after Forget: %+v", c)
	}
	_, _ = s.Fail(ctx, k, time.Minute)
	clock.advance(time.Minute)
	if c, _ := s.Failures(ctx, k); c.N != 0 {
		t.Errorf("after the window: %+v", c)
	}
	for _, bad := range []struct {
		n int
		w time.Duration
	}{{0, time.Minute}, {10, 0}, {-1, time.Minute}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewMemoryFailureStore(%d, %v) did not panic", bad.n, bad.w)
				}
			}()
			middleware.NewMemoryFailureStore(bad.n, bad.w, nil)
		}()
	}
}
