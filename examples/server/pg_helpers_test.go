package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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
	if os.Getenv("CI") == "true" {
		t.Fatalf("server: PostgreSQL at %s unreachable, and CI=true: failing instead of skipping: %v", dbAddr(t), err)
	}
	t.Skipf("server: PostgreSQL at %s unreachable, skipping (CI=true makes this a failure)", dbAddr(t))
}

func dbAddr(t testing.TB) string {
	cfg, err := pgx.ParseConfig(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// newSchema returns a schema name of t's own on the test database and a
// pool on it; the schema is dropped at the end of t.
func newSchema(t testing.TB) (string, *pgxpool.Pool) {
	t.Helper()
	needDB(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "server_t_" + hex.EncodeToString(b)
	pool, err := pgxpool.New(context.Background(), testDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		pool.Close()
	})
	return schema, pool
}

// dsnVia returns the test DSN with its host and port replaced by addr.
func dsnVia(t testing.TB, addr string) string {
	t.Helper()
	return strings.Replace(testDSN(), dbAddr(t), addr, 1)
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cliBinary builds the authgate command (cmd/authgate) once.
func cliBinary(t testing.TB) string {
	t.Helper()
	cliOnce.Do(func() {
		cliPath = filepath.Join(filepath.Dir(binPath), "authgate")
		out, err := exec.Command("go", "-C", "../../cmd/authgate", "build", "-o", cliPath, ".").CombinedOutput()
		if err != nil {
			cliErr = &buildError{err, string(out)}
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "building cmd/authgate: " + e.err.Error() + "\n" + e.out }

// proxy is a loopback TCP proxy to a server that the test can cut (every
// proxied connection closed, new ones refused) and restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			_ = c.Close()
			continue
		}
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
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every proxied connection and refuses new ones until
// Restore.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// open returns the number of connections open through p, counting both
// ends of each.
func (p *proxy) open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Restore lets connections through again.
func (p *proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}
