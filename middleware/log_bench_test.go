package middleware

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/verifiers"
)

// BenchmarkLogRefusal: the one event of a refused request alone, with the
// fields of the benchmarks module's bad_signature row (its detail, hint
// and attributes, a JWT in Authorization to scrub), to io.Discard.
func BenchmarkLogRefusal(b *testing.B) {
	l := zerolog.New(io.Discard)
	g := New(WithLogger(l), WithLogSampling(0, 0))
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", "Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImVkZHNhLTAiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL2FwaS5iZW5jaC5hdXRoZ2F0ZS50ZXN0IiwiZXhwIjoxNzY0ODgwMzE3LCJpYXQiOjE3NjQ4NzY3MTcsImlzcyI6Imh0dHBzOi8vaXNzdWVyLmJlbmNoLmF1dGhnYXRlLnRlc3QvIiwic2NvcGUiOiJvcmRlcnM6cmVhZCBvcmRlcnM6d3JpdGUiLCJzdWIiOiJ1c2VyLTQyIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	r.Pattern = "/x"
	attrs := []verifiers.Attr{{Key: "kid", Value: "eddsa-0"}, {Key: "iss", Value: "https://issuer.bench.authgate.test/"}, {Key: "sub", Value: "user-42"}}
	detail := "the signature does not verify with key kid 'eddsa-0' (EdDSA) of issuer 'https://issuer.bench.authgate.test/' (3 keys with kids 'es256-0', 'rs256-0', 'eddsa-0': static JWKS)"
	hint := "the token was signed by another environment or tenant whose key has the same kid, or it was altered after signing"
	b.ReportAllocs()
	for b.Loop() {
		rf := refusal{reason: verifiers.TokenSignatureInvalid, scheme: "Bearer", detail: detail, hint: hint, attrs: attrs}
		d := rf.data()
		sc := scrubber{off: rf.gateText, auth: r.Header["Authorization"], r: r, names: rf.credHeaders}
		g.logRefusal(r, &rf, d, "", &sc)
	}
}
