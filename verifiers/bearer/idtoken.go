package bearer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// idTokenClaims are the claims that only an OpenID Connect ID token
// carries: nonce (OIDC Core §2), at_hash (§3.1.3.6, §3.3.2.11), c_hash
// (§3.3.2.11) and s_hash (FAPI 1.0 Advanced §5.1). A token that has one
// is an ID token, whatever its aud, and an ID token says who logged in to
// a client, not what the bearer may do at this resource (RFC 9068 §1,
// OIDC Core §2).
//
// Not in the list: auth_time, which RFC 9068 §2.2.1 puts in access tokens
// too (Okta and Keycloak do); acr, amr, azp and sid, likewise; and typ
// JWT, which Hydra and many others give their access tokens (WithTypes
// checks typ).
var idTokenClaims = [...]string{"nonce", "at_hash", "c_hash", "s_hash"}

// checkIDToken refuses a token that carries claims of an ID token, other
// than those WithIDTokenClaimsAllowed lets through; reg are the token's
// idTokenClaims as ReadClaims read them.
func (v *Verifier) checkIDToken(reg []jose.Member) *verifiers.Rejection {
	var found []string
	for i, c := range idTokenClaims {
		if reg[i].Kind != jose.Absent && !slices.Contains(v.idTokenAllowed, c) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return verifiers.Reject(verifiers.TokenIsIDToken,
		fmt.Sprintf("the token has %s, which only an OpenID Connect ID token carries (OIDC Core §2, §3.1.3.6): it is an ID token, not an access token", strings.Join(found, ", "))).
		WithHint("the client sends the id_token of its login response; it must send the access_token (if this issuer really puts " + found[0] + " in its access tokens, allow it with WithIDTokenClaimsAllowed)")
}
