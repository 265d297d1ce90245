// Package redisstore keeps authgate's shared state in Redis, so that a
// fleet of gates behind one load balancer acts as one.
//
// FailureStore holds the counts of the gate's failed-attempt limit
// (middleware.WithFailureLimit): given to every instance with
// middleware.WithFailureStore, it makes the limit global, so a client
// that spreads its guesses over N instances gets the budget of one.
// Each call is one atomic Lua script (one round trip); keys expire with
// their window. When Redis cannot be reached or is slow, each instance
// counts locally until it answers again, logging once each way: the
// limit never fails closed, and never turns into a 5xx.
//
// ReplayStore records the DPoP proof identifiers a bearer verifier has
// seen (SET NX with the key's expiry), so a proof replayed to another
// instance is refused. It fails closed: when Redis cannot be reached, Use
// returns an error, which the verifier answers with 503.
//
// Neither store writes a credential, a principal, an API key id, a user
// name or a client address to Redis: a key name is the store's prefix
// and the hex HMAC-SHA256, under a secret every instance shares, of what
// it counts, and a value is a count (or "1"). The secret keeps the names
// from being reversed by hashing guesses (an address space is small).
//
// # One secret per fleet
//
// Instances given different secrets name the same client's keys
// differently, so they would silently count apart, and a ReplayStore
// would not see the proofs another instance recorded. Each store
// therefore adds a fingerprint of its secret (the hex HMAC-SHA256, under
// it, of a fixed text) to the sorted set named by its prefix,
// "secret-check:" and its kind ("failures" or "replay": the two kinds may
// have secrets of their own), after its first call that Redis answers and
// then at most every 10 minutes (that request waits for one round trip
// more, bounded by the timeout), and logs at error level when the set
// holds another fingerprint seen in the last 30 minutes. The check never
// fails a call, and a Redis that does not answer is not asked.
//
// Both stores need a go-redis client with ContextTimeoutEnabled, so that
// the per-call timeout bounds the network wait and not only the wait for
// a pooled connection. FailureStore takes one server's *redis.Client
// (Sentinel's failover client is one); ReplayStore, whose calls touch
// one key each, also takes a Cluster or Ring client.
package redisstore
