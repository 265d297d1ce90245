package bearer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkMetadataMiddleware measures what Middleware adds to a request
// it passes on (the path comparison), and the cost of serving the
// document.
func BenchmarkMetadataMiddleware(b *testing.B) {
	v, err := New(context.Background(), testAud+"/mcp", []Issuer{{URL: testIss, Keys: JWKS(jwks(allKeys()...))}},
		quiet(), WithProtectedResource(ProtectedResource{ScopesSupported: []string{"read"}}))
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := v.Metadata().Middleware(noop)
	for _, bc := range []struct{ name, path string }{{"pass_on", "/mcp"}, {"document", WellKnownPath + "/mcp"}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.path, nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				w.Body.Reset()
				h.ServeHTTP(w, r)
			}
			if (w.Body.Len() > 0) != (bc.name == "document") {
				b.Fatalf("%s: body %q", bc.path, w.Body)
			}
		})
	}
}
