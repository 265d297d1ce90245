package doctor

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// Fingerprint identifies a credential without revealing it: the first 12
// hex digits of its SHA-256, prefixed "sha256:". It is unkeyed so that two
// runs name the same credential the same way; it is only ever computed
// over tokens and keys (high entropy) and over user names that look like
// one, never over a password.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// Scrubber removes every form of the request's credentials from text the
// doctor prints: the raw header values, tokens, passwords, keys and their
// base64 forms. It is the last line of defence: the report is built from
// descriptions, never from credential bytes, and the scrubber catches what
// a server echoes back (a body quoting the token, say).
type Scrubber struct {
	secrets []string // longest first, so a token is replaced before its parts
}

// minSecret is the shortest string the scrubber replaces: shorter pieces
// (a one-letter password) would blank out ordinary words.
const minSecret = 4

// add registers s and its base64 forms.
func (s *Scrubber) add(secret string) {
	if len(secret) < minSecret {
		return
	}
	b := []byte(secret)
	s.secrets = append(s.secrets, secret,
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	sort.Slice(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
}

// Scrub returns text with every registered secret replaced by
// "[credential]".
func (s *Scrubber) Scrub(text string) string {
	for _, sec := range s.secrets {
		if strings.Contains(text, sec) {
			text = strings.ReplaceAll(text, sec, "[credential]")
		}
	}
	return text
}

// looksLikeCredential reports whether s has the shape of a credential (an
// API key, a JWT, a long random token), so that it must not be printed even
// where a name is expected (a Basic user name). It is the gate's own
// detector, so the doctor and the server's log agree on what is hidden.
func looksLikeCredential(s string) bool {
	_, ok := verifiers.LooksLikeCredential(s)
	return ok
}

// looksLikeCredentialUser is looksLikeCredential for a Basic user name
// sent with password: a token-like name with an empty password is
// curl -u KEY:, whatever its letters.
func looksLikeCredentialUser(user, password string) bool {
	_, ok := verifiers.LooksLikeCredentialUser(user, password)
	return ok
}
