// Package verifiers defines the contract between authgate's gate (package
// middleware) and the code that checks credentials: the Verifier interface,
// the Identity a verifier returns on success, and the closed set of Reason
// codes a rejection carries.
//
// The ready-made verifiers live in the sub-packages apikey, basic and
// bearer. Implement Verifier yourself for any other credential.
//
// # The four outcomes
//
// Verify answers exactly one of:
//
//   - an *Identity and a nil error: the credentials are valid;
//   - ErrNoCredentials: the request carries no credentials this verifier
//     reads, so the gate asks the next verifier of the route;
//   - a *Rejection: credentials are present and wrong; the gate answers
//     with the status of the Rejection's Reason (401 in most cases);
//   - an *UnavailableError: the verifier could not check, for example its
//     key store is down; the gate answers 503 and never blames the client.
//
// Any other non-nil error is treated as an *UnavailableError, and a nil
// identity with a nil error is a bug that the gate reports as one (503,
// logged at error level) rather than letting the request through.
package verifiers

import (
	"net/http"
	"slices"

	"github.com/authgate/authgate/challenge"
)

// Verifier checks one kind of credentials. Implementations must be safe for
// concurrent use.
type Verifier interface {
	// Challenge returns the challenge the gate sends in WWW-Authenticate
	// when a request is not authenticated, such as
	// `Basic realm="admin", charset="UTF-8"`. It must be a valid challenge
	// (challenge.Challenge.Validate) and should not change between calls.
	Challenge() challenge.Challenge
	// Verify looks at the request and answers one of the four outcomes
	// described in the package documentation. It must not log the
	// credential, nor put it into the error.
	Verify(r *http.Request) (*Identity, error)
}

// Schemes the ready-made verifiers put in Identity.Scheme.
const (
	SchemeBasic  = "Basic"
	SchemeBearer = "Bearer"
	SchemeAPIKey = "APIKey"
	// SchemeDPoP is the scheme of a DPoP-bound token sent with its proof
	// (RFC 9449 §7.1): `Authorization: DPoP <token>`.
	SchemeDPoP = "DPoP"
)

// Identity is who a request was authenticated as. Verifiers may return the
// same *Identity for many requests, so treat it as read-only.
type Identity struct {
	// Subject names the principal: a user name, a key owner, a token's sub.
	Subject string
	// Scheme is the authentication scheme that produced the identity, such
	// as SchemeBearer. The gate uses it to decide whether a 403 for a
	// missing scope carries an RFC 6750 insufficient_scope challenge.
	Scheme string
	// Scopes the credentials grant, as given by the key store or the
	// token's scope claim.
	Scopes []string
	// Attrs are safe identifiers of the credentials, logged and readable by
	// handlers: a key id, a user name, a token's kid, iss or jti. Never a
	// secret.
	Attrs []Attr
	// Claims holds a token's claims (Bearer JWT), nil for other schemes.
	Claims map[string]any
	// Source tells where the credentials were read from. The gate uses it
	// to mark responses authenticated by a header other than Authorization
	// as private and to add Vary (RFC 9110 §16.4.2).
	Source Source
}

// HasScope reports whether the identity was granted scope s (exact match).
func (id *Identity) HasScope(s string) bool { return slices.Contains(id.Scopes, s) }

// Attr returns the value of the attribute named key and whether it is set.
func (id *Identity) Attr(key string) (string, bool) {
	for _, a := range id.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// Attr is one safe identifier: a log field name and its value. Values are
// sanitized (control characters, invalid UTF-8 and bidirectional controls
// replaced by U+FFFD, length bounded) by the gate before
// they are logged.
type Attr struct {
	Key   string
	Value string
}

// Standard attribute keys, used as log field names.
const (
	AttrKeyID       = "key_id"      // API key id (the public part)
	AttrUser        = "user"        // Basic user-id
	AttrKid         = "kid"         // JWT key id
	AttrIssuer      = "iss"         // JWT issuer
	AttrSubject     = "sub"         // JWT subject
	AttrJTI         = "jti"         // JWT id
	AttrClientID    = "client_id"   // OAuth client id
	AttrFingerprint = "fingerprint" // keyed fingerprint of an opaque credential, see Fingerprinter
	AttrJKT         = "jkt"         // RFC 7638 thumbprint of a DPoP proof's public key (RFC 9449 §6.1)
	// AttrHeader names the header field a credential was read from. On a
	// CredentialsTooLarge rejection the gate names it to the client too
	// (RFC 6585 §5).
	AttrHeader = "header"
)

// In says which part of the request carried the credentials.
type In uint8

// Places credentials are read from. The zero value is InAuthorization.
const (
	InAuthorization In = iota // the Authorization header field
	InHeader                  // another header field, named by Source.Name
	InCookie                  // a cookie, named by Source.Name
	InQuery                   // a query parameter, named by Source.Name
	InForm                    // a form-encoded body field, named by Source.Name
)

// Source is where a request carried its credentials.
type Source struct {
	In   In
	Name string
}
