package verifiers

import (
	"context"
	"errors"
)

// Readier is implemented by verifiers (and stores) that can say whether
// they are ready to decide: a Bearer verifier whose remote key sets are
// loaded, an API key or Basic verifier whose store is loaded. A service
// fails its readiness probe while one is not ready (see middleware.Ready),
// instead of answering real traffic with 503.
type Readier interface {
	// Ready returns nil when the verifier can decide now, and an error
	// saying what it lacks otherwise. It must be fast and must not block
	// past ctx.
	Ready(ctx context.Context) error
}

// ErrNotReady matches, with errors.Is, the errors of the ready-made
// verifiers' Ready methods that say they lack something (a key set not
// fetched yet).
var ErrNotReady = errors.New("authgate: verifier not ready")

// ReadyOf asks v whether it is ready: v.Ready(ctx) when v is a Readier,
// nil (ready) otherwise, since a verifier that cannot tell has nothing
// to wait for.
func ReadyOf(ctx context.Context, v any) error {
	if rd, ok := v.(Readier); ok {
		return rd.Ready(ctx)
	}
	return nil
}
