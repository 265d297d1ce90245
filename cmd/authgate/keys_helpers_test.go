package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// testDSN is the test database: PGSTORE_TEST_DSN, or the PostgreSQL of
// the development and CI machines.
func testDSN() string {
	if s := os.Getenv("PGSTORE_TEST_DSN"); s != "" {
		return s
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// needDB skips t with one line when the test database is unreachable,
// and fails it instead when CI=true.
func needDB(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err == nil {
		_ = conn.Close(ctx)
		return
	}
	where := "the test database"
	if cfg, perr := pgx.ParseConfig(testDSN()); perr == nil {
		where = net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("authgate keys: PostgreSQL at %s unreachable, and CI=true: failing instead of skipping: %v", where, err)
	}
	t.Skipf("authgate keys: PostgreSQL at %s unreachable, skipping (CI=true makes this a failure)", where)
}

// keysResult is what one run of the command printed.
type keysResult struct {
	code           int
	stdout, stderr string
}

func (r keysResult) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// keysRun runs "authgate keys args..." in the process, with the
// environment variables of vars only.
func keysRun(t testing.TB, vars map[string]string, args ...string) keysResult {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, lookupEnv: func(k string) string { return vars[k] }}
	code := run(context.Background(), e, append([]string{"keys"}, args...))
	return keysResult{code, out.String(), errb.String()}
}

// backend is a key store the tests drive the command on: its flags, and
// a way to check a key the way a server would.
type backend struct {
	name  string
	flags []string
	// open returns an apikey.Store on the backend as a server opens it.
	open func(t testing.TB) apikey.Store
}

func fileBackend(t testing.TB) backend {
	path := filepath.Join(t.TempDir(), "keys.txt")
	return backend{name: "file", flags: []string{"--file", path}, open: func(t testing.TB) apikey.Store {
		t.Helper()
		s, err := apikey.OpenFileStore(path, apikey.WithFileLogger(zerolog.Nop()))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}}
}

// pgBackend is a schema of its own on the test database, migrated with
// the command itself, dropped at the end of t.
func pgBackend(t testing.TB) backend {
	t.Helper()
	needDB(t)
	b := randHex(6)
	schema := "cli_t_" + b
	pool := newPool(t)
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	be := backend{name: "postgres", flags: []string{"--postgres", testDSN(), "--schema", schema}, open: func(t testing.TB) apikey.Store {
		t.Helper()
		s, err := pgstore.Open(context.Background(), pool, pgstore.WithSchema(schema), pgstore.WithLogger(zerolog.Nop()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}}
	if r := keysRun(t, nil, append([]string{"migrate"}, be.flags...)...); r.code != 0 {
		t.Fatalf("migrate: %s", r)
	}
	return be
}

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// eachBackend runs f on the key file and on PostgreSQL, in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for name, mk := range map[string]func(testing.TB) backend{"file": fileBackend, "postgres": pgBackend} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, mk(t))
		})
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// verify checks key against a fresh store on b, as a live server: the
// identity, or the rejection's reason.
func (b backend) verify(t testing.TB, key string) (*verifiers.Identity, verifiers.Reason) {
	t.Helper()
	v, err := apikey.New(b.open(t), apikey.WithEnvironment("live"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-API-Key", key)
	id, err := v.Verify(r)
	var rej *verifiers.Rejection
	if errors.As(err, &rej) {
		return nil, rej.Reason
	}
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return id, ""
}

// create runs keys create with args on b and returns the printed key,
// failing t unless stdout is that key alone on its line.
func (b backend) create(t testing.TB, args ...string) apikey.Key {
	t.Helper()
	r := keysRun(t, nil, append(append([]string{"create"}, b.flags...), args...)...)
	if r.code != 0 {
		t.Fatalf("create: %s", r)
	}
	return onlyKey(t, r)
}

// onlyKey checks that r's stdout is one key alone on its line, and that
// stderr names its id but holds nothing of its secret.
func onlyKey(t testing.TB, r keysResult) apikey.Key {
	t.Helper()
	line, ok := strings.CutSuffix(r.stdout, "\n")
	if !ok || strings.Contains(line, "\n") {
		t.Fatalf("stdout is not one line: %q", r.stdout)
	}
	k, err := apikey.ParseKey(line, apikey.DefaultPrefix)
	if err != nil {
		t.Fatalf("stdout %q is not a key: %v", line, err)
	}
	if !strings.Contains(r.stderr, k.ID()) {
		t.Errorf("stderr does not name the key id %s:\n%s", k.ID(), r.stderr)
	}
	noSecret(t, r.stderr, k)
	return k
}

// noSecret fails t if out holds the key, a window of 8 characters of its
// secret, or a window of 12 hex digits of its hash.
func noSecret(t testing.TB, out string, k apikey.Key) {
	t.Helper()
	full := k.Reveal()
	secret := full[len(full)-apikey.SecretLength-apikey.ChecksumLength:]
	h := k.Hash()
	hash := hex.EncodeToString(h[:])
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			t.Fatalf("output holds part of the secret of key %s:\n%s", k.ID(), out)
		}
	}
	for i := 0; i+12 <= len(hash); i++ {
		if strings.Contains(strings.ToLower(out), hash[i:i+12]) {
			t.Fatalf("output holds part of the hash of key %s:\n%s", k.ID(), out)
		}
	}
}
