package verifiers

import (
	"errors"
	"time"

	"github.com/authgate/authgate/challenge"
)

// ErrNoCredentials is returned by Verify when the request carries no
// credentials that the verifier reads. The gate then asks the route's next
// verifier, and answers 401 with every challenge when none found any.
var ErrNoCredentials = errors.New("authgate: no credentials for this verifier")

// ErrRejected matches every *Rejection with errors.Is.
var ErrRejected = errors.New("authgate: credentials rejected")

// ErrUnavailable matches every *UnavailableError with errors.Is.
var ErrUnavailable = errors.New("authgate: verifier unavailable")

// Rejection is returned by Verify when credentials are present but not
// accepted. Reason decides the status; Detail and Hint are for the server
// log only (unless the gate runs in development mode, which shows the hint
// to the client, except for a reason whose Public code differs from it:
// those share one hint), so they may name expected values, but they must
// never contain the credential itself (the gate redacts it, as defence in
// depth).
type Rejection struct {
	// Reason is the stable code; it decides the HTTP status.
	Reason Reason
	// Detail says in plain words what was wrong, with the numbers:
	// "token expired 2m10s ago at 2026-11-28T10:00:00Z (leeway 30s)".
	Detail string
	// Hint names the likely cause when the verifier can tell: "clock skew
	// between issuer and server", "a test key was sent to the live server".
	Hint string
	// Attrs are safe identifiers to log: key id, user name, kid, iss...
	Attrs []Attr
	// Params are added to this verifier's challenge in the 401 response,
	// for schemes that define error parameters. For a Bearer challenge the
	// gate adds error and error_description itself (RFC 6750 §3.1).
	Params []challenge.Param
}

// Reject returns a Rejection with reason and a server-side detail.
func Reject(reason Reason, detail string) *Rejection {
	return &Rejection{Reason: reason, Detail: detail}
}

// WithHint sets the hint and returns r, for chaining.
func (r *Rejection) WithHint(hint string) *Rejection {
	r.Hint = hint
	return r
}

// With adds a safe identifier and returns r, for chaining.
func (r *Rejection) With(key, value string) *Rejection {
	r.Attrs = append(r.Attrs, Attr{key, value})
	return r
}

// Error returns the reason and the server-side detail.
func (r *Rejection) Error() string {
	if r == nil {
		return "authgate: credentials rejected"
	}
	if r.Detail == "" {
		return "authgate: " + string(r.Reason)
	}
	return "authgate: " + string(r.Reason) + ": " + r.Detail
}

// Is makes errors.Is(err, ErrRejected) true for every Rejection.
func (r *Rejection) Is(target error) bool { return target == ErrRejected }

// AsRejection returns the *Rejection that err is or wraps, as errors.As
// finds it. Use it on hot paths (a custom gate step, a policy): errors.As
// with a local target moves that target to the heap on every call, and
// AsRejection allocates nothing when err is a *Rejection itself, as
// verifiers return them.
func AsRejection(err error) (*Rejection, bool) {
	if rej, ok := err.(*Rejection); ok {
		return rej, true
	}
	var rej *Rejection
	if errors.As(err, &rej) {
		return rej, true
	}
	return nil, false
}

// UnavailableError is returned by Verify when the verifier could not decide,
// through no fault of the client: a key set that cannot be fetched with
// nothing cached, a key store that is down. The gate answers 503 with
// Retry-After and logs at error level.
type UnavailableError struct {
	// Detail says what could not be reached, for the server log.
	Detail string
	// RetryAfter is sent as Retry-After; zero means the gate's default.
	RetryAfter time.Duration
	// Err is the underlying cause, if any. It is logged, so it must not
	// contain a credential.
	Err error
}

// Unavailable returns an UnavailableError with detail and cause err (which
// may be nil).
func Unavailable(detail string, err error) *UnavailableError {
	return &UnavailableError{Detail: detail, Err: err}
}

// Error returns the detail and the cause.
func (e *UnavailableError) Error() string {
	s := "authgate: verifier unavailable"
	if e == nil {
		return s
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Is makes errors.Is(err, ErrUnavailable) true for every UnavailableError.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }
