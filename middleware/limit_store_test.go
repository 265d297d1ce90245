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
