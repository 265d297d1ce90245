package basic

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

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
	m, err := NewMemoryStore(map[string]string{
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

// weakDecoyStore is a MemoryStore whose decoy is far cheaper than its hashes:
// what the timing test must catch.
type weakDecoyStore struct{ *MemoryStore }

func (weakDecoyStore) Decoy() *Hash { return bcryptDecoy(4) }

func (s weakDecoyStore) Lookup(ctx context.Context, u string) (*Hash, error) {
	return s.MemoryStore.Lookup(ctx, u)
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
	m, err := NewMemoryStore(map[string]string{"alice": bcryptHash(t, "correct", cost)})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, weakDecoyStore{m})
	u, w, gap := medianGap(t, v, 9)
	t.Logf("weak decoy: median unknown user %v, wrong password %v, gap %.0f%%", u, w, gap*100)
	if gap < 0.5 {
		t.Errorf("a cost-4 decoy against cost-%d hashes gave a gap of only %.0f%%", cost, gap*100)
	}
}

// timedUser is a user measured by medianRatios, with the reason its wrong
// password gets.
type timedUser struct {
	name string
	want verifiers.Reason
}

// medianRatios measures rounds of one verification per user, back to back,
// the order rotating each round, and returns for each user after the
// first the median over rounds of its time divided by the first user's
// time in the same round (as medianGap does for a pair), and each user's
// median time.
func medianRatios(t *testing.T, v *Verifier, users []timedUser, rounds int) (ratios []float64, medians []time.Duration) {
	t.Helper()
	times := make([][]time.Duration, len(users))
	rs := make([][]float64, len(users))
	round := make([]time.Duration, len(users))
	for i := range rounds {
		pw := fmt.Sprintf("guess-%d", i)
		for j := range users {
			k := (i + j) % len(users)
			r := basicReq(users[k].name, pw)
			start := time.Now()
			_, err := v.Verify(r)
			round[k] = time.Since(start)
			if rej := rejection(t, err); rej.Reason != users[k].want {
				t.Fatalf("%s: %s, want %s", users[k].name, rej.Reason, users[k].want)
			}
		}
		for k := range users {
			times[k] = append(times[k], round[k])
			rs[k] = append(rs[k], float64(round[k])/float64(round[0]))
		}
	}
	for k := range users {
		slices.Sort(times[k])
		slices.Sort(rs[k])
		medians = append(medians, times[k][len(times[k])/2])
		if k > 0 {
			ratios = append(ratios, rs[k][len(rs[k])/2])
		}
	}
	return ratios, medians
}

// mixedCostFile is an htpasswd file like one that htpasswd -B started
// (cost 5, here the cheap cost) and later entries raised: bob is 3 costs
// (8 times) cheaper than alice.
func mixedCostFile(t *testing.T) *FileStore {
	t.Helper()
	cheap := max(timingCost-3, 4)
	p := writeFile(t, "users.htpasswd", "alice:"+bcryptHash(t, "correct", timingCost)+"\nbob:"+bcryptHash(t, "correct", cheap)+"\n")
	f, err := OpenFileStore(p, WithFileLogger(zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var mixedUsers = []timedUser{{"mallory", verifiers.UserUnknown}, {"bob", verifiers.PasswordMismatch}, {"alice", verifiers.PasswordMismatch}}

// TestTiming_B7_mixed_costs checks the promise for a file with mixed
// costs: an unknown user, a wrong password of the cheap user and a wrong
// password of the expensive user all take as long, within 1.25× (median
// of 31 interleaved rounds): the cheap user's check is padded to the
// decoy's cost. Retried up to 3 times on a noisy machine, like the test
// above.
func TestTiming_B7_mixed_costs(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	v := newVerifier(t, mixedCostFile(t))
	medianRatios(t, v, mixedUsers, 2) // warm up
	for attempt := 1; attempt <= 3; attempt++ {
		ratios, medians := medianRatios(t, v, mixedUsers, 31)
		t.Logf("attempt %d: median unknown %v, cheap user %v, expensive user %v; ratios to unknown %.2f, %.2f",
			attempt, medians[0], medians[1], medians[2], ratios[0], ratios[1])
		ok := true
		for _, r := range ratios {
			ok = ok && r <= 1.25 && r >= 1/1.25
		}
		if ok {
			return
		}
	}
	t.Fatal("unknown user, cheap user and expensive user differ by more than 1.25x in 3 measurements")
}

// TestTiming_measurement_detects_unpadded_cheap_user shows that
// medianRatios sees the cheap user when padding is off, so the test above
// can fail: without padding the cheap check takes about 1/8 of the
// decoy's (1/2 under -race, where the cheap cost is bcrypt's minimum, 4),
// and anything under 0.8 fails the 1.25x rule; 0.7 leaves a margin.
func TestTiming_measurement_detects_unpadded_cheap_user(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	v := newVerifier(t, mixedCostFile(t))
	v.noPad = true
	ratios, medians := medianRatios(t, v, mixedUsers, 9)
	t.Logf("unpadded: median unknown %v, cheap user %v, expensive user %v; ratios %.2f, %.2f", medians[0], medians[1], medians[2], ratios[0], ratios[1])
	if ratios[0] > 0.7 {
		t.Errorf("the unpadded cheap user took %.2f of the unknown user's time, want a clear gap", ratios[0])
	}
}
