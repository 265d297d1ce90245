package bearer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// holdLeader makes the leader of every flight of v wait in its
// beforeVerify hook until release is closed; entered is closed when it
// gets there.
func holdLeader(v *Verifier) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	v.caches.beforeVerify = func() {
		once.Do(func() { close(entered) })
		<-release
	}
	return entered, release
}

// TestTokenCache_single_flight: concurrent first requests with one token
// verify it once, whatever its outcome that is remembered; the others
// get the leader's outcome.
func TestTokenCache_single_flight(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		claims []any
		reason verifiers.Reason
	}{
		{"accepted", nil, ""},
		{"expired", []any{"exp", t0.Add(-time.Hour).Unix()}, verifiers.TokenExpired},
		{"audience_mismatch", []any{"aud", "https://other.example.com"}, verifiers.TokenAudienceMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v := staticVerifier(t, allKeys())
			entered, release := holdLeader(v)
			tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims(c.claims...))
			const n = 50
			errs := make(chan error, n)
			subjects := make(chan string, n)
			verify := func() {
				id, err := v.Verify(bearerReq(tok))
				errs <- err
				if id != nil {
					subjects <- id.Subject
				}
			}
			go verify()
			<-entered
			var wg sync.WaitGroup
			for range n - 1 {
				wg.Go(verify)
			}
			time.Sleep(20 * time.Millisecond) // let most of them reach the flight
			close(release)
			wg.Wait()
			for range n {
				err := <-errs
				if c.reason == "" {
					if err != nil {
						t.Fatalf("a follower got %v", err)
					}
					continue
				}
				rej, ok := err.(*verifiers.Rejection)
				if !ok || rej.Reason != c.reason {
					t.Fatalf("a request got %v, want %s", err, c.reason)
				}
			}
			if c.reason == "" && len(subjects) != n {
				t.Fatalf("%d identities for %d requests", len(subjects), n)
			}
			if got := checks(v); got != 1 {
				t.Errorf("full verifications = %d, want 1 for %d concurrent requests", got, n)
			}
			ran := false
			<-v.caches.flights.DoChan(tok, func() (any, error) { ran = true; return nil, nil })
			if !ran {
				t.Error("a flight was left behind: a new request joined it")
			}
		})
	}
}

// TestTokenCache_single_flight_follower_context: a follower whose request
// ends while it waits stops waiting (and checks on its own), so a slow
// leader cannot hold it past its deadline.
func TestTokenCache_single_flight_follower_context(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	entered, release := holdLeader(v)
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	leader := make(chan error, 1)
	go func() {
		_, err := v.Verify(bearerReq(tok))
		leader <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := v.Verify(bearerReq(tok).WithContext(ctx)); err != nil {
		t.Fatalf("follower: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the follower waited %v past its 50 ms deadline", d)
	}
	close(release)
	if err := <-leader; err != nil {
		t.Fatalf("leader: %v", err)
	}
	if got := checks(v); got != 2 {
		t.Errorf("full verifications = %d, want 2 (the follower checked on its own)", got)
	}
}

// TestTokenCache_hit_allocates_nothing: a cache hit allocates nothing,
// the single flight behind it included (its closure must not move the
// request's time to the heap). Not under -race, which allocates itself.
func TestTokenCache_hit_allocates_nothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	v := staticVerifier(t, allKeys())
	r := bearerReq(sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()))
	if _, err := v.Verify(r); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = v.Verify(r) }); n != 0 {
		t.Errorf("a cache hit allocates %v times, want 0", n)
	}
}

// TestTokenCache_flight_panic_reaches_the_caller: the leader's check runs
// on singleflight's goroutine; a panic there comes back to the callers'
// own goroutines (where the gate's recover turns it into a 503), the
// leader's and the followers', instead of ending the process.
func TestTokenCache_flight_panic_reaches_the_caller(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	v.caches.beforeVerify = func() {
		once.Do(func() { close(entered) })
		<-release
		panic("boom")
	}
	tok := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	recovered := make(chan any, 2)
	verify := func() {
		defer func() { recovered <- recover() }()
		_, _ = v.Verify(bearerReq(tok))
	}
	go verify()
	<-entered
	go verify() // a follower, joining the flight
	time.Sleep(20 * time.Millisecond)
	close(release)
	for range 2 {
		if p := <-recovered; p != "boom" {
			t.Fatalf("recovered %v on the caller's goroutine, want the panic's value", p)
		}
	}
}
