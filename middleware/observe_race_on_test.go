//go:build race

package middleware_test

// raceEnabled: the race detector adds allocations of its own, so
// allocation counts are not checked then.
const raceEnabled = true
