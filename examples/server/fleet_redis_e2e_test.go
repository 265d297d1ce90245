package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
)

// redisAddr is the test Redis: REDIS_TEST_ADDR, or the one of the
// development and CI machines.
func redisAddr() string {
	if s := os.Getenv("REDIS_TEST_ADDR"); s != "" {
		return s
	}
	return "127.0.0.1:6379"
}

// needRedis skips t with one line when the test Redis does not answer
// PING, and fails it instead when CI=true.
func needRedis(t testing.TB) {
	t.Helper()
	c, err := net.DialTimeout("tcp", redisAddr(), 2*time.Second)
	if err == nil {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, err = c.Write([]byte("PING\r\n"))
		if err == nil {
			var line string
			line, err = bufio.NewReader(c).ReadString('\n')
			if err == nil && !strings.HasPrefix(line, "+PONG") {
				err = &redisReply{line}
			}
		}
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("server: Redis at %s unreachable, and CI=true: failing instead of skipping: %v", redisAddr(), err)
	}
	t.Skipf("server: Redis at %s unreachable, skipping (CI=true makes this a failure)", redisAddr())
}

type redisReply struct{ line string }

func (e *redisReply) Error() string { return "PING answered " + strings.TrimSpace(e.line) }

const (
	fleetLimit  = 9               // -failure-limit-ip
	fleetWindow = 5 * time.Second // -failure-window: short, so the test can start over
)

// TestFleetRedis: three reference servers on one database and one Redis
// (each through a proxy of its own), with -failure-limit-ip 9. Guesses
// sent round-robin to the three are answered 429 after the ninth, on all
// three: the budget is global. With Redis cut, each server limits on its
// own (the ninth guess each, 27 in all), logs the loss once and never
// answers 5xx; after the restore, the budget is global again, and each
// logs the recovery once.
func TestFleetRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers on PostgreSQL and Redis")
	}
	t.Parallel() // its own schema, Redis prefix and servers
	needRedis(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "server_t_" + hex.EncodeToString(b) + ":fail:"
	secret := filepath.Join(t.TempDir(), "redis-secret")
	sb := make([]byte, 32)
	_, _ = rand.Read(sb)
	if err := os.WriteFile(secret, sb, 0o600); err != nil {
		t.Fatal(err)
	}
	var rproxies []*proxy
	f := newFleet(t, func(i int) []string {
		p := newProxy(t, redisAddr())
		rproxies = append(rproxies, p)
		return []string{"-redis", p.Addr(), "-redis-prefix", prefix, "-redis-secret-file", secret,
			"-failure-limit-ip", "9", "-failure-window", fleetWindow.String(),
			// A loaded CI machine may hold a call past the default 50 ms,
			// which would count locally for a second and log it. Not much
			// more: with Redis cut, go-redis retries until the timeout, so
			// each try of Redis (one a second) costs a request that long,
			// and a round of guesses must fit in the window.
			"-redis-timeout", "250ms"}
	})
	var guesses []string
	// guess sends a new unknown key to server i and returns the status.
	guess := func(t *testing.T, i int) int {
		t.Helper()
		k, _ := authgatetest.APIKeyIn(t, "live", "nobody")
		guesses = append(guesses, k)
		t0 := time.Now()
		code, reason := f.get(t, f.servers[i], k)
		if os.Getenv("DEBUG_FLEET") != "" { // each guess's answer and time, when a count is off
			t.Logf("guess to %d: %d %s in %s", i, code, reason, time.Since(t0))
		}
		if code != 401 && code != 429 {
			t.Fatalf("guess to server %d: %d %s, want 401 or 429", i, code, reason)
		}
		return code
	}
	// roundRobin sends guesses to the servers in turn until one is
	// answered 429, and returns how many were answered 401.
	roundRobin := func(t *testing.T, max int) int {
		t.Helper()
		for n := 0; n < max; n++ {
			if guess(t, n%fleetSize) == 429 {
				return n
			}
		}
		t.Fatalf("no 429 after %d guesses round-robin", max)
		return 0
	}
	// allRefuse checks that every server answers the next guess 429.
	allRefuse := func(t *testing.T) {
		t.Helper()
		for i := range f.servers {
			if code := guess(t, i); code != 429 {
				t.Errorf("server %d answered a guess %d after the limit, want 429", i, code)
			}
		}
	}
	// fresh waits until the window of the failures so far has passed.
	fresh := func() { time.Sleep(fleetWindow + 200*time.Millisecond) }

	t.Run("round-robin guesses hit 429 at the global limit", func(t *testing.T) {
		// Guesses one after another: each instance reads the shared
		// count before verifying, so no instance lets one more through.
		if n := roundRobin(t, 3*fleetLimit+3); n != fleetLimit {
			t.Errorf("%d guesses answered 401 round-robin over %d servers before the first 429, want %d (the global limit)", n, fleetSize, fleetLimit)
		}
		allRefuse(t)
	})

	t.Run("Redis cut: each instance limits locally, logs once, never 5xx", func(t *testing.T) {
		fresh()
		for _, p := range rproxies {
			p.Cut()
		}
		// Each server counts its own guesses now: 9 each.
		if n := roundRobin(t, 3*fleetLimit+3); n < fleetLimit || n > fleetSize*fleetLimit {
			t.Errorf("%d guesses answered 401 with Redis cut, want between %d and %d", n, fleetLimit, fleetSize*fleetLimit)
		} else {
			t.Logf("with Redis cut: %d guesses answered 401 round-robin before the first 429 (local limits of %d on each of %d)", n, fleetLimit, fleetSize)
		}
		for i := range f.servers {
			for range fleetLimit {
				guess(t, i) // exhaust every local budget
			}
		}
		allRefuse(t)
		for i, s := range f.servers {
			if evs := s.events(t, "redisstore: Redis unreachable; counting failures locally, per instance, until it answers"); len(evs) != 1 || evs[0]["level"] != "error" {
				t.Errorf("server %d logged the loss of Redis %d times, want once at error level: %v", i, len(evs), evs)
			}
		}
	})

	t.Run("Redis restored: the limit is global again, recovery logged once", func(t *testing.T) {
		for _, p := range rproxies {
			p.Restore()
		}
		fresh() // past the window, and the retry interval (1s)
		// The first calls after the restore may still count locally
		// until each store's retry finds Redis; then all share again.
		n := roundRobin(t, 3*fleetLimit+3)
		if n < fleetLimit || n > fleetLimit+fleetSize {
			t.Errorf("%d guesses answered 401 after the restore, want %d (at most one local count per instance more)", n, fleetLimit)
		}
		allRefuse(t)
		for i, s := range f.servers {
			if evs := s.events(t, "redisstore: Redis answers again; failure counts are shared again"); len(evs) != 1 || evs[0]["level"] != "info" {
				t.Errorf("server %d logged Redis's return %d times, want once at info level: %v", i, len(evs), evs)
			}
		}
	})

	t.Run("a burst of parallel guesses stays within N times the limit", func(t *testing.T) {
		fresh()
		const burst = 60
		codes := make(chan int, burst)
		var wg sync.WaitGroup
		for i := range burst {
			wg.Go(func() {
				k, _ := authgatetest.APIKeyIn(t, "live", "nobody")
				code, reason := f.get(t, f.servers[i%fleetSize], k)
				if code != 401 && code != 429 {
					t.Errorf("parallel guess: %d %s, want 401 or 429", code, reason)
				}
				codes <- code
			})
		}
		wg.Wait()
		close(codes)
		n := 0
		for c := range codes {
			if c == 401 {
				n++
			}
		}
		// The README's bound: each instance admits at most the limit of
		// one address per window, so N × limit in all.
		t.Logf("%d parallel guesses over %d instances: %d answered 401 (limit %d, bound %d)", burst, fleetSize, n, fleetLimit, fleetSize*fleetLimit)
		if n < fleetLimit || n > fleetSize*fleetLimit {
			t.Errorf("%d of %d parallel guesses answered 401, want between %d and %d", n, burst, fleetLimit, fleetSize*fleetLimit)
		}
	})

	// Canary: no guessed key in any server's log.
	for i, s := range f.servers {
		log := s.stderr.String()
		for _, k := range guesses {
			if strings.Contains(log, k[len(k)-28:]) {
				t.Fatalf("server %d logged a guessed key's secret", i)
			}
		}
	}
}
