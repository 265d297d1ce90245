package basic

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

// countingVerifier returns a verifier over src whose hash computations are
// counted, with a fake clock.
func countingVerifier(t *testing.T, src Store, opts ...Option) (*Verifier, *atomic.Int64, *authgatetest.Clock) {
	t.Helper()
	clk := authgatetest.NewClock(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC))
	v := newVerifier(t, src, append(opts, withClock(clk.Now))...)
	n := &atomic.Int64{}
	v.hashHook = func() { n.Add(1) }
	return v, n, clk
}

func mustVerify(t *testing.T, v *Verifier, user, pw string) {
	t.Helper()
	if _, err := v.Verify(basicReq(user, pw)); err != nil {
		t.Fatalf("%s: %v", user, err)
	}
}

func mustReject(t *testing.T, v *Verifier, user, pw string, want verifiers.Reason) {
	t.Helper()
	_, err := v.Verify(basicReq(user, pw))
	if rej := rejection(t, err); rej.Reason != want {
		t.Fatalf("%s: %s, want %s", user, rej.Reason, want)
	}
}

func wantHashes(t *testing.T, n *atomic.Int64, want int64) {
	t.Helper()
	if got := n.Load(); got != want {
		t.Fatalf("%d hash computations, want %d", got, want)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()

	t.Run("hit", func(t *testing.T) {
		t.Parallel()
		v, n, _ := countingVerifier(t, memory(t, "alice", "pw"))
		mustVerify(t, v, "alice", "pw")
		id1, _ := v.Verify(basicReq("alice", "pw"))
		id2, _ := v.Verify(basicReq("alice", "pw"))
		wantHashes(t, n, 1)
		if id1 == nil || id1 != id2 || id1.Subject != "alice" {
			t.Errorf("cached identities %v %v", id1, id2)
		}
	})

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		v, n, _ := countingVerifier(t, memory(t, "alice", "pw"), WithCache(0, time.Minute))
		mustVerify(t, v, "alice", "pw")
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 2)
	})

	t.Run("TTL_expiry", func(t *testing.T) {
		t.Parallel()
		v, n, clk := countingVerifier(t, memory(t, "alice", "pw"), WithCache(10, time.Minute))
		mustVerify(t, v, "alice", "pw")
		clk.Advance(59 * time.Second)
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 1)
		clk.Advance(time.Second) // now exactly at expiry
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 2)
		mustVerify(t, v, "alice", "pw") // cached again, from the new check
		wantHashes(t, n, 2)
	})

	t.Run("bound_LRU", func(t *testing.T) {
		t.Parallel()
		v, n, _ := countingVerifier(t, memory(t, "a", "pa", "b", "pb", "c", "pc"), WithCache(2, time.Hour))
		mustVerify(t, v, "a", "pa")
		mustVerify(t, v, "b", "pb")
		mustVerify(t, v, "a", "pa") // a is now the most recently used
		wantHashes(t, n, 2)
		mustVerify(t, v, "c", "pc") // evicts b
		wantHashes(t, n, 3)
		if got := v.cache.Len(); got != 2 {
			t.Errorf("%d entries, bound is 2", got)
		}
		mustVerify(t, v, "a", "pa")
		wantHashes(t, n, 3)
		mustVerify(t, v, "b", "pb")
		wantHashes(t, n, 4)
	})

	t.Run("failure_not_cached", func(t *testing.T) {
		t.Parallel()
		v, n, _ := countingVerifier(t, memory(t, "alice", "pw"))
		mustReject(t, v, "alice", "wrong", verifiers.PasswordMismatch)
		mustReject(t, v, "alice", "wrong", verifiers.PasswordMismatch)
		wantHashes(t, n, 2)
		mustReject(t, v, "nobody", "pw", verifiers.UserUnknown)
		mustReject(t, v, "nobody", "pw", verifiers.UserUnknown)
		wantHashes(t, n, 4)
		if got := v.cache.Len(); got != 0 {
			t.Errorf("%d entries after failures only", got)
		}
		// A cached success for one password is no success for another.
		mustVerify(t, v, "alice", "pw")
		mustReject(t, v, "alice", "pw ", verifiers.PasswordMismatch)
		mustReject(t, v, "alice", "", verifiers.PasswordMismatch)
	})

	t.Run("invalidated_on_hash_change", func(t *testing.T) {
		t.Parallel()
		m := memory(t, "alice", "old", "bob", "bobpw")
		v, n, _ := countingVerifier(t, m)
		mustVerify(t, v, "alice", "old")
		mustVerify(t, v, "bob", "bobpw")
		wantHashes(t, n, 2)
		if err := m.Put("alice", authgatetest.PasswordHash(t, "new")); err != nil {
			t.Fatal(err)
		}
		mustReject(t, v, "alice", "old", verifiers.PasswordMismatch)
		mustVerify(t, v, "alice", "new")
		mustVerify(t, v, "bob", "bobpw") // another user's entry survives
		wantHashes(t, n, 4)
		// Setting the very same hash again still drops the entry.
		if err := m.Put("bob", authgatetest.PasswordHash(t, "bobpw")); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, v, "bob", "bobpw")
		wantHashes(t, n, 5)
		m.Delete("alice")
		mustReject(t, v, "alice", "new", verifiers.UserUnknown)
	})

	t.Run("invalidated_on_reload", func(t *testing.T) {
		t.Parallel()
		p := writeFile(t, "users.htpasswd", authgatetest.HtpasswdLine(t, "alice", "pw")+"\n")
		f, err := OpenFileStore(p)
		if err != nil {
			t.Fatal(err)
		}
		v, n, _ := countingVerifier(t, f)
		mustVerify(t, v, "alice", "pw")
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 1)
		if err := f.Reload(); err != nil { // same content
			t.Fatal(err)
		}
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 2)
		// A failed reload keeps the content and the cache.
		if err := os.WriteFile(p, []byte("alice:plain\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := f.Reload(); err == nil {
			t.Fatal("bad file loaded")
		}
		mustVerify(t, v, "alice", "pw")
		wantHashes(t, n, 2)
	})

	t.Run("func_store_hash_change", func(t *testing.T) {
		t.Parallel()
		var stored atomic.Value
		stored.Store(authgatetest.PasswordHash(t, "old"))
		src, err := NewFuncStore(func(_ context.Context, _ string) (string, error) { return stored.Load().(string), nil }, "")
		if err != nil {
			t.Fatal(err)
		}
		v, n, _ := countingVerifier(t, src)
		mustVerify(t, v, "alice", "old")
		mustVerify(t, v, "alice", "old")
		wantHashes(t, n, 1)
		stored.Store(authgatetest.PasswordHash(t, "new"))
		mustReject(t, v, "alice", "old", verifiers.PasswordMismatch)
		wantHashes(t, n, 2)
	})
}

func TestSingleflight(t *testing.T) {
	t.Parallel()
	const N = 16
	for _, tc := range []struct {
		name, user, pw string
		wantOK         bool
	}{
		{"right_password", "alice", "pw", true},
		{"wrong_password", "alice", "nope", false},
		{"unknown_user", "nobody", "pw", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, n, _ := countingVerifier(t, memory(t, "alice", "pw"))
			release := make(chan struct{})
			v.hashHook = func() {
				n.Add(1)
				<-release // hold the computation until every caller waits for it
			}
			var joined sync.WaitGroup
			joined.Add(N) // every caller waits, the first one for its own check
			v.flights.waiting = joined.Done

			var wg sync.WaitGroup
			results := make([]error, N)
			for i := range N {
				wg.Go(func() {
					_, results[i] = v.Verify(basicReq(tc.user, tc.pw))
				})
			}
			joined.Wait()
			close(release)
			wg.Wait()
			wantHashes(t, n, 1)
			for i, err := range results {
				if (err == nil) != tc.wantOK {
					t.Errorf("request %d: %v", i, err)
				}
			}
		})
	}

	t.Run("different_credentials_not_shared", func(t *testing.T) {
		t.Parallel()
		v, n, _ := countingVerifier(t, memory(t, "alice", "pw"))
		var wg sync.WaitGroup
		for _, pw := range []string{"pw", "x1", "x2"} {
			wg.Go(func() { _, _ = v.Verify(basicReq("alice", pw)) })
		}
		wg.Wait()
		wantHashes(t, n, 3)
	})
}

// withClock sets the cache's clock.
func withClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// TestKeyer: the cache key binds the split between user and password,
// and two verifiers never share one (verifiers.Fingerprinter.Sum, checked
// against crypto/hmac in package verifiers).
func TestKeyer(t *testing.T) {
	t.Parallel()
	v1, v2 := newVerifier(t, memory(t)), newVerifier(t, memory(t))
	if v1.keys.Sum("ab", "c") == v1.keys.Sum("a", "bc") {
		t.Error("split not bound into the key")
	}
	if v1.keys.Sum("a", "b") == v2.keys.Sum("a", "b") {
		t.Error("two verifiers share a cache key")
	}
}

// TestKeyer_allocates_nothing: the key is computed on every request,
// cache hits included. Not parallel: AllocsPerRun counts the whole process.
func TestKeyer_allocates_nothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	v := newVerifier(t, memory(t))
	if n := testing.AllocsPerRun(100, func() { _ = credKey(v.keys.Sum("alice", "correct horse")) }); n != 0 {
		t.Errorf("key: %v allocations, want 0", n)
	}
}

// TestVerify_panicking_check_is_503: the shared check runs on
// singleflight's goroutine, where a panic would end the process; it
// becomes a 503 for the request, and the check slot is released.
func TestVerify_panicking_check_is_503(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, memory(t, "alice", "pw"), WithConcurrentChecks(1, time.Second))
	v.hashHook = func() { panic("boom") }
	_, err := v.Verify(basicReq("alice", "pw"))
	var ue *verifiers.UnavailableError
	if !errorsAs(err, &ue) || ue.Detail != "the password check panicked (string); this is a bug" {
		t.Fatalf("error %v, want a 503 naming the panic's type", err)
	}
	v.hashHook = nil
	mustVerify(t, v, "alice", "pw") // the one slot was released
}
