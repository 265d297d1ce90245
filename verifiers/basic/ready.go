package basic

import (
	"context"

	"github.com/authgate/authgate/verifiers"
)

// Ready reports whether the verifier can check passwords: it asks the
// store when the store is a verifiers.Readier, and is nil for stores
// loaded before New (MemoryStore, an htpasswd file). It implements
// verifiers.Readier.
func (v *Verifier) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return verifiers.ReadyOf(ctx, v.store)
}
