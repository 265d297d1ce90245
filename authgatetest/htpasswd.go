package authgatetest

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// PasswordHash returns the bcrypt hash of password at bcrypt.MinCost (4),
// for a Basic verifier's user list in a test. The minimum cost keeps tests
// fast and is far too cheap for real passwords: never store such a hash
// outside a test. A server loading an htpasswd file of them warns that the
// hashes are weak, which is expected in a test.
func PasswordHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("authgatetest: hashing a password: %v", err) // never the password itself
	}
	return string(h)
}

// HtpasswdLine returns the htpasswd line "user:<bcrypt hash>" of user and
// password, without a line break, with the hash of PasswordHash (test-only
// cost). It fails t if user is empty or holds a colon or a control
// character, which no htpasswd line can hold.
func HtpasswdLine(t testing.TB, user, password string) string {
	t.Helper()
	if user == "" || strings.ContainsFunc(user, func(r rune) bool { return r == ':' || r < 0x20 || r == 0x7f }) {
		t.Fatalf("authgatetest: user name %q cannot be in an htpasswd line (empty, a colon or a control character)", user)
	}
	return user + ":" + PasswordHash(t, password)
}

// HtpasswdFile writes an htpasswd file of users (user name to password),
// one HtpasswdLine each in user-name order, to a new file in t.TempDir
// with mode 0600, and returns its path.
func HtpasswdFile(t testing.TB, users map[string]string) string {
	t.Helper()
	var b strings.Builder
	for _, u := range slices.Sorted(maps.Keys(users)) {
		b.WriteString(HtpasswdLine(t, u, users[u]) + "\n")
	}
	path := filepath.Join(t.TempDir(), "users.htpasswd")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatalf("authgatetest: %v", err)
	}
	return path
}
