package apikey

import (
	"context"

	"github.com/authgate/authgate/verifiers"
)

// Ready reports whether the verifier can look keys up: it asks the store
// when the store is a verifiers.Readier (pgstore's Store is, until its
// replica is loaded and while it is within its staleness limit), and is
// nil for stores loaded before New (MemoryStore, FileStore). It
// implements verifiers.Readier.
func (v *Verifier) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return verifiers.ReadyOf(ctx, v.store)
}
