package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
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
		t.Fatalf("pgstore: PostgreSQL at %s unreachable, and CI=true: failing instead of skipping: %v", where, err)
	}
	t.Skipf("pgstore: PostgreSQL at %s unreachable, skipping (CI=true makes this a failure)", where)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// db is one test's schema on the test database, migrated, with a direct
// pool and an Admin on it.
type db struct {
	schema string
	pool   *pgxpool.Pool // direct, never cut
	admin  *pgstore.Admin
}

// newDB makes a schema of its own for t, migrated, dropped at the end.
func newDB(t testing.TB) *db {
	t.Helper()
	needDB(t)
	d := &db{schema: "pgstore_t_" + randHex(6)}
	d.pool = newPool(t, testDSN(), "pgstore-test-admin")
	ctx := context.Background()
	if err := pgstore.Migrate(ctx, d.pool, pgstore.WithSchema(d.schema)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := d.pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{d.schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", d.schema, err)
		}
	})
	d.admin = pgstore.NewAdmin(d.pool, pgstore.WithSchema(d.schema))
	return d
}

// newPool returns a pool on dsn with the application name app, closed at
// the end of t.
func newPool(t testing.TB, dsn, app string, mod ...func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	cfg.MaxConns = 4
	for _, m := range mod {
		m(cfg)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// rawExec runs sql on the direct pool with the triggers off (as a
// replication would), so that no notification is sent: a change the
// stores can only learn by re-reading the table.
func (d *db) rawExec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, strings.ReplaceAll(sql, "TABLE", pgx.Identifier{d.schema, "api_keys"}.Sanitize()), args...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// open opens a Store on d through pool, closed at the end of t.
func (d *db) open(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	opts = append([]pgstore.Option{pgstore.WithSchema(d.schema), pgstore.WithLogger(zerolog.Nop())}, opts...)
	s, err := pgstore.Open(context.Background(), pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// proxy is a loopback TCP proxy to the test database that the test can
// cut (every proxied connection closed, new ones refused) and restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	frozen bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	accept atomic.Int64 // connections accepted and proxied
}

func newProxy(t testing.TB) *proxy {
	t.Helper()
	cfg, err := pgx.ParseConfig(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.mu.Unlock()
		up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.accept.Add(1)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			// Frozen: hold the bytes until thawed (or cut).
			for p.isFrozen() {
				time.Sleep(5 * time.Millisecond)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every proxied connection and refuses new ones until Restore.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Freeze makes every connection silent (bytes are held, nothing is
// closed) while on, as a network dropping packets does.
func (p *proxy) Freeze(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = on
}

func (p *proxy) isFrozen() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen && !p.cut
}

// Restore lets connections through again.
func (p *proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// pool returns a pool to the test database through the proxy.
func (p *proxy) pool(t testing.TB, app string, mod ...func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	port := uint16(p.ln.Addr().(*net.TCPAddr).Port)
	return newPool(t, testDSN(), app, append([]func(*pgxpool.Config){func(c *pgxpool.Config) {
		c.ConnConfig.Host, c.ConnConfig.Port = "127.0.0.1", port
	}}, mod...)...)
}

// eventually polls cond every few milliseconds for up to d, and reports
// whether it became true.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// t0 is the verifiers' fixed "now": the fixtures' times are relative to it.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

func mustKey(t testing.TB, env string) apikey.Key {
	t.Helper()
	k, err := apikey.Generate("", env)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is apikey's test fixture in PostgreSQL: one key in every state.
type fixture struct {
	keys map[string]string // by name: the key as a client sends it
	ids  map[string]string
	recs map[string]*apikey.Record
}

func newFixture(t testing.TB, d *db) *fixture {
	t.Helper()
	f := &fixture{keys: map[string]string{}, ids: map[string]string{}, recs: map[string]*apikey.Record{}}
	ctx := context.Background()
	add := func(name string, k apikey.Key, mod func(r *apikey.Record)) {
		r := k.Record("svc-"+name, []string{"reports:read", "orders:write"}, time.Time{})
		if mod != nil {
			mod(r)
		}
		if err := d.admin.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		f.keys[name], f.ids[name], f.recs[name] = k.Reveal(), k.ID(), r
	}
	add("good", mustKey(t, "live"), nil)
	add("revoked", mustKey(t, "live"), func(r *apikey.Record) { r.Revoked = t0.Add(-72 * time.Hour) })
	add("expired", mustKey(t, "live"), func(r *apikey.Record) { r.Expires = t0.Add(-2 * time.Hour) })
	add("scheduled", mustKey(t, "live"), func(r *apikey.Record) {
		r.Revoked = t0.Add(time.Hour) // revocation scheduled in the future: still valid
		r.Expires = t0.Add(24 * time.Hour)
	})
	add("test", mustKey(t, "test"), nil)
	add("envrec", mustKey(t, "live"), func(r *apikey.Record) { r.Environment = "test" })
	unknown := mustKey(t, "live")
	f.keys["unknown"], f.ids["unknown"] = unknown.Reveal(), unknown.ID()

	foreign := "legacy-QQQQ" + mustKey(t, "x").ID() + mustKey(t, "x").ID()
	fid, fh := apikey.ForeignKey(foreign)
	fr := &apikey.Record{ID: fid, Hash: fh, Subject: "svc-legacy", Scopes: []string{"reports:read"}, Environment: "live"}
	if err := d.admin.Create(ctx, fr); err != nil {
		t.Fatal(err)
	}
	f.keys["foreign"], f.ids["foreign"], f.recs["foreign"] = foreign, fid, fr
	f.keys["foreignUnknown"] = "legacy-" + mustKey(t, "x").ID() + mustKey(t, "x").ID()
	return f
}

// mismatch returns key with its secret replaced and the checksum fixed:
// id found, secret wrong.
func mismatch(t testing.TB, key string) string {
	t.Helper()
	i := strings.LastIndexByte(key, '_')
	body := key[:i+1] + strings.Repeat("A", apikey.SecretLength)
	k, err := apikey.ParseKey(body+checksum(body), "ak")
	if err != nil {
		t.Fatal(err)
	}
	return k.Reveal()
}

// checksum is the key format's checksum of body: its CRC-32 as 6 base62
// digits, most significant first (see apikey's package documentation).
func checksum(body string) string {
	const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := crc32.ChecksumIEEE([]byte(body))
	var b [apikey.ChecksumLength]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:])
}

func newVerifier(t testing.TB, s apikey.Store, opts ...apikey.Option) *apikey.Verifier {
	t.Helper()
	opts = append([]apikey.Option{apikey.WithEnvironment("live"), apikey.WithClock(fixedClock)}, opts...)
	v, err := apikey.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testGate returns a gate logging every event to a buffer, unsampled.
func testGate() (*middleware.Gate, *authgatetest.Log) {
	lb := &authgatetest.Log{}
	return middleware.New(middleware.WithLogger(lb.Logger()), middleware.WithLogSampling(0, 0)), lb
}

var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, _ := middleware.IdentityFrom(r.Context())
	_, _ = w.Write([]byte(id.Subject))
})

func get(hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/reports", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

// serve sends req through h and returns the status and the logged reason
// of the gate's refusal ("" for none).
func serve(t testing.TB, h http.Handler, lb *authgatetest.Log, req *http.Request) (int, string) {
	t.Helper()
	lb.Reset()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	rs := lb.Reasons(t)
	if len(rs) == 0 {
		return w.Code, ""
	}
	return w.Code, rs[len(rs)-1]
}

// reason is the reason a Verify error carries.
func reason(err error) verifiers.Reason {
	var rej *verifiers.Rejection
	if errors.As(err, &rej) {
		return rej.Reason
	}
	if errors.Is(err, verifiers.ErrUnavailable) {
		return verifiers.VerifierUnavailable
	}
	return ""
}

// authgatetestLog returns a logger into a Log that the test never reads.
func authgatetestLog(testing.TB) zerolog.Logger { return (&authgatetest.Log{}).Logger() }
