package challenge_test

import (
	"testing"

	"github.com/authgate/authgate/challenge"
)

func BenchmarkAppendFormat(b *testing.B) {
	c, err := challenge.Bearer(challenge.BearerParams{Realm: "api", Error: "invalid_token", ErrorDescription: "The access token expired."})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.AppendFormat(buf[:0])
	}
}

func BenchmarkParse(b *testing.B) {
	field := `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := challenge.Parse(field); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCredentials(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := challenge.ParseCredentials("Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseManyParams shows that hostile input with thousands of
// parameters costs linear, not quadratic, time (A3 duplicate check).
func BenchmarkParseManyParams(b *testing.B) {
	field := manyParamsField(1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := challenge.Parse(field); err != nil {
			b.Fatal(err)
		}
	}
}
