package bearer

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// alwaysFresh is a replay store that never sees a replay, so that one
// proof can be sent on every iteration: the benchmarks measure the
// checks, and BenchmarkMemoryReplayStore the store.
type alwaysFresh struct{}

func (alwaysFresh) Use(context.Context, string, time.Time) (bool, error) { return true, nil }

// BenchmarkDPoP compares a DPoP request (token + proof, ES256 both) with
// a plain Bearer request, with and without the verified-token cache. The
// issue's targets: dpop_cached_token ≤ 1.3 × bearer_no_cache (one
// signature check each), and well under dpop_no_cache.
func BenchmarkDPoP(b *testing.B) {
	c := dpopFixtures()
	tok := boundToken(c.thumb())
	plain := sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims())
	proof := c.proof("GET", dpopURL, tok, nil)
	uncached := dpopVerifier(b, DPoPOptions{Replay: alwaysFresh{}}, WithTokenCache(0, 0))
	cached := dpopVerifier(b, DPoPOptions{Replay: alwaysFresh{}})
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"bearer_no_cache", func() error { _, err := uncached.Verify(bearerReq(plain)); return err }},
		{"bearer_cached", func() error { _, err := cached.Verify(bearerReq(plain)); return err }},
		{"dpop_no_cache", func() error { _, err := uncached.DPoP().Verify(dpopReq("GET", dpopURL, tok, proof)); return err }},
		{"dpop_cached_token", func() error { _, err := cached.DPoP().Verify(dpopReq("GET", dpopURL, tok, proof)); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The proof checks alone, without the request: what DPoP adds.
	r := dpopReq("GET", dpopURL, tok, proof)
	b.Run("proof_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cached.dpop.checkProof(r, proof, tok, t0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemoryReplayStore is one Use of a new key in a store that
// holds 10,000 keys, half of them expiring as the clock moves.
func BenchmarkMemoryReplayStore(b *testing.B) {
	clk := newFakeClock(t0)
	s := NewMemoryReplayStore(20_000, ReplayStoreClock(clk.now))
	ctx := context.Background()
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d-%032d", i, i)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		clk.advance(time.Millisecond)
		if _, err := s.Use(ctx, keys[i&(len(keys)-1)], clk.now().Add(10*time.Second)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
