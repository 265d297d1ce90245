//go:build race

package verifiers_test

// raceEnabled: sync.Pool drops items at random under the race detector,
// so allocation counts of pooled code are not checked then.
const raceEnabled = true
