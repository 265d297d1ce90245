package authgateotel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/authgate/authgate/internal/pairbench"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/bearer"
)

// benchMode is what observes the benchmarked gate.
type benchMode int

const (
	unobserved benchMode = iota // no observer: the core alone
	hook                        // an observer that does nothing: the core's cost of an event
	metrics                     // the adapter on an SDK meter read by a manual reader (nothing exported)
	traces                      // metrics, and a recording span per request (SDK tracer, no exporter)
)

func (m benchMode) String() string {
	return [...]string{"unobserved", "hook", "metrics", "metrics_and_span"}[m]
}

// benchHandler is a chi route /v1/items/{id} behind the gate with v,
// observed as mode says.
func benchHandler(b *testing.B, mode benchMode, v verifiers.Verifier) http.Handler {
	b.Helper()
	opts := []middleware.Option{middleware.WithLogger(zerolog.Nop())}
	switch mode {
	case unobserved:
	case hook:
		opts = append(opts, middleware.WithObserver(middleware.Observer{Authentication: func(ev middleware.AuthenticationEvent) { hookSink = ev.Duration }}))
	default:
		m := newMeter(b)
		opts = append(opts, middleware.WithObserver(m.in.GateObserver()))
	}
	g := middleware.New(opts...)
	r := chi.NewRouter()
	r.With(g.Require(v)).Get("/v1/items/{id}", okHandler)
	if mode != traces {
		return r
	}
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return traced(tp, r)
}

// hookSink keeps the hook mode's observer from being optimised away.
var hookSink time.Duration

func benchRun(b *testing.B, h http.Handler, req *http.Request) {
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkCachedJWT is a Bearer JWT success answered from the
// verified-token cache, unobserved and through the adapter.
func BenchmarkCachedJWT(b *testing.B) {
	jf := newJWTFixture(b)
	for _, mode := range []benchMode{unobserved, hook, metrics, traces} {
		b.Run(mode.String(), func(b *testing.B) {
			benchRun(b, benchHandler(b, mode, jf.verifier(b, mode)), jf.req)
		})
	}
}

// jwtFixture is an issuer's key and a request with a token it signed.
type jwtFixture struct {
	k   *ecdsa.PrivateKey
	req *http.Request
}

const benchIssuer = "https://issuer.example/"

func newJWTFixture(b *testing.B) *jwtFixture {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return &jwtFixture{k: k, req: get("/v1/items/42", "Authorization", "Bearer "+signES256(b, k, benchIssuer, "alice"))}
}

// verifier is a Bearer verifier of the fixture's issuer, observed by the
// adapter's Bearer observer from metrics mode on.
func (jf *jwtFixture) verifier(b *testing.B, mode benchMode) verifiers.Verifier {
	opts := []bearer.Option{bearer.WithLogger(zerolog.Nop())}
	if mode >= metrics {
		opts = append(opts, bearer.WithObserver(newMeter(b).in.BearerObserver()))
	}
	v, err := bearer.New(context.Background(), audience, []bearer.Issuer{{URL: benchIssuer, Keys: bearer.JWKS(jwksJSON(b, jf.k))}}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = v.Close() })
	return v
}

// BenchmarkAPIKey is an API key success from a MemoryStore, unobserved
// and through the adapter.
func BenchmarkAPIKey(b *testing.B) {
	v, req := apiKeyFixture(b)
	for _, mode := range []benchMode{unobserved, hook, metrics, traces} {
		b.Run(mode.String(), func(b *testing.B) {
			benchRun(b, benchHandler(b, mode, v), req)
		})
	}
}

// apiKeyFixture is an API key verifier over a MemoryStore of one key,
// and a request with that key.
func apiKeyFixture(b *testing.B) (verifiers.Verifier, *http.Request) {
	key, err := apikey.Generate("ak", "live")
	if err != nil {
		b.Fatal(err)
	}
	store, err := apikey.NewMemoryStore(key.Record("billing", []string{"read"}, time.Time{}))
	if err != nil {
		b.Fatal(err)
	}
	v, err := apikey.New(store)
	if err != nil {
		b.Fatal(err)
	}
	return v, get("/v1/items/42", "X-API-Key", key.Reveal())
}

// BenchmarkObserver is the adapter's own cost per event, without the
// gate around it: what a request pays on top of the unobserved path
// (one authentication event, plus one token-cache event for a Bearer
// token).
func BenchmarkObserver(b *testing.B) {
	in := newMeter(b).in
	gate, bv := in.GateObserver(), in.BearerObserver()
	ev := middleware.AuthenticationEvent{Context: context.Background(), Scheme: "Bearer", Result: middleware.ResultSuccess, Route: "/v1/items/{id}", Duration: 1500 * time.Nanosecond}
	b.Run("authentication", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gate.Authentication(ev)
		}
	})
	b.Run("token_cache", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bv.TokenCache(bearer.TokenCacheEvent{Hit: true})
		}
	})
	b.Run("authorization", func(b *testing.B) {
		az := middleware.AuthorizationEvent{Context: context.Background(), Kind: "scopes", Name: "read", Scheme: "Bearer", Result: middleware.ResultSuccess, Route: "/v1/items/{id}"}
		b.ReportAllocs()
		for b.Loop() {
			gate.Authorization(az)
		}
	})
}

// BenchmarkAdapterPaired is the adapter's cost on a request, resolved by
// pairing: each iteration serves the request through the unobserved gate
// and through the gate observed by the adapter (an SDK meter read by a
// manual reader: nothing exported), timed one after the other in
// alternating order, so that the machine's load weighs on both alike.
// over-ns/op is the difference of the means, the figure the issue's
// +300 ns budget is about; ns/op is the sum, of no interest.
func BenchmarkAdapterPaired(b *testing.B) {
	b.Run("cached_jwt", func(b *testing.B) {
		jf := newJWTFixture(b)
		pairbench.Serve(b, benchHandler(b, metrics, jf.verifier(b, metrics)), benchHandler(b, unobserved, jf.verifier(b, unobserved)), jf.req, http.StatusNoContent, "observed", "unobserved")
	})
	b.Run("apikey", func(b *testing.B) {
		v, req := apiKeyFixture(b)
		pairbench.Serve(b, benchHandler(b, metrics, v), benchHandler(b, unobserved, v), req, http.StatusNoContent, "observed", "unobserved")
	})
}
