package basic_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/basic"
)

// readyStore is a MemoryStore that says whether it is loaded.
type readyStore struct {
	*basic.MemoryStore
	err error
}

func (s *readyStore) Ready(context.Context) error { return s.err }

// TestReady: a store loaded before New is ready; a store that is a
// verifiers.Readier is asked, and its error returned as is.
func TestReady(t *testing.T) {
	t.Parallel()
	mem, err := basic.NewMemoryStore(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := basic.New(mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(context.Background()); err != nil {
		t.Errorf("MemoryStore: Ready = %v", err)
	}
	down := errors.New("users not loaded")
	rs := &readyStore{MemoryStore: mem, err: down}
	v, err = basic.New(rs)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(context.Background()); !errors.Is(err, down) {
		t.Errorf("Ready = %v, want the store's error", err)
	}
	rs.err = nil
	if err := v.Ready(context.Background()); err != nil {
		t.Errorf("Ready once loaded = %v", err)
	}
	var _ verifiers.Readier = v
}
