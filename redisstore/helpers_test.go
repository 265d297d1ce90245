package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/redisstore"
	"github.com/authgate/authgate/verifiers/basic"
)

// testAddr is the test Redis: REDISSTORE_TEST_ADDR, or the Redis of the
// development and CI machines.
func testAddr() string {
	if s := os.Getenv("REDISSTORE_TEST_ADDR"); s != "" {
		return s
	}
	return "127.0.0.1:6379"
}

// needRedis skips t with one line when the test Redis is unreachable, and
// fails it instead when CI=true.
func needRedis(t testing.TB) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: testAddr(), DialTimeout: 2 * time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := c.Ping(ctx).Err()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("redisstore: Redis at %s unreachable, and CI=true: failing instead of skipping: %v", testAddr(), err)
	}
	t.Skipf("redisstore: Redis at %s unreachable, skipping (CI=true makes this a failure)", testAddr())
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testSecret is the fleet's secret in the tests: random, so that the
// canary can look for it in Redis.
var testSecret = []byte("s3cret-" + randHex(16))

// rdb is one test's view of the test Redis: a direct client and a key
// prefix of its own, whose keys are deleted at the end.
type rdb struct {
	prefix string
	direct *redis.Client
}

// newRDB returns t's Redis, skipping t when there is none.
func newRDB(t testing.TB) *rdb {
	t.Helper()
	needRedis(t)
	d := &rdb{prefix: "authgate-test:" + randHex(6) + ":", direct: newClient(t, testAddr())}
	t.Cleanup(func() {
		keys := d.allKeys(t)
		if len(keys) > 0 {
			if err := d.direct.Del(context.Background(), keys...).Err(); err != nil {
				t.Errorf("deleting the test's keys: %v", err)
			}
		}
	})
	return d
}

// newClient returns a client on addr, closed at the end of t, with the
// options the stores need and short timeouts, as a deployment would set.
func newClient(t testing.TB, addr string, mod ...func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{Addr: addr, ContextTimeoutEnabled: true, DialTimeout: time.Second, PoolSize: 8, MaxRetries: -1}
	for _, m := range mod {
		m(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// keys returns the keys of the stores' state under the test's prefix:
// failure counts and DPoP proofs, not the fingerprints of the secret
// check (checkKey).
func (d *rdb) keys(t testing.TB) []string {
	t.Helper()
	return slices.DeleteFunc(d.allKeys(t), func(k string) bool { return strings.HasPrefix(k, d.prefix+"secret-check:") })
}

// checkKey is the sorted set of the secret check of the FailureStores
// under the test's prefix; replayCheckKey the ReplayStores'.
func (d *rdb) checkKey() string       { return d.prefix + "secret-check:failures" }
func (d *rdb) replayCheckKey() string { return d.prefix + "secret-check:replay" }

// allKeys returns every key under the test's prefix.
func (d *rdb) allKeys(t testing.TB) []string {
	t.Helper()
	var out []string
	iter := d.direct.Scan(context.Background(), 0, d.prefix+"*", 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scanning the test's keys: %v", err)
	}
	return out
}

// failureStore returns a FailureStore on c under the test's prefix,
// silent, with a timeout long enough for the race detector on a loaded
// machine (the fault tests set their own).
func (d *rdb) failureStore(t testing.TB, c *redis.Client, opts ...redisstore.Option) *redisstore.FailureStore {
	t.Helper()
	base := []redisstore.Option{redisstore.WithPrefix(d.prefix), redisstore.WithTimeout(2 * time.Second), redisstore.WithLogger(zerolog.Nop())}
	s, err := redisstore.NewFailureStore(c, testSecret, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// replayStore returns a ReplayStore on c under the test's prefix.
func (d *rdb) replayStore(t testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.ReplayStore {
	t.Helper()
	base := []redisstore.Option{redisstore.WithPrefix(d.prefix), redisstore.WithTimeout(2 * time.Second)}
	s, err := redisstore.NewReplayStore(c, testSecret, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// instance is one gate of a fleet: a Basic-protected handler whose gate
// counts failures in store, logging to log.
type instance struct {
	h      http.Handler
	store  *redisstore.FailureStore
	log    *authgatetest.Log
	client *redis.Client // set by cutInstance
}

var users = map[string]string{"alice": "alice-" + randHex(8), "bob": "bob-" + randHex(8)}

func basicVerifier(t testing.TB) *basic.Verifier {
	t.Helper()
	hashed := map[string]string{}
	for u, pw := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		hashed[u] = string(h)
	}
	src, err := basic.NewMemoryStore(hashed)
	if err != nil {
		t.Fatal(err)
	}
	v, err := basic.New(src, basic.WithRealm("fleet"), basic.WithCache(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// newInstance returns a gate limiting with fl, counting in store.
func newInstance(t testing.TB, fl middleware.FailureLimit, store *redisstore.FailureStore) *instance {
	t.Helper()
	lb := &authgatetest.Log{}
	g := middleware.New(middleware.WithLogger(lb.Logger()), middleware.WithLogSampling(0, 0),
		middleware.WithFailureLimit(fl), middleware.WithFailureStore(store))
	return &instance{h: g.Require(basicVerifier(t))(okHandler), store: store, log: lb}
}

// do sends a request with Basic credentials from addr and returns the
// status.
func (in *instance) do(addr, user, pw string) int {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = addr
	if user != "" {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
	}
	w := httptest.NewRecorder()
	in.h.ServeHTTP(w, r)
	return w.Code
}

// proxy is a loopback TCP proxy to the test Redis that the test can cut
// (every proxied connection closed, new ones refused), freeze (bytes
// held, nothing closed) and restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	frozen bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	accept atomic.Int64
}

func newProxy(t testing.TB) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: testAddr(), conns: map[net.Conn]struct{}{}}
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
			for p.isFrozen() {
				time.Sleep(2 * time.Millisecond)
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

// Freeze holds every byte (nothing is closed) while on, as a network
// dropping packets does.
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

// commands counts the commands a client sends (a go-redis hook), for the
// round-trip checks.
type commands struct{ n atomic.Int64 }

func (c *commands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *commands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1) // one round trip
		return next(ctx, cmds)
	}
}
