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
//   - apikey/path=success/impl=nethttp-keyauth: echo's key check as
//     plain net/http middleware (netHTTPKeyAuth), handing the subject on
//     in the request's context, beside chi with no authentication: a
//     net/http peer of echo's key-auth;
//   - apikey/path=success/impl=authgate-echocheck: authgate's gate at
//     info with echo's check as its verifier (echoCheck), beside the
//     same-response floor: the gate's own part of a success, without the
//     API key verifier's;
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
	echoCheckGate := chiRoute(newGate(middleware.WithLogger(discardLogger().Level(zerolog.InfoLevel))).Require(newEchoCheck(1)), authgateHandler)
	b.Run("apikey/path=success/impl=authgate-echocheck", func(b *testing.B) {
		req := good()
		pairbench.Serve(b, echoCheckGate, sameResponse(b, echoCheckGate, req), req, http.StatusNoContent, "authgate", "floor")
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

// BenchmarkPairedCarry: what handing the subject on to the handler costs
// a key-auth middleware, paired: each iteration serves the request
// through the middleware that passes it on (carry-ns/op) and through the
// same middleware that does not (nocarry-ns/op), in alternating order;
// over-ns/op is the difference. impl=nethttp: netHTTPKeyAuth, a context
// value on a copy of the request; impl=echo: echo's key-auth, c.Set into
// echo's pooled context (a map made anew for each request) and c.Get.
func BenchmarkPairedCarry(b *testing.B) {
	ks := getAPIKeys()
	for _, c := range []struct {
		name           string
		carry, noCarry http.Handler
	}{
		{"nethttp", netHTTPKeyAuth(1, true), netHTTPKeyAuth(1, false)},
		{"echo", echoKeyAuthCarry(1, true), echoKeyAuthCarry(1, false)},
	} {
		b.Run("impl="+c.name, func(b *testing.B) {
			pairbench.Serve(b, c.carry, c.noCarry, newRequest("X-API-Key", ks.keys[0].Reveal()), http.StatusNoContent, "carry", "nocarry")
		})
	}
}
