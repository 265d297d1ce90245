//go:build race

package bearer

const raceEnabled = true
