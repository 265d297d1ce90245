package verifiers_test

import (
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestFingerprinterSum: equal parts give equal sums, the framing keeps
// lists of parts apart, two Fingerprinters disagree, and a long part (over
// the internal buffer) hashes like any other.
func TestFingerprinterSum(t *testing.T) {
	t.Parallel()
	f := verifiers.NewFingerprinter()
	a, b := f.Sum("alice", "pw"), f.Sum("alice", "pw")
	if a != b {
		t.Error("Sum is not deterministic")
	}
	pairs := [][2][]string{
		{{"ab", "c"}, {"a", "bc"}},
		{{"a\x00b"}, {"a", "b"}},
		{{""}, {}},
		{{"", ""}, {""}},
	}
	for _, p := range pairs {
		if f.Sum(p[0]...) == f.Sum(p[1]...) {
			t.Errorf("Sum(%q) == Sum(%q)", p[0], p[1])
		}
	}
	if verifiers.NewFingerprinter().Sum("x") == f.Sum("x") {
		t.Error("two Fingerprinters share a key")
	}
	long := strings.Repeat("0123456789", 100)
	l1, l2 := f.Sum(long), f.Sum(long)
	if l1 == f.Sum(long[:999]) || l1 != l2 {
		t.Error("long parts")
	}
	fp := f.Fingerprint("ak_live_canary")
	if len(fp) != 16 || strings.Trim(fp, "0123456789abcdef") != "" || fp != f.Fingerprint("ak_live_canary") || fp == f.Fingerprint("ak_live_canarz") {
		t.Errorf("Fingerprint %q", fp)
	}
}

// TestFingerprinterAllocs: Sum does not allocate, so that the Basic cache
// can key every request by it.
func TestFingerprinterAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	f := verifiers.NewFingerprinter()
	user, pw := "alice", strings.Repeat("p", 200)
	f.Sum(user, pw)
	if n := testing.AllocsPerRun(100, func() { _ = f.Sum(user, pw) }); n != 0 {
		t.Errorf("Sum allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = f.Fingerprint(pw) }); n > 1 {
		t.Errorf("Fingerprint allocates %v times, want 1 (its string)", n)
	}
}

func BenchmarkFingerprinterSum(b *testing.B) {
	f := verifiers.NewFingerprinter()
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Sum("alice", "correct horse battery staple")
	}
}

func BenchmarkFingerprinterFingerprint(b *testing.B) {
	f := verifiers.NewFingerprinter()
	b.ReportAllocs()
	for b.Loop() {
		_ = f.Fingerprint("ak_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEF")
	}
}
