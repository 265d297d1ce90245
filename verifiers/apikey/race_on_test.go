//go:build race

package apikey_test

// raceEnabled: sync.Pool drops items at random under the race detector,
// so allocation counts of pooled code (the fingerprint) are not checked then.
const raceEnabled = true
