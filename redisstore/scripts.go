package redisstore

import "github.com/redis/go-redis/v9"

// The FailureStore's scripts: each call is one of them, so one round trip
// and atomic. A count is the key's value, its window the key's expiry.
var (
	// failuresScript returns {count, ms left} of KEYS[1], {0, 0} when
	// none. A key without an expiry (not written by failScript) answers
	// -1 as ms left, and is not believed.
	failuresScript = redis.NewScript(`
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
return {tonumber(n), redis.call('PTTL', KEYS[1])}
`)

	// pairFailuresScript is failuresScript of KEYS[1] and KEYS[2]: a
	// client address and a pair, read in one round trip.
	pairFailuresScript = redis.NewScript(`
local out = {0, 0, 0, 0}
for i = 1, 2 do
  local n = redis.call('GET', KEYS[i])
  if n then
    out[2*i-1] = tonumber(n)
    out[2*i] = redis.call('PTTL', KEYS[i])
  end
end
return out
`)

	// failScript counts one failure of KEYS[1] and returns {count, ms
	// left}. The first failure starts the window of ARGV[1] ms: the key
	// expires with it, and the next failure starts a new one. A key found
	// without an expiry gets one, so that no count outlives its window.
	failScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if n == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
`)
)
