package basic

import (
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// How a user-id that looks like a credential is told about, server-side.
// curl -u KEY: and https://KEY@host/ send an API key as the Basic user name
// with an empty password; some services even document that convention.
const (
	hintUserAPIKey      = "the user name looks like an API key: the client may be sending an API key as the Basic user name (curl -u KEY:) to a route that expects a user and password"
	hintUserJWT         = "the user name looks like a JWT: the client may be sending a token as the Basic user name (curl -u TOKEN:) to a route that expects a user and password; a token goes in Authorization: Bearer"
	hintUserHighEntropy = "the user name looks like a high-entropy string: the client may be sending an API key or token as the Basic user name (curl -u KEY:) to a route that expects a user and password"
	hintUserNoPassword  = "the user name looks like a key and the password is empty, the shape of curl -u KEY: : the client may be sending an API key or token as the Basic user name to a route that expects a user and password"
)

// principalPrefix starts the principal ClaimedPrincipal returns for a
// user-id that looks like a credential. A Basic user-id never holds a
// colon (RFC 7617 §2), so no real user name can collide with it.
const principalPrefix = "fingerprint:"

// minRedacted is the shortest password looked for inside a user-id, the
// same floor as the gate's scrubber: shorter ones would match ordinary
// parts of names.
const minRedacted = 8

// userName is how a user-id of a request is named in logs, details and
// the failure limiter: by itself, sanitized, or by its fingerprint when it
// looks like a credential.
type userName struct {
	attr verifiers.Attr // user=NAME or fingerprint=FP
	kind string         // what the user-id looks like, "" for a name
}

// nameUser returns how to name user, sent with password, in logs. A
// user-id that looks like a credential is named by its fingerprint under
// fp; any other is sanitized after every copy of the password inside it
// is redacted (so that cutting it to length cannot leave a piece of the
// password that the gate's scrubber would no longer recognise).
func nameUser(fp *verifiers.Fingerprinter, user, password string) userName {
	if kind, ok := verifiers.LooksLikeCredentialUser(user, password); ok {
		return userName{attr: verifiers.Attr{Key: verifiers.AttrFingerprint, Value: fp.Fingerprint(user)}, kind: kind}
	}
	return userName{attr: verifiers.Attr{Key: verifiers.AttrUser, Value: safeUser(user, password)}}
}

// hint is the hint about the user-id's shape, "" for a name.
func (n userName) hint() string {
	switch n.kind {
	case "":
		return ""
	case verifiers.CredentialJWT:
		return hintUserJWT
	case verifiers.CredentialAPIKey:
		return hintUserAPIKey
	case verifiers.CredentialNoPassword:
		return hintUserNoPassword
	}
	return hintUserHighEntropy
}

// String names the user in a detail: `user 'alice'`, or `the user whose
// name looks like an API key (fingerprint 0123456789abcdef)`.
func (n userName) String() string {
	if n.kind == "" {
		return "user " + quoteUser(n.attr.Value)
	}
	return "the user whose name looks like " + n.kind + " (fingerprint " + n.attr.Value + ")"
}

// with adds the name to rej and, when rej has no hint yet, the hint about
// the user-id's shape.
func (n userName) with(rej *verifiers.Rejection) *verifiers.Rejection {
	rej.Attrs = append(rej.Attrs, n.attr)
	if rej.Hint == "" {
		rej.Hint = n.hint()
	}
	return rej
}

// safeUser is sanitizeUser of user with every copy of password (when at
// least minRedacted bytes) replaced by "[redacted]" first: scrub, then
// cut.
func safeUser(user, password string) string {
	if len(password) >= minRedacted && strings.Contains(user, password) {
		user = strings.ReplaceAll(user, password, "[redacted]")
	}
	return sanitizeUser(user)
}

// logSafe names a user-id in text that has no fingerprinter at hand (a
// store's errors): sanitized, or by what it looks like.
func logSafe(user string) string {
	if kind, ok := verifiers.LooksLikeCredential(user); ok {
		return "whose name looks like " + kind
	}
	return quoteUser(sanitizeUser(user))
}

// quoteUser quotes a sanitized user-id (sanitizeUser) for a detail or an
// error: in single quotes, as the other packages quote values, with ' and
// \ escaped so that a name cannot end its quotes early; unlike
// internal/quote it keeps the name's UTF-8 ('José'), which sanitizeUser
// has already freed of control and invisible characters.
func quoteUser(s string) string {
	if strings.ContainsAny(s, `'\`) {
		s = userQuoteEscaper.Replace(s)
	}
	return "'" + s + "'"
}

var userQuoteEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
