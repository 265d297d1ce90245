//go:build !race

package basic

// timingCost is high enough that the hash dominates a verification (about
// 15 to 35 ms here), low enough to keep the test near a few seconds.
const timingCost = 8

const raceEnabled = false
