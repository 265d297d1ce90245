//go:build !race

package verifiers_test

const raceEnabled = false
