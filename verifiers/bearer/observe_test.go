package bearer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// obsRecorder is an Observer keeping every event.
type obsRecorder struct {
	mu      sync.Mutex
	fetches []KeySetFetchEvent
	hits    int
	misses  int
}

func (o *obsRecorder) observer() Observer {
	return Observer{
		KeySetFetch: func(e KeySetFetchEvent) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.fetches = append(o.fetches, e)
		},
		TokenCache: func(e TokenCacheEvent) {
			o.mu.Lock()
			defer o.mu.Unlock()
			if e.Hit {
				o.hits++
			} else {
				o.misses++
			}
		},
	}
}

func (o *obsRecorder) fetchEvents() []KeySetFetchEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]KeySetFetchEvent(nil), o.fetches...)
}

// TestObserver_key_set_fetches_and_readiness: a key set that is not there
// at start-up makes the verifier not ready, and its failed fetch is
// reported with no keys and no last success; once the set arrives, the
// fetch is reported with the configured issuer, the key count and the
// time of the success, and the verifier is ready.
func TestObserver_key_set_fetches_and_readiness(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	ks.status = http.StatusServiceUnavailable
	rec := &obsRecorder{}
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithObserver(rec.observer()))

	err := v.Ready(context.Background())
	if !errors.Is(err, verifiers.ErrNotReady) || !strings.Contains(err.Error(), ks.URL) {
		t.Fatalf("Ready before any key set = %v, want ErrNotReady naming the issuer", err)
	}
	evs := rec.fetchEvents()
	if len(evs) != 1 || evs[0].Success || evs[0].Keys != 0 || !evs[0].LastSuccess.IsZero() || evs[0].Issuer != ks.URL {
		t.Fatalf("fetch events %+v, want one failure of %s with no keys", evs, ks.URL)
	}

	ks.set(func(ks *keyServer) {
		ks.status = 0
		ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256"), jwkOf(fx.ec2, "ec2", "ES256")}
	})
	clk.Advance(DefaultUnknownKeyRefresh)
	// A token whose issuer has no set makes the verifier fetch it.
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1"))); err != nil {
		t.Fatalf("Verify once the set is there: %v", err)
	}
	if err := v.Ready(context.Background()); err != nil {
		t.Fatalf("Ready once the set is there = %v", err)
	}
	evs = rec.fetchEvents()
	want := KeySetFetchEvent{Issuer: ks.URL, Success: true, Keys: 2, LastSuccess: t0.Add(DefaultUnknownKeyRefresh)}
	if len(evs) != 2 {
		t.Fatalf("fetch events %+v, want 2", evs)
	}
	got := evs[1]
	got.Duration = 0 // the fake clock does not move during the fetch
	if got != want {
		t.Errorf("fetch event\n got %+v\nwant %+v", got, want)
	}

	// A failed refresh keeps the set, and the verifier ready; the event
	// says how many keys are still in use and since when.
	ks.set(func(ks *keyServer) { ks.status = http.StatusBadGateway })
	clk.Advance(time.Minute)
	_, _ = v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "unknown-kid")))
	evs = rec.fetchEvents()
	if last := evs[len(evs)-1]; last.Success || last.Keys != 2 || !last.LastSuccess.Equal(want.LastSuccess) {
		t.Errorf("failed refresh event %+v, want failure with 2 keys from %v", last, want.LastSuccess)
	}
	if err := v.Ready(context.Background()); err != nil {
		t.Errorf("Ready after a failed refresh with a set in use = %v", err)
	}
}

// TestObserver_token_cache_hits_and_misses: the first Verify of a token
// is a miss, the next ones hits, for accepted and rejected tokens alike;
// with the cache off nothing is reported.
func TestObserver_token_cache_hits_and_misses(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	v := staticVerifier(t, allKeys(), WithObserver(rec.observer()))
	good := tokenFor(testIss, fx.ec, "ES256", "ec1")
	expired := tokenFor(testIss, fx.ec, "ES256", "ec1", "exp", t0.Add(-time.Hour).Unix())
	for range 3 {
		if _, err := v.Verify(bearerReq(good)); err != nil {
			t.Fatal(err)
		}
		_, err := v.Verify(bearerReq(expired))
		wantReject(t, err, verifiers.TokenExpired)
	}
	if rec.hits != 4 || rec.misses != 2 {
		t.Errorf("hits %d misses %d, want 4 and 2", rec.hits, rec.misses)
	}
	if len(rec.fetches) != 0 {
		t.Errorf("static keys reported fetches: %+v", rec.fetches)
	}

	off := &obsRecorder{}
	v = staticVerifier(t, allKeys(), WithObserver(off.observer()), WithTokenCache(0, 0))
	_, _ = v.Verify(bearerReq(good))
	if off.hits+off.misses != 0 {
		t.Errorf("cache off reported %d lookups", off.hits+off.misses)
	}
}

// TestReady_static_keys: static key sets are ready at once; a done
// context is an error.
func TestReady_static_keys(t *testing.T) {
	t.Parallel()
	v := staticVerifier(t, allKeys())
	if err := v.Ready(context.Background()); err != nil {
		t.Errorf("Ready = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Ready(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ready(done) = %v, want context.Canceled", err)
	}
	var _ verifiers.Readier = v
}
