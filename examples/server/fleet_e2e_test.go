package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// The fleet: three reference servers on one PostgreSQL schema, each
// through a loopback proxy the test can cut, and keys managed with the
// authgate command, as an operator would.

const (
	fleetSize     = 3
	fleetStale    = 2 * time.Second      // -max-staleness: short, to keep the fault test fast
	fleetHB       = fleetStale / 4       // pgstore's heartbeat for it: the replica's age at a cut
	propagation   = time.Second          // the promise: a revocation reaches every instance within it
	revocations   = 60                   // measured, at least 50
	pollEvery     = 2 * time.Millisecond // a poller's pause between requests
	pollTimeout   = 5 * time.Second
	recoveryLimit = 10 * time.Second // pgstore's reconnection backoff is at most 5s
)

type fleet struct {
	schema  string
	admin   *pgstore.Admin
	cli     string
	proxies []*proxy
	servers []*server
	client  *http.Client
}

// newFleet starts the fleet on a schema of its own; extra, when not nil,
// gives server i's further flags.
func newFleet(t *testing.T, extra func(i int) []string) *fleet {
	t.Helper()
	schema, pool := newSchema(t)
	f := &fleet{schema: schema, cli: cliBinary(t), admin: pgstore.NewAdmin(pool, pgstore.WithSchema(schema)), client: newClient(t)}
	if out, code := f.keys(t, "migrate"); code != 0 {
		t.Fatalf("authgate keys migrate: exit %d\n%s", code, out)
	}
	for i := range fleetSize {
		p := newProxy(t, dbAddr(t))
		f.proxies = append(f.proxies, p)
		args := []string{"-postgres", withPassword(t, dsnVia(t, p.Addr()), dbCanary), "-postgres-schema", schema, "-max-staleness", fleetStale.String(), "-log-level", "info"}
		if extra != nil {
			args = append(args, extra(i)...)
		}
		f.servers = append(f.servers, start(t, args...))
	}
	return f
}

// newClient returns the HTTP client of a test, its idle connections
// closed at the end.
func newClient(t *testing.T) *http.Client {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// keys runs "authgate keys op ... --postgres DSN --schema S" (the real
// binary, straight to the database) and returns its stdout and stderr,
// and its exit status.
func (f *fleet) keys(t *testing.T, op string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(f.cli, append(append([]string{"keys", op}, args...), "--postgres", testDSN(), "--schema", f.schema)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String() + errb.String(), code
}

// create makes a key with the command and returns it.
func (f *fleet) create(t *testing.T, subject string) string {
	t.Helper()
	cmd := exec.Command(f.cli, "keys", "create", "--subject", subject, "--postgres", testDSN(), "--schema", f.schema)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("authgate keys create: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// get sends key to server s's API key route and returns the status and
// the problem body's reason.
func (f *fleet) get(t *testing.T, s *server, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/v1/reports", nil)
	req.Header.Set("X-API-Key", key)
	resp, err := f.client.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", s.base, err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var p struct{ Reason string }
	_ = json.Unmarshal(body, &p)
	return resp.StatusCode, p.Reason
}

// waitAll polls every server with key until each answers want, and
// returns when the last one did. Any status other than from or want
// fails t.
func (f *fleet) waitAll(t *testing.T, key string, from, want int, wantReason string, started chan<- struct{}) time.Time {
	t.Helper()
	var mu sync.Mutex
	var last time.Time
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(len(f.servers))
	for i, s := range f.servers {
		wg.Go(func() {
			deadline := time.Now().Add(pollTimeout)
			first := true
			for {
				code, reason := f.get(t, s, key)
				at := time.Now()
				if first {
					ready.Done()
					first = false
				}
				switch {
				case code == want && (wantReason == "" || reason == wantReason):
					mu.Lock()
					if at.After(last) {
						last = at
					}
					mu.Unlock()
					return
				case code != from:
					t.Errorf("server %d answered %d %s, want %d or %d %s", i, code, reason, from, want, wantReason)
					return
				case at.After(deadline):
					t.Errorf("server %d still answers %d after %s", i, code, pollTimeout)
					return
				}
				time.Sleep(pollEvery)
			}
		})
	}
	if started != nil {
		ready.Wait()
		close(started)
	}
	wg.Wait()
	return last
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// TestFleet: three reference servers on one database, keys managed with
// the authgate command. A revocation makes all three answer 401
// apikey_revoked within a second (p50/p99 measured over 60, from the
// command's start and from its exit); a new key works on all three
// within a second; with the database cut, valid keys keep working until
// the staleness limit, then 503 (never 401), and after the cut the
// revocations made meanwhile apply.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers on PostgreSQL")
	}
	t.Parallel() // its own schema, Redis prefix and servers
	f := newFleet(t, nil)
	var secrets []string

	t.Run("revocation reaches every instance within 1s", func(t *testing.T) {
		keys := make([]apikey.Key, 2*revocations) // by the command, then by an Admin in the test
		for i := range keys {
			k, err := apikey.Generate("", "live")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.admin.Create(context.Background(), k.Record(fmt.Sprintf("svc-%d", i), nil, time.Time{})); err != nil {
				t.Fatal(err)
			}
			keys[i] = k
			secrets = append(secrets, k.Reveal())
		}
		for _, k := range keys {
			f.waitAll(t, k.Reveal(), 401, 200, "", nil) // known to all three
		}
		var fromStart, fromExit, command, fromCommit []time.Duration
		for _, k := range keys[:revocations] {
			started := make(chan struct{})
			done := make(chan time.Time, 1)
			go func() { done <- f.waitAll(t, k.Reveal(), 200, 401, "apikey_revoked", started) }()
			<-started
			t0 := time.Now()
			if out, code := f.keys(t, "revoke", k.ID()); code != 0 {
				t.Fatalf("authgate keys revoke: exit %d\n%s", code, out)
			}
			t1 := time.Now()
			last := <-done
			if t.Failed() {
				return
			}
			fromStart = append(fromStart, last.Sub(t0))
			fromExit = append(fromExit, max(0, last.Sub(t1))) // 0: everywhere before the command exited
			command = append(command, t1.Sub(t0))
		}
		p50s, p99s := percentile(fromStart, 0.5), percentile(fromStart, 0.99)
		p50e, p99e := percentile(fromExit, 0.5), percentile(fromExit, 0.99)
		t.Logf("revocation on all %d instances, %d revocations: from the command's start p50 %s p99 %s max %s; from its exit p50 %s p99 %s max %s",
			fleetSize, len(fromStart), p50s.Round(time.Microsecond), p99s.Round(time.Microsecond), percentile(fromStart, 1).Round(time.Microsecond),
			p50e.Round(time.Microsecond), p99e.Round(time.Microsecond), percentile(fromExit, 1).Round(time.Microsecond))
		t.Logf("the command itself (process start, connection, UPDATE, SELECT): p50 %s p99 %s",
			percentile(command, 0.5).Round(time.Microsecond), percentile(command, 0.99).Round(time.Microsecond))
		// The store's propagation alone: from the revocation's commit
		// (Admin.Revoke returning) to the last of the three refusing.
		for _, k := range keys[revocations:] {
			started := make(chan struct{})
			done := make(chan time.Time, 1)
			go func() { done <- f.waitAll(t, k.Reveal(), 200, 401, "apikey_revoked", started) }()
			<-started
			if err := f.admin.Revoke(context.Background(), k.ID(), time.Now()); err != nil {
				t.Fatal(err)
			}
			committed := time.Now()
			last := <-done
			if t.Failed() {
				return
			}
			fromCommit = append(fromCommit, max(0, last.Sub(committed)))
		}
		p50c, p99c := percentile(fromCommit, 0.5), percentile(fromCommit, 0.99)
		t.Logf("revocation on all %d instances from its commit (Admin.Revoke), %d revocations: p50 %s p99 %s max %s",
			fleetSize, len(fromCommit), p50c.Round(time.Microsecond), p99c.Round(time.Microsecond), percentile(fromCommit, 1).Round(time.Microsecond))
		if p99c > propagation {
			t.Errorf("p99 %s from the commit, over the %s promised", p99c, propagation)
		}
		// The promise is the store's: from the revocation's commit, which
		// is before the command exits. From the start, the time also holds
		// the command's process start and connection, which a loaded
		// machine stretches; it is reported, not asserted.
		if p99e > propagation {
			t.Errorf("p99 %s from the command's exit, over the %s promised", p99e, propagation)
		}
	})

	t.Run("a new key works on every instance within 1s", func(t *testing.T) {
		var lat []time.Duration
		for i := range 10 {
			t0 := time.Now()
			key := f.create(t, fmt.Sprintf("new-%d", i))
			t1 := time.Now()
			secrets = append(secrets, key)
			last := f.waitAll(t, key, 401, 200, "", nil)
			lat = append(lat, last.Sub(t0))
			if last.Sub(t1) > propagation {
				t.Errorf("a new key took %s after the command's exit to work everywhere", last.Sub(t1))
			}
		}
		t.Logf("new key working on all %d instances, from the command's start: p50 %s max %s", fleetSize, percentile(lat, 0.5).Round(time.Microsecond), percentile(lat, 1).Round(time.Microsecond))
	})

	t.Run("database cut: 200 until the staleness limit, then 503, never 401; revocations meanwhile apply", func(t *testing.T) {
		valid := f.create(t, "valid-through-the-cut")
		doomed := f.create(t, "revoked-during-the-cut")
		secrets = append(secrets, valid, doomed)
		doomedID := strings.Split(doomed, "_")[2]
		f.waitAll(t, valid, 401, 200, "", nil)
		f.waitAll(t, doomed, 401, 200, "", nil)

		cut := time.Now()
		for _, p := range f.proxies {
			p.Cut()
		}
		// Revoked straight on the database while the fleet cannot see it.
		if out, code := f.keys(t, "revoke", doomedID); code != 0 {
			t.Fatalf("revoke during the cut: exit %d\n%s", code, out)
		}
		var wg sync.WaitGroup
		firstRefusal := make([]time.Duration, fleetSize)
		for i, s := range f.servers {
			wg.Go(func() {
				var after time.Time
				for {
					at := time.Now()
					cv, rv := f.get(t, s, valid)
					cd, rd := f.get(t, s, doomed)
					for _, c := range []struct {
						code   int
						reason string
					}{{cv, rv}, {cd, rd}} {
						if c.code != 200 && c.code != 503 {
							t.Errorf("server %d answered %d %s %s after the cut; want 200, then 503", i, c.code, c.reason, at.Sub(cut))
							return
						}
						if c.code == 503 && c.reason != "verifier_unavailable" {
							t.Errorf("server %d: 503 %s, want verifier_unavailable", i, c.reason)
						}
					}
					switch {
					case cv == 503 && after.IsZero():
						after = at
						firstRefusal[i] = at.Sub(cut)
					case cv == 200 && !after.IsZero():
						t.Errorf("server %d answered 200 again %s after its first 503, with the database still cut", i, at.Sub(after))
						return
					}
					if !after.IsZero() && at.Sub(after) > 300*time.Millisecond {
						return // refusing steadily
					}
					if at.Sub(cut) > fleetStale+3*time.Second {
						t.Errorf("server %d still answers 200 %s after the cut (max staleness %s)", i, at.Sub(cut), fleetStale)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		t.Logf("first 503 after the cut, per instance (max staleness %s, heartbeat %s): %v", fleetStale, fleetHB, firstRefusal)
		for i, d := range firstRefusal {
			if d != 0 && d < fleetStale-fleetHB-100*time.Millisecond {
				t.Errorf("server %d refused %s after the cut, before the staleness limit (%s less the heartbeat %s)", i, d, fleetStale, fleetHB)
			}
		}
		for i, s := range f.servers {
			if code := f.status(t, s, "/readyz"); code != 503 {
				t.Errorf("server %d: /readyz %d during the cut past the staleness limit, want 503", i, code)
			}
		}
		if t.Failed() {
			return
		}

		restored := time.Now()
		for _, p := range f.proxies {
			p.Restore()
		}
		var mu sync.Mutex
		var back time.Time
		for i, s := range f.servers {
			wg.Go(func() {
				deadline := time.Now().Add(recoveryLimit)
				for {
					cv, _ := f.get(t, s, valid)
					cd, rd := f.get(t, s, doomed)
					if cv == 200 && cd == 401 && rd == "apikey_revoked" {
						mu.Lock()
						if now := time.Now(); now.After(back) {
							back = now
						}
						mu.Unlock()
						return
					}
					if cv == 401 || cd == 200 && cv == 200 {
						t.Errorf("server %d after the restore: valid %d, revoked meanwhile %d %s", i, cv, cd, rd)
						return
					}
					if time.Now().After(deadline) {
						t.Errorf("server %d not recovered %s after the restore: valid %d, revoked meanwhile %d %s", i, recoveryLimit, cv, cd, rd)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		t.Logf("all %d instances back, with the revocation made during the cut applied, %s after the restore", fleetSize, back.Sub(restored).Round(time.Millisecond))
		for i, s := range f.servers {
			if code := f.status(t, s, "/readyz"); code != 200 {
				t.Errorf("server %d: /readyz %d after the restore, want 200", i, code)
			}
			lost := s.events(t, fmt.Sprintf("pgstore: lost the key store database; serving the replica for up to %s, then refusing lookups with 503 until it is back", fleetStale))
			again := s.events(t, "pgstore: key store database reachable again; replica re-read, changes made meanwhile applied")
			if len(lost) != 1 || lost[0]["level"] != "error" || len(again) != 1 || again[0]["level"] != "info" {
				t.Errorf("server %d logged the loss %d times and the recovery %d times, want once each (error, info):\n%v\n%v", i, len(lost), len(again), lost, again)
			}
		}
	})

	t.Run("no connection leak over cut and restore cycles", func(t *testing.T) {
		valid := f.create(t, "valid-through-cycles")
		secrets = append(secrets, valid)
		for range 10 {
			for _, p := range f.proxies {
				p.Cut()
			}
			time.Sleep(100 * time.Millisecond)
			for _, p := range f.proxies {
				p.Restore()
			}
			time.Sleep(50 * time.Millisecond)
			// Short cuts, inside the staleness limit: never refused.
			for i, s := range f.servers {
				if code, reason := f.get(t, s, valid); code != 200 {
					t.Fatalf("server %d answered %d %s during short cuts", i, code, reason)
				}
			}
		}
		deadline := time.Now().Add(recoveryLimit)
		for i, s := range f.servers {
			for f.status(t, s, "/readyz") != 200 {
				if time.Now().After(deadline) {
					t.Fatalf("server %d not ready %s after the last cycle", i, recoveryLimit)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		// Each server holds its listening connection and at most its
		// pool's few; connections cut are gone.
		for i, p := range f.proxies {
			if n := p.open(); n > 2*5 {
				t.Errorf("server %d has %d proxied connections open after 10 cycles, want at most 5 (listener and pool)", i, n/2)
			}
		}
	})

	// Canary: no key, nor its secret, nor the database password (through
	// the loss and the return of the database), in any server's log.
	for i, s := range f.servers {
		log := s.stderr.String()
		if strings.Contains(log, dbCanary) {
			t.Fatalf("server %d logged the database password", i)
		}
		for _, k := range secrets {
			if strings.Contains(log, k[len(k)-apikey.SecretLength-apikey.ChecksumLength:]) {
				t.Fatalf("server %d logged a key's secret", i)
			}
		}
	}
}

// dbCanary is the password in the servers' connection strings: the test
// database trusts loopback and ignores it, and no log may show it.
const dbCanary = "Canary-Pw-fleet-8d2e"

// withPassword returns dsn with its user's password set to pw.
func withPassword(t *testing.T, dsn, pw string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		t.Fatalf("the test DSN is not a URL with a user: %v", err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String()
}

// status returns the status of GET path on s.
func (f *fleet) status(t *testing.T, s *server, path string) int {
	t.Helper()
	resp, err := f.client.Get(s.base + path)
	if err != nil {
		t.Errorf("GET %s%s: %v", s.base, path, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
