package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSameFloorTargetHasCacheUnknownKey: the ≤ 3 µs rejection target
// counts the unknown_key rows with the token cache on, which verify the
// token on every request (token_key_unknown is never remembered), and
// names the worst of them when it is the worst.
func TestSameFloorTargetHasCacheUnknownKey(t *testing.T) {
	raw := strings.Join([]string{
		"BenchmarkJWT/alg=ES256/path=unknown_key/impl=authgate-nocache-2 1000 3000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkJWT/alg=ES256/path=unknown_key/impl=authgate-cache-2 1000 9000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=unknown_key-2 1000 1000 ns/op 100 B/op 10 allocs/op",
	}, "\n")
	res, err := parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	writeTargets(&out, res)
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "Every rejection ≤ 3 µs over the same-response floor") {
			line = l
		}
	}
	for _, want := range []string{"worst +8 µs (JWT ES256 unknown_key (cache))", "JWT ES256 unknown_key (nocache) +2 µs", "**not met**"} {
		if !strings.Contains(line, want) {
			t.Errorf("target line %q\nlacks %q", line, want)
		}
	}
}
