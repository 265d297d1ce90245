package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestSameFloorTargetHasCacheUnknownKey: the ≤ 3 µs rejection target
// counts the unknown_key rows with the token cache on (a remembered
// rejection from the static set, a rejection without signature work like
// the others), and names the worst of them when it is the worst.
func TestSameFloorTargetHasCacheUnknownKey(t *testing.T) {
	res := mustParse(t,
		"BenchmarkJWT/alg=ES256/path=unknown_key/impl=authgate-nocache-2 1000 3000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkJWT/alg=ES256/path=unknown_key/impl=authgate-cache-2 1000 9000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=unknown_key-2 1000 1000 ns/op 100 B/op 10 allocs/op",
	)
	line := rejectionTarget(res)
	wantAll(t, "target line", line, "worst +8 µs (JWT ES256 unknown_key (cache))", "JWT ES256 unknown_key (nocache) +2 µs", "**not met**")
}

// TestPairedRowsReplaceSubtraction: when BenchmarkPaired ran, the ≤ 3 µs
// target takes the uncached expired and bad_signature rows from its
// paired difference (over-ns/op), not from subtracting medians, and the
// paired table shows the means and their ratio.
func TestPairedRowsReplaceSubtraction(t *testing.T) {
	res := mustParse(t,
		"BenchmarkJWT/alg=ES256/path=success/impl=authgate-nocache-2 1000 70000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=success-2 1000 1000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkJWT/alg=ES256/path=expired/impl=authgate-nocache-2 1000 60000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=expired-2 1000 1000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkPaired/alg=ES256/path=success-2 100 150000 ns/op 76000 authgate-ns/op 5000 over-ns/op 71000 ref-ns/op 4817 B/op 64 allocs/op",
		"BenchmarkPaired/alg=ES256/path=expired-2 100 150000 ns/op 79000 authgate-ns/op 7300 over-ns/op 71700 ref-ns/op 6699 B/op 83 allocs/op",
		"BenchmarkPaired/alg=ES256/path=expired-2 100 150000 ns/op 79000 authgate-ns/op 7500 over-ns/op 71500 ref-ns/op 6699 B/op 83 allocs/op",
	)
	line := rejectionTarget(res)
	// The subtraction would say 60 - 1 - (70 - 1) = -10 µs.
	wantAll(t, "target line", line, "worst +7.4 µs (JWT ES256 expired (nocache, paired))", "**not met**")
	if strings.Contains(line, "−10 µs") {
		t.Errorf("target line %q still has the subtraction", line)
	}
	var out bytes.Buffer
	writePaired(&out, res)
	wantAll(t, "paired table", out.String(), "| ES256 | success | 76 µs | 71 µs | +5 µs | — | 1.07× |", "| ES256 | expired | 79 µs | 71.6 µs | +7.4 µs | +2.4 µs | 1.10× |")
}

// TestPairedPerPath: a path without its paired row keeps the subtraction
// (it is neither dropped from the target nor replaced by another path's
// paired figure), and a real go test line, tab-padded with B/op and
// allocs/op after the custom metrics, parses with all its columns.
func TestPairedPerPath(t *testing.T) {
	res := mustParse(t,
		"BenchmarkJWT/alg=ES256/path=success/impl=authgate-nocache-2 1000 70000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=success-2 1000 1000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkJWT/alg=ES256/path=bad_signature/impl=authgate-nocache-2 1000 90000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=bad_signature-2 1000 1000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkPaired/alg=ES256/path=expired-2         \t    3908\t    151475 ns/op\t     79289 authgate-ns/op\t      1000 over-ns/op\t     71996 ref-ns/op\t    6699 B/op\t      83 allocs/op",
	)
	if st, _ := res.get("Paired/alg=ES256/path=expired"); st.bytes != 6699 || st.allocs != 83 || st.ns != 151475 || st.extra["over-ns/op"] != 1000 {
		t.Errorf("paired row parsed as %+v", st)
	}
	line := rejectionTarget(res)
	// bad_signature by subtraction: 90 - 1 - (70 - 1) = +20 µs.
	wantAll(t, "target line", line, "JWT ES256 expired (nocache, paired) +1 µs", "JWT ES256 bad_signature (nocache) +20 µs", "worst +20 µs", "**not met**")
}

// TestAPIKeyTargetAtInfo: the API key target compares the gate at info
// (its default logger's level, no success event) with echo's key-auth,
// which writes none; the row at zerolog's trace default, which writes
// the debug event, is shown beside it as not a target.
// apiKeySuccessRows are the rows of the API key success target measured
// apart: echo's floor and key-auth, authgate at trace and at info, and
// their same-response floor.
var apiKeySuccessRows = []string{
	"BenchmarkFloor/router=echo-2 1000 1000 ns/op 0 B/op 0 allocs/op",
	"BenchmarkAPIKey/keys=1/path=success/impl=echo-keyauth-2 1000 1600 ns/op 0 B/op 0 allocs/op",
	"BenchmarkAPIKey/keys=1/path=success/impl=authgate-2 1000 2800 ns/op 0 B/op 0 allocs/op",
	"BenchmarkFloorSame/apikey/path=success-2 1000 2000 ns/op 0 B/op 0 allocs/op",
	"BenchmarkLogging/apikey/path=success/log=info-2 1000 2500 ns/op 0 B/op 0 allocs/op",
}

func TestAPIKeyTargetAtInfo(t *testing.T) {
	res := mustParse(t, apiKeySuccessRows...)
	target := targetLine(res, "API key success, logger at info")
	shown := targetLine(res, "API key success, logger at zerolog's trace default")
	// info: 2500 - 2000 = +500 ns against echo's 1600 - 1000 = +600 ns.
	if !strings.Contains(target, "authgate +500 ns, echo-keyauth +600 ns | met |") {
		t.Errorf("target line %q", target)
	}
	if !strings.Contains(shown, "authgate +800 ns, echo-keyauth +600 ns (no event) | not a target |") {
		t.Errorf("trace-level line %q", shown)
	}
}

// TestPairedSameReplacesSubtraction: when BenchmarkPairedSame ran, the
// API key success target compares its paired differences (the
// subtraction shown beside them), and the rejection target takes the
// cached JWT rows and the API key rows from it.
func TestPairedSameReplacesSubtraction(t *testing.T) {
	res := mustParse(t, slices.Concat(apiKeySuccessRows, []string{
		"BenchmarkAPIKey/keys=1/path=unknown/impl=authgate-2 1000 9000 ns/op 0 B/op 0 allocs/op",
		"BenchmarkFloorSame/apikey/path=unknown-2 1000 2000 ns/op 0 B/op 0 allocs/op",
		"BenchmarkJWT/alg=ES256/path=expired/impl=authgate-cache-2 1000 9000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=expired-2 1000 1000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkPairedSame/apikey/path=success/impl=authgate-info-2 100 5000 ns/op 2700 authgate-ns/op 700 over-ns/op 2000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/apikey/path=success/impl=echo-keyauth-2 100 3000 ns/op 1650 echo-ns/op 650 over-ns/op 1000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/apikey/path=unknown/impl=authgate-2 100 7000 ns/op 4500 authgate-ns/op 2500 over-ns/op 2000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/apikey/path=success/impl=nethttp-keyauth-2 100 3000 ns/op 1600 nethttp-ns/op 620 over-ns/op 980 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/apikey/path=success/impl=authgate-echocheck-2 100 3000 ns/op 2680 authgate-ns/op 680 over-ns/op 2000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedCarry/impl=nethttp-2 100 3000 ns/op 1600 carry-ns/op 400 over-ns/op 1200 nocarry-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedCarry/impl=echo-2 100 3000 ns/op 1400 carry-ns/op 380 over-ns/op 1020 nocarry-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPaired/alg=ES256/path=expired/log=off-2 100 90000 ns/op 45000 authgate-ns/op 2100 over-ns/op 42900 ref-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPaired/alg=ES256/path=bad_signature/log=off-2 100 90000 ns/op 45000 authgate-ns/op 2600 over-ns/op 42400 ref-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/jwt/alg=ES256/path=expired/impl=authgate-cache-2 100 4000 ns/op 2800 authgate-ns/op 1800 over-ns/op 1000 floor-ns/op 0 B/op 0 allocs/op",
	})...)
	// Paired: +700 ns against +650 ns, not met; by subtraction it read
	// +500 ns against +600 ns, met.
	target := targetLine(res, "API key success, logger at info")
	if !strings.Contains(target, "paired | authgate +700 ns, echo-keyauth +650 ns (by subtraction: +500 ns, +600 ns) | **not met** |") {
		t.Errorf("target line %q", target)
	}
	line := rejectionTarget(res)
	wantAll(t, "target line", line, "APIKey 1 unknown (paired) +2.5 µs", "JWT ES256 expired (cache, paired) +1.8 µs", "worst +2.5 µs", "| met |")
	var out bytes.Buffer
	writePairedSame(&out, res)
	wantAll(t, "paired-same table", out.String(), "| apikey/path=success/impl=echo-keyauth | 1.65 µs | 1 µs | +650 ns |", "| jwt/alg=ES256/path=expired/impl=authgate-cache | 2.8 µs | 1 µs | +1.8 µs |",
		"| apikey/path=success/impl=nethttp-keyauth | 1.6 µs | 980 ns | +620 ns |")
	// The peers and the no-event rows: shown beside the targets, not
	// judged; the rows with /log=off leave the rejection target alone.
	wantAll(t, "peer line", targetLine(res, "as plain net/http middleware on chi"),
		"nethttp-keyauth +620 ns, authgate-echocheck +680 ns; authgate +700 ns, echo-keyauth +650 ns", "| not a target |")
	wantAll(t, "carry line", targetLine(res, "Handing the subject on"),
		"net/http (a context value on a copy of the request) +400 ns, echo (c.Set into its pooled context) +380 ns", "| not a target |")
	wantAll(t, "no-event line", targetLine(res, "logger is disabled"),
		"worst +2.6 µs (JWT ES256 bad_signature); all: JWT ES256 expired +2.1 µs; JWT ES256 bad_signature +2.6 µs", "| not a target |")
	if strings.Contains(line, "2.1 µs") || strings.Contains(line, "2.6 µs") {
		t.Errorf("the rejection target took a /log=off row: %q", line)
	}
	wantAll(t, "paired-same table", out.String(), "| apikey/path=success/impl=authgate-echocheck | 2.68 µs | 2 µs | +680 ns |")
}

// TestPeerRowsPartial: one of two rows that a line beside the API key
// target compares is "not measured", never a silent gap.
func TestPeerRowsPartial(t *testing.T) {
	res := mustParse(t,
		"BenchmarkPairedSame/apikey/path=success/impl=nethttp-keyauth-2 100 3000 ns/op 1600 nethttp-ns/op 620 over-ns/op 980 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedCarry/impl=echo-2 100 3000 ns/op 1400 carry-ns/op 380 over-ns/op 1020 nocarry-ns/op 0 B/op 0 allocs/op",
	)
	wantAll(t, "peer line", targetLine(res, "as plain net/http middleware on chi"), "not measured: only one of")
	wantAll(t, "carry line", targetLine(res, "Handing the subject on"), "not measured: only one of its two rows ran")
}

// TestPairedSamePartial: the paired rows judge the API key target even
// when the rows measured apart did not run (a `-bench PairedSame` run),
// and a rejection row without its paired row keeps its subtraction while
// its neighbour takes the paired figure; half the API key target's rows
// is "not measured", never a silent gap.
func TestPairedSamePartial(t *testing.T) {
	res := mustParse(t,
		"BenchmarkPairedSame/apikey/path=success/impl=authgate-info-2 100 5000 ns/op 2700 authgate-ns/op 600 over-ns/op 2000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/apikey/path=success/impl=echo-keyauth-2 100 3000 ns/op 1650 echo-ns/op 650 over-ns/op 1000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkPairedSame/jwt/alg=ES256/path=expired/impl=authgate-cache-2 100 4000 ns/op 2800 authgate-ns/op 1800 over-ns/op 1000 floor-ns/op 0 B/op 0 allocs/op",
		"BenchmarkJWT/alg=ES256/path=bad_signature/impl=authgate-cache-2 1000 5000 ns/op 100 B/op 10 allocs/op",
		"BenchmarkFloorSame/jwt/alg=ES256/path=bad_signature-2 1000 1000 ns/op 100 B/op 10 allocs/op",
	)
	target := targetLine(res, "API key success, logger at info")
	if !strings.Contains(target, "authgate +600 ns, echo-keyauth +650 ns (by subtraction: not measured apart) | met |") {
		t.Errorf("target line %q", target)
	}
	wantAll(t, "target line", rejectionTarget(res), "JWT ES256 expired (cache, paired) +1.8 µs", "JWT ES256 bad_signature (cache) +4 µs", "**not met**")
	half := mustParse(t, "BenchmarkPairedSame/apikey/path=success/impl=echo-keyauth-2 100 3000 ns/op 1650 echo-ns/op 650 over-ns/op 1000 floor-ns/op 0 B/op 0 allocs/op")
	if l := targetLine(half, "API key success, logger at info"); !strings.Contains(l, "| not measured |") {
		t.Errorf("half the rows: target line %q", l)
	}
}

// mustParse parses the benchmark output lines.
func mustParse(t *testing.T, lines ...string) *results {
	t.Helper()
	res, err := parse(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// targetLine is the line of the targets table for res that holds what.
func targetLine(res *results, what string) string {
	var out bytes.Buffer
	writeTargets(&out, res)
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, what) {
			return l
		}
	}
	return ""
}

// rejectionTarget is the targets table's line of the ≤ 3 µs rejection
// target for res.
func rejectionTarget(res *results) string {
	return targetLine(res, "Every rejection ≤ 3 µs over the same-response floor")
}

// wantAll fails t for each of wants that text, named what, lacks.
func wantAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s %q\nlacks %q", what, text, w)
		}
	}
}
