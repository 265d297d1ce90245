package apikey

import (
	"net/http"

	"github.com/authgate/authgate/verifiers"
)

// ClaimedPrincipal returns the id of the request's API key, read from the
// key's own syntax without looking it up in the Store and without checking
// the secret: the principal the request claims to be, for the gate's
// failure limiting (middleware.WithFailureLimit). It reports false when the
// request carries no key, more than one, or one that does not parse as a
// key of this Verifier's prefix with a valid checksum (a foreign key has no
// id of its own). The id is the public part of the key, safe to log.
//
// It implements verifiers.PrincipalClaimer. It does not allocate for a
// well-formed key, except one read from Basic credentials
// (WithBasicUser), which it decodes.
func (v *Verifier) ClaimedPrincipal(r *http.Request) (string, bool) {
	key, _, err := v.read(r)
	if err != nil {
		return "", false
	}
	p := parseKey(key, v.prefix)
	if p.fail != failNone {
		return "", false
	}
	return p.id, true
}

var _ verifiers.PrincipalClaimer = (*Verifier)(nil)
