package apikey

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/authgate/authgate/verifiers"
)

// basicUserLimit is the longest Basic credentials value read, in base64
// characters, for keys of at most maxLen bytes: a key, a colon and a
// password as long as the key.
func basicUserLimit(maxLen int) int { return base64.StdEncoding.EncodedLen(2*maxLen + 1) }

// basicUser returns the API key sent as the user name of the Basic
// credentials cred (the base64 after "Basic "), as in
// "Authorization: Basic base64(KEY:)". The password is not used: clients
// of this convention send it empty, or a fixed filler such as "X" where
// their library insists on one. Every way cred can be wrong is a
// credentials_malformed rejection that says which, never quoting cred,
// the key or the password.
func (v *Verifier) basicUser(cred string, pl *place) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", v.basicMalformed(cred, pl,
			fmt.Sprintf("the Basic credentials (%d characters) are not valid base64", len(cred)), base64Hint(cred))
	}
	colon := bytes.IndexByte(raw, ':')
	if colon < 0 {
		return "", v.basicMalformed(cred, pl,
			"the decoded Basic credentials have no ':' between user name and password (RFC 7617 §2)",
			"send the key as the user name followed by a colon, the base64 of 'KEY:'; curl -u 'KEY:' does that (without the colon curl asks for a password)")
	}
	user, pass := raw[:colon], raw[colon+1:]
	if i := ctlIndex(raw); i >= 0 {
		part, at := "user name", i
		if i > colon {
			part, at = "password", i-colon-1
		}
		hint := "the key was copied with surrounding characters, or encoded by hand"
		if raw[len(raw)-1] == '\n' {
			hint = "the credentials end with a line break: they were encoded with echo, which adds one; use printf '%s:' \"$KEY\" | base64, or curl -u 'KEY:'"
		}
		return "", v.basicMalformed(cred, pl,
			fmt.Sprintf("the Basic %s holds a control character at byte %d, which RFC 7617 §2 forbids", part, at), hint)
	}
	if len(user) == 0 {
		hint := "send the key as the user name, the base64 of 'KEY:' (curl -u 'KEY:')"
		if len(pass) > 0 {
			hint = "the key was sent as the password (':KEY'); this route reads it from the user name: send 'KEY:' (curl -u 'KEY:')"
		}
		return "", v.basicMalformed(cred, pl, "the Basic user name is empty; this route reads the API key from it", hint)
	}
	return string(user), nil
}

func (v *Verifier) basicMalformed(cred string, pl *place, detail, hint string) error {
	return verifiers.Reject(verifiers.CredentialsMalformed, detail+" (read from "+pl.what+")").
		WithHint(hint).
		With(verifiers.AttrFingerprint, v.fp.Fingerprint(cred))
}

// base64Hint says what is wrong with base64 that StdEncoding refused,
// when a common variant accepts it.
func base64Hint(s string) string {
	switch {
	case isBase64(base64.RawStdEncoding, s):
		return "the base64 lacks its '=' padding; encode with padding (RFC 4648 §4), as curl -u does"
	case isBase64(base64.URLEncoding, s) || isBase64(base64.RawURLEncoding, s):
		return "the credentials use the URL-safe base64 alphabet ('-' and '_'); Basic uses the standard one ('+' and '/', RFC 4648 §4)"
	}
	return "the credentials must be the base64 of 'KEY:', the key as the user name; curl -u 'KEY:' sends that"
}

func isBase64(enc *base64.Encoding, s string) bool {
	_, err := enc.DecodeString(s)
	return err == nil
}

// ctlIndex returns the index of the first control character of b
// (%x00-1F, %x7F), or -1.
func ctlIndex(b []byte) int {
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			return i
		}
	}
	return -1
}
