package basic

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/sync/singleflight"

	"github.com/authgate/authgate/verifiers"
)

// credKey is Fingerprinter.Sum(user, password) under a per-verifier key:
// what the cache and the in-flight table are keyed by, so that neither
// holds a password or an unkeyed hash of one. The NUL separator is
// unambiguous because decodeBasic refuses control characters in the
// user-id.
type credKey [sha256.Size]byte

// cached is a remembered successful verification. It is trusted only
// while the user's stored hash is the one it was made against: the same
// encoded string and the same store generation (see Hash.gen).
type cached struct {
	id      *verifiers.Identity
	encoded string
	gen     uint64
}

func (c cached) madeAgainst(h *Hash) bool { return c.gen == h.gen && c.encoded == h.encoded }

// flights makes concurrent checks of the same credentials against the same
// stored hash run the hash function once: the first caller computes, the
// others wait for its answer. This is what keeps a burst of identical
// first requests (a dashboard opening, a scraper's parallel fetches) from
// costing one bcrypt each.
type flights struct {
	g singleflight.Group

	// waiting, when set (by tests), runs when a caller starts waiting for
	// the answer to a check, its own or an identical one in flight: once
	// per caller, and again for each time it starts the check anew.
	waiting func()

	// retries, when not nil (set by tests), replaces maxFlightRetries.
	retries *int
	// retrying, when set (by tests), runs before a caller starts the
	// check again, with the number of the retry (1, 2, ...).
	retrying func(n int)
}

// flightKey is cred || generation || encoded hash: one flight per
// credentials and stored hash, so that a hash changed while a check runs
// gets a check of its own.
func flightKey(cred credKey, h *Hash) string {
	var b strings.Builder
	b.Grow(len(cred) + 21 + len(h.encoded))
	b.Write(cred[:])
	b.WriteString(strconv.FormatUint(h.gen, 10))
	b.WriteByte(0)
	b.WriteString(h.encoded)
	return b.String()
}

// do runs fn once for all concurrent callers with key k and gives each of
// them its result. fn runs with the first caller's context, so a caller
// that joins waits for the first one's answer, needs no check slot of its
// own, and shares its error too, except one: when the first caller's
// context ended while it waited for a slot, a joiner whose own context is
// still alive starts the check again (at most maxFlightRetries times,
// then it gets a 503 in its own words) rather than being answered for a
// request that is not its own. Each
// caller stops waiting when its own ctx ends, and a caller whose ctx has
// already ended starts no check: nobody would read its answer.
//
// fn returns an *verifiers.Identity or nil as its any, so that no adapter
// closure is allocated per check.
func (f *flights) do(ctx context.Context, k string, fn func() (any, error)) (*verifiers.Identity, error) {
	if ctx.Err() != nil {
		return nil, requestEndedBefore(ctx)
	}
	retries := maxFlightRetries
	if f.retries != nil {
		retries = *f.retries
	}
	for try := 0; ; try++ {
		ch := f.g.DoChan(k, fn)
		if f.waiting != nil {
			f.waiting()
		}
		select {
		case res := <-ch:
			if res.Shared && ctx.Err() == nil && endedElsewhere(res.Err) {
				if try < retries {
					if f.retrying != nil {
						f.retrying(try + 1)
					}
					continue
				}
				// Still alive, but every check it joined was abandoned:
				// its own words, not those of the requests that ended.
				return nil, joinedChecksEnded(try + 1)
			}
			id, _ := res.Val.(*verifiers.Identity)
			return id, res.Err
		case <-ctx.Done():
			return nil, requestEnded(ctx)
		}
	}
}

// maxFlightRetries bounds how often a caller starts a check again after
// the flight it joined ended with another request's context.
const maxFlightRetries = 2

// endedElsewhere reports whether err is the end of a flight whose first
// caller's context ended (requestEnded), as opposed to an answer.
func endedElsewhere(err error) bool {
	return err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// requestEndedBefore is the 503 for a request whose context had ended
// before its password check started: no hash is computed for it.
func requestEndedBefore(ctx context.Context) error {
	return &verifiers.UnavailableError{
		Detail:     "the request ended before its password check started",
		RetryAfter: busyRetryAfter,
		Err:        ctx.Err(),
	}
}

// joinedChecksEnded is the 503 for a request that is still alive but
// joined n identical checks in a row, each of which ended because the
// request that had started it ended first (its client went away while it
// waited for a slot): the request was not checked, through no fault of its
// own, and may retry.
//
// It carries no Err: the abandoned flights' errors say "the request
// ended", which is false of this one (its client is still there), and
// would make it match context.Canceled.
func joinedChecksEnded(n int) error {
	return &verifiers.UnavailableError{
		Detail:     "every identical password check this request joined (" + strconv.Itoa(n) + " in a row) ended because the request that had started it ended first; this request was not checked",
		RetryAfter: busyRetryAfter,
	}
}

// requestEnded is the 503 for a request whose context ended while it
// waited for a check slot or for a check's answer.
func requestEnded(ctx context.Context) error {
	return &verifiers.UnavailableError{
		Detail:     "the request ended while it waited for its password check",
		RetryAfter: busyRetryAfter,
		Err:        ctx.Err(),
	}
}
