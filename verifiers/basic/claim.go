package basic

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// ClaimedPrincipal returns the user-id of the request's Basic credentials
// without checking the password or asking the Store: the principal the
// request claims to be, for the gate's failure limiting
// (middleware.WithFailureLimit). It reports false when the request has no
// Basic credentials or they do not decode (see Verify for the rules), and
// for a user-id that is empty or longer than MaxUserLength. The user-id is
// normalized like Verify does when WithNormalizer is set.
//
// A user-id that looks like a credential (an API key sent as the user
// name, see verifiers.LooksLikeCredential) is never returned: the
// principal is then "fingerprint:" and its fingerprint, the same value
// Verify logs as the "fingerprint" attribute, since the gate logs the
// principal (in its 429) and keeps it in memory. No real user-id can be
// mistaken for that form: a Basic user-id holds no colon. A password
// that appears inside the user-id is replaced by "[redacted]".
//
// It implements verifiers.PrincipalClaimer. It costs a base64 decoding,
// a look at the user-id's shape, and touches the password only to
// redact it.
func (v *Verifier) ClaimedPrincipal(r *http.Request) (string, bool) {
	creds, ok := verifiers.Authorization(r, "Basic")
	if !ok || creds == "" || len(creds) > MaxCredentialsLength {
		return "", false
	}
	d, rej := decodeBasic(creds, v.fp)
	if rej != nil {
		return "", false
	}
	user, password := d.user, d.password
	if v.normalize != nil {
		user, password = v.normalize(user), v.normalize(password)
	}
	if user == "" || len(user) > MaxUserLength {
		return "", false
	}
	if _, ok := verifiers.LooksLikeCredentialUser(user, password); ok {
		return principalPrefix + v.fp.Fingerprint(user), true
	}
	if len(password) >= minRedacted && strings.Contains(user, password) {
		user = strings.ReplaceAll(user, password, "[redacted]")
	}
	return user, true
}

var _ verifiers.PrincipalClaimer = (*Verifier)(nil)
