//go:build !race

package authgateotel_test

const raceEnabled = false
