// Package pgstore keeps authgate's API keys in PostgreSQL and serves them
// to every instance of a service: a key revoked on one instance is
// refused by all of them within a second.
//
//	pool, err := pgxpool.New(ctx, "postgres://authgate@db.internal/api")
//	err = pgstore.Migrate(ctx, pool)                 // once, or pgstore.SchemaSQL in your migrations
//	store, err := pgstore.Open(ctx, pool)            // loads the keys; an error if the database is down
//	defer store.Close()
//	keys, err := apikey.New(store, apikey.WithEnvironment("live"))
//	r.With(gate.Require(keys)).Get("/v1/reports", reports)
//
// Tools manage keys through an Admin (NewAdmin): Create, Revoke, Get, List
// and Rotate.
//
// # The table
//
// One table, api_keys, in a schema of its own ("authgate" by default,
// WithSchema). A row holds what a key file line holds and never a secret:
// the key's public id, the SHA-256 of its secret, its subject, scopes and
// environment, its creation, expiry and revocation times, and the time of
// its last change. SchemaSQL returns the SQL; a trigger notifies every
// change on a LISTEN/NOTIFY channel named after the schema.
//
// # No database on the hot path
//
// A Store answers Lookup from a replica of the table in memory: a lookup
// costs what apikey.MemoryStore's does. The replica is read whole by
// Open, kept current by the trigger's notifications (each one makes the
// Store re-read the changed row, within milliseconds), read whole again
// after every reconnection and every minute (WithResyncInterval) in case
// a notification was lost. A lookup of an id the replica lacks reads the
// row from the database once (a key created a moment ago); an id absent
// there too is remembered as absent for a minute (WithNegativeCache), and
// concurrent lookups of one id share one query, so a flood of random ids
// costs the database one query per distinct id.
//
// # When the database is unreachable
//
// Open fails. A Store that loses its connection later keeps answering
// from its replica, as the table was when the connection was lost, for
// at most the maximum staleness (WithMaxStaleness, 5 minutes by default),
// logs once at error level, and reconnects with backoff. Past the limit,
// Lookup fails with ErrStale, which the apikey verifier answers with 503
// verifier_unavailable, never 401: the Store cannot tell whether the key
// was revoked meanwhile. When the connection is back, the Store reads the
// table again, so revocations made during the outage apply, and logs once
// at info level. Ready reports the same state, for readiness probes.
package pgstore
