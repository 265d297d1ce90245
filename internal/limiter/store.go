// Package limiter holds the counting core of the gate's failure limit,
// without HTTP: the Store interface that failure counts live behind, and
// Memory, the gate's default Store. A network store (a Redis-backed one
// shared by a fleet of gates) implements Store; the gate takes it through
// middleware.WithFailureStore, whose types alias these.
package limiter

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"
)

// Key names what failures are counted against: a client (Principal and
// Scheme empty), or a principal claimed from a client (a Basic user name
// or an API key id, with the scheme that carried it). Client is the
// client's address as 16 bytes: an IPv4 address in its IPv4-mapped form,
// an IPv6 client by its /64.
type Key struct {
	Client    [16]byte
	Scheme    string
	Principal string
}

// String is k as one string, for a store whose keys are strings: "ip:"
// and the client in hex, or "pair:" with the scheme, the principal's
// length and the principal, and the client, so that no two keys share a
// string whatever bytes the principal holds.
func (k Key) String() string {
	if k.isAddress() {
		return "ip:" + hex.EncodeToString(k.Client[:])
	}
	return "pair:" + k.Scheme + ":" + strconv.Itoa(len(k.Principal)) + ":" + k.Principal + ":" + hex.EncodeToString(k.Client[:])
}

// isAddress reports whether k is a client address's own key.
func (k Key) isAddress() bool { return k.Scheme == "" && k.Principal == "" }

// Count is the failures of a key in its current window.
type Count struct {
	// N is how many failures the window holds; 0 when none is running.
	N int
	// Left is how long until the window ends (and N falls to 0); 0 when
	// N is 0.
	Left time.Duration
}

// Store keeps failure counts per key, each within a fixed window that
// starts at the key's first failure. It is the seam of the gate's failure
// limit: Memory keeps the counts of one process; a network store shares
// them across a fleet (with Redis: one atomic script per call, keys that
// expire with their window).
//
// A Store may fail (a network store that cannot be reached). The gate
// then never answers 5xx and never refuses on a count it could not read:
// a Failures error counts as no failures (the request goes on to its
// verifier, and the gate's own bound on attempts in flight still holds),
// a Fail error loses that failure, a Forget error keeps the count until
// its window ends. A store that wants to keep limiting while its backend
// is down falls back to counting locally itself (a Memory of its own).
//
// Methods are called concurrently and never under the Limiter's lock;
// they should return promptly all the same, since requests of the same
// client wait for them. Failures gets the request's context; Fail and
// Forget a context no request cancels.
type Store interface {
	// Failures returns the live count of k.
	Failures(ctx context.Context, k Key) (Count, error)
	// Fail counts one failure of k and returns the new count. A first
	// failure, or one after the window has ended, starts a window of
	// length window.
	Fail(ctx context.Context, k Key, window time.Duration) (Count, error)
	// Forget drops k's count: a success of a (principal, client) pair.
	Forget(ctx context.Context, k Key) error
}

// PairStore is a Store that can read a pair's count and its client
// address's count in one call: a network store answers both in one round
// trip instead of two. When one Store counts both addresses and pairs
// (NewShared) and implements PairStore, a Limiter checking an attempt
// that claims a principal calls PairFailures once instead of Failures
// twice.
type PairStore interface {
	Store
	// PairFailures returns the live counts of Key{Client: pair.Client}
	// and of pair, as two Failures calls would.
	PairFailures(ctx context.Context, pair Key) (client, paired Count, err error)
}
