package apikey_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

// BenchmarkVerify measures Verify alone for success and each failure
// (ns/op, allocs/op). The success path allocates nothing: the key is
// parsed in place and the Identity is built once per record.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	good := f.keys["good"]
	cases := []struct {
		name  string
		store apikey.Store
		opts  []apikey.Option
		req   *http.Request
	}{
		{name: "success_header", req: get("/", "X-API-Key", good)},
		{name: "success_authorization", opts: []apikey.Option{apikey.WithAuthorization("APIKey")}, req: get("/", "Authorization", "APIKey "+good)},
		{name: "success_cookie", opts: []apikey.Option{apikey.WithCookie("ak")}, req: get("/", "Cookie", "theme=dark; ak="+good)},
		{name: "success_query", opts: []apikey.Option{apikey.WithQuery("api_key")}, req: get("/r?x=1&api_key=" + good)},
		{name: "success_foreign", req: get("/", "X-API-Key", f.keys["foreign"])},
		{name: "no_credentials", req: get("/")},
		{name: "checksum_invalid", req: get("/", "X-API-Key", typo(good))},
		{name: "malformed", req: get("/", "X-API-Key", "ak_live_"+f.ids["good"])},
		{name: "wrong_environment", req: get("/", "X-API-Key", f.keys["test"])},
		{name: "unknown", req: get("/", "X-API-Key", f.keys["unknown"])},
		{name: "unknown_foreign", req: get("/", "X-API-Key", f.keys["foreignUnknown"])},
		{name: "secret_mismatch", req: get("/", "X-API-Key", f.mismatch(b))},
		{name: "revoked", req: get("/", "X-API-Key", f.keys["revoked"])},
		{name: "expired", req: get("/", "X-API-Key", f.keys["expired"])},
		{name: "request_malformed_twice", req: get("/", "X-API-Key", good, "X-API-Key", good)},
		{name: "too_large", req: get("/", "X-API-Key", strings.Repeat("k", 1024))},
		{name: "store_down", store: downStore{}, req: get("/", "X-API-Key", good)},
	}
	for _, c := range cases {
		s := c.store
		if s == nil {
			s = f.store
		}
		v := newVerifier(b, s, c.opts...)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = v.Verify(c.req)
			}
		})
	}
}

// BenchmarkGate measures a request through the gate and a no-op handler,
// and the same handler alone (the floor), for a successful key.
func BenchmarkGate(b *testing.B) {
	f := newFixture(b)
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	g := middleware.New(middleware.WithLogger(zerolog.Nop()))
	h := g.Require(newVerifier(b, f.store))(noop)
	req := get("/", "X-API-Key", f.keys["good"])
	w := httptest.NewRecorder()
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			noop.ServeHTTP(w, req)
		}
	})
	b.Run("success", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear(w.Header())
			h.ServeHTTP(w, req)
		}
	})
}

// BenchmarkParseKey measures the parser alone.
func BenchmarkParseKey(b *testing.B) {
	key := mustKey(b, "live").Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.ParseKey(key, "ak"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.Generate("ak", "live"); err != nil {
			b.Fatal(err)
		}
	}
}
