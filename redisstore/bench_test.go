package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

// BenchmarkGateSuccess is the cost of a request with a valid API key from
// a client without failures, through a gate: without failure limiting,
// limited in the gate's memory, and limited through Redis (one round
// trip: one script reads the address's and the key id's counts). The
// difference between memory and redis is the Redis limiter's added
// latency; redis-no-limit is a gate given the store without
// WithFailureLimit, which never calls it.
func BenchmarkGateSuccess(b *testing.B) {
	d := newRDB(b)
	key, rec := authgatetest.APIKeyIn(b, "live", "svc-reports")
	keys, err := apikey.New(authgatetest.APIKeyStore(b, rec), apikey.WithEnvironment("live"))
	if err != nil {
		b.Fatal(err)
	}
	fl := middleware.FailureLimit{PerIP: 20, PerPrincipal: 5, Window: time.Minute}
	store := d.failureStore(b, newClient(b, testAddr()))
	for _, c := range []struct {
		name string
		opts []middleware.Option
	}{
		{"no-limit", nil},
		{"memory", []middleware.Option{middleware.WithFailureLimit(fl)}},
		{"redis", []middleware.Option{middleware.WithFailureLimit(fl), middleware.WithFailureStore(store)}},
		{"redis-no-limit", []middleware.Option{middleware.WithFailureStore(store)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := middleware.New(append([]middleware.Option{middleware.WithLogger(zerolog.Nop())}, c.opts...)...)
			h := g.Require(keys)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
			r := httptest.NewRequest("GET", "/v1/reports", nil)
			r.RemoteAddr = "192.0.2.1:1000"
			r.Header.Set("X-API-Key", key)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r) // loads the scripts
			if w.Code != 204 {
				b.Fatalf("status %d", w.Code)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 204 {
					b.Fatalf("status %d", w.Code)
				}
			}
			b.StopTimer()
			if !store.Shared() {
				b.Fatal("the store fell back to local counting: not a Redis measurement")
			}
		})
	}
}

// BenchmarkGateSuccessParallel is BenchmarkGateSuccess's memory and redis
// cases from many goroutines (distinct clients): the throughput of a gate
// whose requests each wait for one Redis round trip.
func BenchmarkGateSuccessParallel(b *testing.B) {
	d := newRDB(b)
	key, rec := authgatetest.APIKeyIn(b, "live", "svc-reports")
	keys, err := apikey.New(authgatetest.APIKeyStore(b, rec), apikey.WithEnvironment("live"))
	if err != nil {
		b.Fatal(err)
	}
	fl := middleware.FailureLimit{PerIP: 20, PerPrincipal: 5, Window: time.Minute}
	store := d.failureStore(b, newClient(b, testAddr()))
	for _, c := range []struct {
		name string
		opts []middleware.Option
	}{
		{"memory", []middleware.Option{middleware.WithFailureLimit(fl)}},
		{"redis", []middleware.Option{middleware.WithFailureLimit(fl), middleware.WithFailureStore(store)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g := middleware.New(append([]middleware.Option{middleware.WithLogger(zerolog.Nop())}, c.opts...)...)
			h := g.Require(keys)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
			var client atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/v1/reports", nil)
				r.RemoteAddr = "192.0.2." + strconv.Itoa(int(1+client.Add(1)%250)) + ":1000"
				r.Header.Set("X-API-Key", key)
				for pb.Next() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != 204 {
						b.Errorf("status %d", w.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkRedisPing is one bare round trip to the test Redis with the
// same client settings: the floor of BenchmarkGateSuccess/redis's added
// latency on this machine.
func BenchmarkRedisPing(b *testing.B) {
	needRedis(b)
	c := newClient(b, testAddr())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
