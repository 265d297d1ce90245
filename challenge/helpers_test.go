package challenge_test

import (
	"fmt"
	"strings"

	"github.com/authgate/authgate/challenge"
)

// same reports whether a and b are the same challenge, byte for byte, with
// a nil and an empty Params slice treated alike.
func same(a, b challenge.Challenge) bool {
	if a.Scheme != b.Scheme || a.Token68 != b.Token68 || len(a.Params) != len(b.Params) {
		return false
	}
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			return false
		}
	}
	return true
}

func sameList(a, b []challenge.Challenge) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !same(a[i], b[i]) {
			return false
		}
	}
	return true
}

// show renders challenges for failure messages.
func show(cs ...challenge.Challenge) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "{Scheme:%q Token68:%q Params:%q}", c.Scheme, c.Token68, c.Params)
	}
	return b.String()
}

// headerSafe returns the offset of the first byte of s that is not SP or
// visible ASCII, or -1.
func headerSafe(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return i
		}
	}
	return -1
}

// messageSafe returns the offset of the first byte of an error message that
// is a control character or non-ASCII, not counting the '§' of the RFC
// section references the package writes itself, or -1.
func messageSafe(msg string) int {
	return headerSafe(strings.ReplaceAll(msg, "§", "S"))
}
