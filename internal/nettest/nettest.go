// Package nettest holds network helpers for this repository's tests.
package nettest

import "testing"

// RefusedAddr returns a loopback TCP address ("127.0.0.1:PORT") where a
// connection is refused, for tests of a server that is down. On Unix the
// port is bound by a socket that never listens, held until t ends, so no
// other test's listener can take it meanwhile: a closed listener's port,
// the usual trick, can be handed to a parallel test's httptest server,
// which then answers instead of refusing.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	return refusedAddr(t)
}
