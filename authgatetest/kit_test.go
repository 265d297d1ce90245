package authgatetest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

func TestWithIdentity(t *testing.T) {
	t.Parallel()
	id := &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"orders:read"}}
	r := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
	if got, ok := middleware.IdentityFrom(authgatetest.WithIdentity(r, id).Context()); !ok || got != id {
		t.Fatalf("IdentityFrom = %v, %v", got, ok)
	}
	if _, ok := middleware.IdentityFrom(r.Context()); ok {
		t.Error("WithIdentity changed the original request")
	}
	if _, ok := middleware.IdentityFrom(authgatetest.WithIdentity(r, nil).Context()); ok {
		t.Error("a nil identity must leave the request anonymous")
	}
	// A scope step decides on it as on a gate's identity.
	var log authgatetest.Log
	g := middleware.New(middleware.WithLogger(log.Logger()))
	h := g.RequireScopes("orders:write")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, authgatetest.WithIdentity(r, id))
	if w.Code != 403 {
		t.Errorf("status %d, want 403", w.Code)
	}
	if got := log.Reasons(t); !slices.Equal(got, []string{"scope_insufficient"}) {
		t.Errorf("logged %q", got)
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	key, rec := authgatetest.APIKey(t, "svc-reports", "reports:read")
	if !strings.HasPrefix(key, "ak_test_"+rec.ID+"_") || rec.Subject != "svc-reports" || !slices.Equal(rec.Scopes, []string{"reports:read"}) || rec.Environment != "test" {
		t.Fatalf("key %.20s..., record %+v", key, rec)
	}
	live, liveRec := authgatetest.APIKeyIn(t, "live", "svc-live")
	store := authgatetest.APIKeyStore(t, rec, liveRec)
	if store.Len() != 2 {
		t.Fatalf("store holds %d records", store.Len())
	}
	check := func(v *apikey.Verifier, key string) (string, error) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(apikey.DefaultHeader, key)
		id, err := v.Verify(r)
		if err != nil {
			return "", err
		}
		return id.Subject, nil
	}
	any, err := apikey.New(store)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{key: "svc-reports", live: "svc-live"} {
		if got, err := check(any, k); err != nil || got != want {
			t.Errorf("key of %s: %q, %v", want, got, err)
		}
	}
	liveOnly, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		t.Fatal(err)
	}
	var rej *verifiers.Rejection
	if _, err := check(liveOnly, key); !errors.As(err, &rej) || rej.Reason != verifiers.APIKeyWrongEnv {
		t.Errorf("a test key at a live verifier: %v", err)
	}
	if msg := fatal(func(tb testing.TB) { authgatetest.APIKeyStore(tb, rec, rec) }); msg == "" {
		t.Error("APIKeyStore accepted two records with one id")
	}
	if msg := fatal(func(tb testing.TB) { authgatetest.APIKeyIn(tb, "Live!", "svc") }); msg == "" {
		t.Error("APIKeyIn accepted an invalid environment")
	}
}

func TestHtpasswd(t *testing.T) {
	t.Parallel()
	const password = "pw:with:colons-CANARY-kit-1"
	line := authgatetest.HtpasswdLine(t, "alice", password)
	user, hash, _ := strings.Cut(line, ":")
	if user != "alice" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		t.Fatalf("line %q does not hold alice's bcrypt hash", line)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("cost %d, %v; want bcrypt.MinCost", cost, err)
	}
	path := authgatetest.HtpasswdFile(t, map[string]string{"bob": "b-pass", "alice": password})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "alice:$2a$04$") || !strings.HasPrefix(lines[1], "bob:$2a$04$") {
		t.Errorf("file:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v", fi.Mode(), err)
	}
	for _, bad := range []string{"", "a:b", "a\nb", "a\x7f"} {
		msg := fatal(func(tb testing.TB) { authgatetest.HtpasswdLine(tb, bad, password) })
		if !strings.Contains(msg, "cannot be in an htpasswd line") || strings.Contains(msg, password) {
			t.Errorf("user %q: %q", bad, msg)
		}
	}
}

func TestCredentialForms(t *testing.T) {
	t.Parallel()
	// "?>>?" is a secret whose base64 differs between the alphabets and
	// needs padding: every form is distinct.
	want := []string{"?>>?", "Pz4+Pw==", "Pz4+Pw", "Pz4-Pw==", "Pz4-Pw"}
	if got := authgatetest.CredentialForms("?>>?"); !slices.Equal(got, want) {
		t.Fatalf("CredentialForms = %q, want %q", got, want)
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	var log authgatetest.Log
	g := middleware.New(middleware.WithLogger(log.Logger()))
	h := g.Require(noKeys{})(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := log.Reasons(t); !slices.Equal(got, []string{"credentials_missing"}) {
		t.Fatalf("reasons %q; log %s", got, log.String())
	}
	if evs := log.Refusals(t); len(evs) != 1 || evs[0]["status"] != float64(401) {
		t.Errorf("refusals %v", evs)
	}
	log.Reset()
	if log.String() != "" || len(log.Events(t)) != 0 {
		t.Errorf("after Reset: %q", log.String())
	}
	_, _ = log.Write([]byte("not json\n"))
	if msg := fatal(func(tb testing.TB) { log.Events(tb) }); !strings.Contains(msg, "not a JSON object") {
		t.Errorf("a line that is not JSON: %q", msg)
	}
}

// noKeys is a verifier that never finds credentials.
type noKeys struct{}

func (noKeys) Challenge() challenge.Challenge { return challenge.Challenge{Scheme: "Test"} }
func (noKeys) Verify(*http.Request) (*verifiers.Identity, error) {
	return nil, verifiers.ErrNoCredentials
}

// TestClock: an API key that expires in an hour is accepted until the
// clock passes its expiry, then refused as apikey_expired.
func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	clock := authgatetest.NewClock(start)
	key, rec := authgatetest.APIKey(t, "svc")
	rec.Expires = start.Add(time.Hour) // before the record is stored
	v, err := apikey.New(authgatetest.APIKeyStore(t, rec), apikey.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(apikey.DefaultHeader, key)
		_, err := v.Verify(r)
		return err
	}
	clock.Advance(59 * time.Minute)
	if err := verify(); err != nil || !clock.Now().Equal(start.Add(59*time.Minute)) {
		t.Fatalf("before expiry at %v: %v", clock.Now(), err)
	}
	clock.Advance(2 * time.Minute)
	var rej *verifiers.Rejection
	if err := verify(); !errors.As(err, &rej) || rej.Reason != verifiers.APIKeyExpired {
		t.Errorf("after expiry: %v", err)
	}
	clock.Set(start)
	if err := verify(); err != nil {
		t.Errorf("clock set back: %v", err)
	}
}
