package bearer

import "fmt"

// A single flight's function runs on a goroutine of singleflight's, which
// panics again on a goroutine of its own when the function panics: no
// recover of the caller (the gate turns a verifier's panic into a 503)
// could reach it, and the process would end. So each flight function
// recovers, and every caller panics again on its own goroutine.

// flightPanic carries a panic out of a flight function to its callers.
type flightPanic struct{ value any }

func (p *flightPanic) Error() string {
	return fmt.Sprintf("bearer: panic in a single flight (%T)", p.value)
}

// recoverFlight, deferred by a flight function with a named error result,
// turns a panic into a *flightPanic.
func recoverFlight(err *error) {
	if p := recover(); p != nil {
		*err = &flightPanic{value: p}
	}
}

// repanic panics with the value of a *flightPanic, on the caller's
// goroutine; any other error is left to the caller.
func repanic(err error) {
	if p, ok := err.(*flightPanic); ok {
		panic(p.value)
	}
}
