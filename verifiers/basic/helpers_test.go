package basic

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

// testFP is the Fingerprinter of tests that call decodeBasic directly.
var testFP = verifiers.NewFingerprinter()

// bcryptHash hashes pw at cost; tests use bcrypt.MinCost unless they
// measure time.
func bcryptHash(t testing.TB, pw string, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// argonHash hashes pw with argon2id at m KiB, t passes, p lanes, in PHC
// string form.
func argonHash(pw string, m, t uint32, p uint8) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, t, m, p, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// basicReq returns a GET / with Authorization: Basic base64(user:pw).
func basicReq(user, pw string) *http.Request {
	return authReq("Basic " + b64(user+":"+pw))
}

func authReq(auth string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

// memory returns a MemoryStore with the given user → password pairs hashed
// with bcrypt at MinCost.
func memory(t testing.TB, pairs ...string) *MemoryStore {
	t.Helper()
	users := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		users[pairs[i]] = authgatetest.PasswordHash(t, pairs[i+1])
	}
	m, err := NewMemoryStore(users)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newVerifier(t testing.TB, src Store, opts ...Option) *Verifier {
	t.Helper()
	v, err := New(src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rejection returns err as a *verifiers.Rejection or fails the test.
func rejection(t testing.TB, err error) *verifiers.Rejection {
	t.Helper()
	var rej *verifiers.Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("error %v (%T) is not a *verifiers.Rejection", err, err)
	}
	return rej
}

func attr(attrs []verifiers.Attr, key string) (string, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var errDown = errors.New("dial tcp 10.0.0.5:5432: connection refused")

func errorsAs(err error, target any) bool { return errors.As(err, target) }
