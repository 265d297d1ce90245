package redisstore

import "time"

// SecretCheckTimes sets the interval between the secret checks of s (a
// *FailureStore or a *ReplayStore) and how long a fingerprint counts.
func SecretCheckTimes(s any, interval, ttl time.Duration) {
	sc := secretCheckOf(s)
	sc.interval, sc.ttl = interval, ttl
}

func secretCheckOf(s any) *secretCheck {
	switch s := s.(type) {
	case *FailureStore:
		return s.check
	case *ReplayStore:
		return s.check
	}
	panic("not a store")
}
