package basic

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// medianGap measures pairs of verifications, an unknown user and a wrong
// password, back to back and alternating in order, and returns both
// medians and the gap: how far the median of the per-pair ratios
// unknown/wrong is from 1. Comparing each sample with its neighbour
// cancels the slow swings in speed of a machine shared with other work,
// which shift both sets' medians alike only on average.
func medianGap(t *testing.T, v *Verifier, pairs int) (unknown, wrong time.Duration, gap float64) {
	t.Helper()
	us := make([]time.Duration, 0, pairs)
	ws := make([]time.Duration, 0, pairs)
	measure := func(user, pw string, want verifiers.Reason) time.Duration {
		r := basicReq(user, pw)
		start := time.Now()
		_, err := v.Verify(r)
		d := time.Since(start)
		if rej := rejection(t, err); rej.Reason != want {
			t.Fatalf("%s: %s, want %s", user, rej.Reason, want)
		}
		return d
	}
	ratios := make([]float64, 0, pairs)
	for i := range pairs {
		pw := fmt.Sprintf("guess-%d", i) // fresh each time: nothing to share or cache
		if i%2 == 0 {
			us = append(us, measure("mallory", pw, verifiers.UserUnknown))
			ws = append(ws, measure("alice", pw, verifiers.PasswordMismatch))
		} else {
			ws = append(ws, measure("alice", pw, verifiers.PasswordMismatch))
			us = append(us, measure("mallory", pw, verifiers.UserUnknown))
		}
		ratios = append(ratios, float64(us[i])/float64(ws[i]))
	}
	slices.Sort(us)
	slices.Sort(ws)
	unknown, wrong = us[len(us)/2], ws[len(ws)/2]
	slices.Sort(ratios)
	r := ratios[len(ratios)/2]
	return unknown, wrong, max(r, 1/r) - 1
}

// TestTiming_B7_unknown_user_like_wrong_password checks that an unknown
// user takes as long as a wrong password, within 10% (median of 31
// interleaved pairs). Not
// parallel: it runs alone among this package's tests. On a noisy machine a
// measurement may be off, so it is retried up to 3 times.
func TestTiming_B7_unknown_user_like_wrong_password(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	m, err := NewMemory(map[string]string{
		"alice": bcryptHash(t, "correct", timingCost),
		"bob":   bcryptHash(t, "x", 4), // a cheaper hash must not lower the decoy
	})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, m)
	medianGap(t, v, 2) // warm up
	const pairs = 31
	for attempt := 1; attempt <= 3; attempt++ {
		u, w, gap := medianGap(t, v, pairs)
		t.Logf("attempt %d: median unknown user %v, wrong password %v, median pair ratio off by %.1f%%", attempt, u, w, gap*100)
		if gap <= 0.10 {
			return
		}
	}
	t.Fatal("unknown-user and wrong-password times differ by more than 10% in 3 measurements")
}

// weakDecoySource is a Memory whose decoy is far cheaper than its hashes:
// what the timing test must catch.
type weakDecoySource struct{ *Memory }

func (weakDecoySource) Decoy() *Hash { return bcryptDecoy(4) }

func (s weakDecoySource) Lookup(ctx context.Context, u string) (*Hash, error) {
	return s.Memory.Lookup(ctx, u)
}

// TestTiming_measurement_detects_weak_decoy shows that medianGap sees the
// difference when the decoy is cheaper than the real hash, so the timing
// test above can fail.
func TestTiming_measurement_detects_weak_decoy(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	// The real hash is 2 costs above the timing cost (at least 8 times the
	// cost-4 decoy's work), so that the gap stands out even when other
	// packages' tests load the machine at the same time.
	cost := timingCost + 2
	m, err := NewMemory(map[string]string{"alice": bcryptHash(t, "correct", cost)})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, weakDecoySource{m})
	u, w, gap := medianGap(t, v, 9)
	t.Logf("weak decoy: median unknown user %v, wrong password %v, gap %.0f%%", u, w, gap*100)
	if gap < 0.5 {
		t.Errorf("a cost-4 decoy against cost-%d hashes gave a gap of only %.0f%%", cost, gap*100)
	}
}
