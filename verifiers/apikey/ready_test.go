package apikey_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// readyStore is a MemoryStore that says whether it is loaded, as
// pgstore's Store does.
type readyStore struct {
	*apikey.MemoryStore
	err error
}

func (s *readyStore) Ready(context.Context) error { return s.err }

// TestReady: a store loaded before New is ready; a store that is a
// verifiers.Readier is asked, and its error returned as is.
func TestReady(t *testing.T) {
	t.Parallel()
	mem, err := apikey.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	v, err := apikey.New(mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Ready(context.Background()); err != nil {
		t.Errorf("MemoryStore: Ready = %v", err)
	}
	down := errors.New("replica not loaded")
	rs := &readyStore{MemoryStore: mem, err: down}
	v, err = apikey.New(rs)
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
