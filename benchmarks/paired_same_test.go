package benchmarks

import (
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/internal/pairbench"
	"github.com/authgate/authgate/middleware"
)

// BenchmarkPairedSame: the rows that the targets compare with a floor of a
// few hundred nanoseconds to 2 µs, paired with that floor the way
// BenchmarkPaired pairs the uncached JWT rows with their reference. Each
// iteration serves the request through the implementation and through
// its floor, one after the other in alternating order; over-ns/op is the
// difference of the two means. Measured apart, the rows and their floors
// move by 0.3 to 0.5 µs between runs of the same code on this VM, as
// much as the differences the targets judge; paired, the machine's speed
// of the moment weighs on a row and its floor alike (two rows' paired
// differences, timed seconds apart, still move from sample to sample).
//
//   - apikey/path=success: authgate with its logger at info (the gate's
//     default level: no success event) beside the same-response floor,
//     and echo's key-auth beside echo with no authentication, for the
//     target "no slower over its floor than echo's key-auth";
//   - apikey/path=success/impl=nethttp-keyauth and nethttp-keycheck: the
//     same key check as plain net/http middleware beside chi with no
//     authentication, handing the subject on in the request's context
//     and not (netHTTPKeyAuth): what a net/http middleware pays to pass
//     a value to its handler, which echo's key-auth does not;
//   - apikey/path=unknown and missing, and jwt/.../impl=authgate-cache
//     (the token cache on: expired and bad_signature are remembered
//     rejections, unknown_key one from a static set), each beside the
//     same response: the rejection target's rows that have no signature
//     work.
func BenchmarkPairedSame(b *testing.B) {
	ks := getAPIKeys()
	good := func() *http.Request { return newRequest("X-API-Key", ks.keys[0].Reveal()) }
	info := authgateAPIKeyGate(b, newGate(middleware.WithLogger(discardLogger().Level(zerolog.InfoLevel))), 1)
	b.Run("apikey/path=success/impl=authgate-info", func(b *testing.B) {
		req := good()
		pairbench.Serve(b, info, sameResponse(b, info, req), req, http.StatusNoContent, "authgate", "floor")
	})
	b.Run("apikey/path=success/impl=echo-keyauth", func(b *testing.B) {
		pairbench.Serve(b, echoKeyAuth(1), floorEcho(), good(), http.StatusNoContent, "echo", "floor")
	})
	b.Run("apikey/path=success/impl=nethttp-keyauth", func(b *testing.B) {
		pairbench.Serve(b, netHTTPKeyAuth(1, true), floorChi(), good(), http.StatusNoContent, "nethttp", "floor")
	})
	b.Run("apikey/path=success/impl=nethttp-keycheck", func(b *testing.B) {
		pairbench.Serve(b, netHTTPKeyAuth(1, false), floorChi(), good(), http.StatusNoContent, "nethttp", "floor")
	})
	h := authgateAPIKey(b, 1)
	for _, p := range []struct{ name, key string }{{"unknown", ks.unknown.Reveal()}, {"missing", ""}} {
		req := newRequest("", "")
		if p.key != "" {
			req = newRequest("X-API-Key", p.key)
		}
		b.Run("apikey/path="+p.name+"/impl=authgate", func(b *testing.B) {
			pairbench.Serve(b, h, sameResponse(b, h, req), req, http.StatusUnauthorized, "authgate", "floor")
		})
	}
	f := getFixture()
	jh := authgateBearer(b, f.jwks) // the default token cache
	for _, a := range f.algs {
		for _, p := range paths[1:] {
			req := bearerRequest(f.tokens[a.name][p])
			b.Run("jwt/alg="+a.name+"/path="+p+"/impl=authgate-cache", func(b *testing.B) {
				pairbench.Serve(b, jh, sameResponse(b, jh, req), req, wantStatus(p), "authgate", "floor")
			})
		}
	}
}
