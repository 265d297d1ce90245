package basic

import (
	"net/http"

	"github.com/authgate/authgate/verifiers"
)

// ClaimedPrincipal returns the user-id of the request's Basic credentials
// without checking the password or asking the Source: the principal the
// request claims to be, for the gate's failure limiting
// (middleware.WithFailureLimit). It reports false when the request has no
// Basic credentials or they do not decode (see Verify for the rules), and
// for a user-id that is empty or longer than MaxUserLength. The user-id is
// normalized like Verify does when WithNormalizer is set.
//
// It implements verifiers.PrincipalClaimer. It costs a base64 decoding and
// never touches the password beyond that.
func (v *Verifier) ClaimedPrincipal(r *http.Request) (string, bool) {
	creds, ok := verifiers.Authorization(r, "Basic")
	if !ok || creds == "" || len(creds) > MaxCredentialsLength {
		return "", false
	}
	d, rej := decodeBasic(creds)
	if rej != nil {
		return "", false
	}
	user := d.user
	if v.normalize != nil {
		user = v.normalize(user)
	}
	if user == "" || len(user) > MaxUserLength {
		return "", false
	}
	return user, true
}

var _ verifiers.PrincipalClaimer = (*Verifier)(nil)
