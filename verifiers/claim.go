package verifiers

import "net/http"

// PrincipalClaimer is implemented by verifiers that can tell, cheaply and
// without verifying anything, which principal a request claims to be: the
// user name of Basic credentials, the key id of an API key. The gate's
// failure limiting (middleware.WithFailureLimit) uses it to count failed
// attempts per claimed principal and client address before it calls any
// verifier, so that a flood of guesses against one account is stopped
// without spending a password hash or a store lookup on each.
//
// ClaimedPrincipal must not do I/O, take locks held during verification,
// or do anything expensive: it runs on every request of a limited route,
// before authentication. It reports ok = false when the request carries no
// credentials of this verifier or they do not parse far enough to name a
// principal. The principal is a claim, not a verified identity: never use
// it to authorize anything.
//
// The principal is logged (as the user or key_id field) and kept in memory
// as a map key, so it must be an identifier safe to log and bounded in
// length, never secret material: not a password, not a key's secret part,
// not a token.
type PrincipalClaimer interface {
	ClaimedPrincipal(r *http.Request) (principal string, ok bool)
}
