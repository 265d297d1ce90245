//go:build race

package basic

// The race detector slows bcrypt about eightfold, so the timing tests use
// a lower cost under it: cost 5 then takes as long as cost 8 without it,
// and the hash still dominates a verification by orders of magnitude.
const timingCost = 5

// raceEnabled: under the race detector sync.Pool drops items at random,
// so allocation counts of pooled code are not meaningful.
const raceEnabled = true
