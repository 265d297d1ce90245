package redisstore

// useRedis reports whether a call should go to Redis: always while Redis
// answers; once it is lost, only one call at a time, once the retry
// interval has passed since the last try.
func (s *FailureStore) useRedis() bool {
	if !s.down.Load() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down.Load() {
		return true
	}
	if s.probing || s.now().Before(s.next) {
		return false
	}
	s.probing = true
	return true
}

// settle records the outcome of a call to Redis (err nil: it answered)
// and reports whether its answer may be used. The first error after
// Redis answered logs at error level and turns to local counting; the
// first answer after that logs at info level and shares again. Calls are
// bounded by the store's timeout only (run), never cut short by the
// request, so every error says something about Redis.
func (s *FailureStore) settle(err error) bool {
	if err == nil && !s.down.Load() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case err == nil:
		if s.down.Load() {
			s.down.Store(false)
			s.log.Info().Str("store", "failures").Dur("down_for", now.Sub(s.since)).
				Msg("redisstore: Redis answers again; failure counts are shared again")
		}
		s.probing = false
		return true
	case !s.down.Load():
		s.down.Store(true)
		s.since = now
		s.log.Error().Str("store", "failures").Err(err).Dur("retry_in", s.retry).
			Msg("redisstore: Redis unreachable; counting failures locally, per instance, until it answers")
	}
	s.probing = false
	s.next = now.Add(s.retry)
	return false
}
