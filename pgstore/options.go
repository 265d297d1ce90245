package pgstore

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// Defaults of the options.
const (
	// DefaultSchema is the PostgreSQL schema of the key table unless
	// WithSchema says otherwise.
	DefaultSchema = "authgate"
	// DefaultMaxStaleness is how long a Store keeps answering from its
	// replica after it lost the database (WithMaxStaleness).
	DefaultMaxStaleness = 5 * time.Minute
	// DefaultResyncInterval is how often a Store re-reads the whole table
	// while connected, as a safety net behind LISTEN/NOTIFY
	// (WithResyncInterval).
	DefaultResyncInterval = time.Minute
	// DefaultNegativeCacheSize and DefaultNegativeCacheTTL bound the cache
	// of ids found absent from the database (WithNegativeCache).
	DefaultNegativeCacheSize = 10000
	DefaultNegativeCacheTTL  = time.Minute
	// DefaultReadThroughLimit is how many lookups missing the replica may
	// query the database at once (WithReadThroughLimit).
	DefaultReadThroughLimit = 4
)

// MinInterval is the shortest maximum staleness, resync interval and
// negative-cache TTL the options accept: a shorter one is a unit mistake
// (WithResyncInterval(60) is 60 nanoseconds), which would re-read the
// whole table or ping the database in a loop, or answer 503 at the first
// hiccup, and is refused with ErrInvalidConfig.
const MinInterval = time.Second

// Timings that are not options.
const (
	// heartbeatMax is the longest a connected Store waits for a
	// notification before it checks the connection with a ping, which
	// confirms that the replica is current.
	heartbeatMax = 5 * time.Second
	// opTimeout bounds each statement on the listening connection (ping,
	// re-reading changed rows) and the connection attempts.
	opTimeout = 10 * time.Second
	// syncTimeout bounds one read of the whole table.
	syncTimeout = time.Minute
	// readTimeout bounds a read-through, waiting for a slot included.
	readTimeout = 2 * time.Second
	// backoffMin and backoffMax bound the wait between reconnection
	// attempts, doubled after each failure.
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// ErrInvalidConfig is wrapped by the errors of Open, Migrate and the
// Admin methods when an option's value is out of range.
var ErrInvalidConfig = errors.New("pgstore: invalid configuration")

// Option configures a Store, an Admin or Migrate. Each takes the options
// that concern it and ignores the others: all three need the same
// WithSchema.
type Option func(*config)

type config struct {
	schema       string
	maxStale     time.Duration
	resync       time.Duration
	negSize      int
	negTTL       time.Duration
	readLimit    int
	log          zerolog.Logger
	now          func() time.Time
	backoffMin   time.Duration
	backoffMax   time.Duration
	heartbeatMax time.Duration
	opTimeout    time.Duration
	minInterval  time.Duration // MinInterval, shorter in tests
}

func newConfig(opts []Option) (*config, error) {
	c := &config{
		schema: DefaultSchema, maxStale: DefaultMaxStaleness, resync: DefaultResyncInterval,
		negSize: DefaultNegativeCacheSize, negTTL: DefaultNegativeCacheTTL, readLimit: DefaultReadThroughLimit,
		log: zerolog.New(os.Stderr).With().Timestamp().Logger(), now: time.Now,
		backoffMin: backoffMin, backoffMax: backoffMax, heartbeatMax: heartbeatMax, opTimeout: opTimeout,
		minInterval: MinInterval,
	}
	for _, o := range opts {
		o(c)
	}
	if err := checkSchema(c.schema); err != nil {
		return nil, err
	}
	switch {
	case c.maxStale < c.minInterval:
		return nil, fmt.Errorf("%w: max staleness %s is under %s (a duration without its unit is nanoseconds)", ErrInvalidConfig, c.maxStale, c.minInterval)
	case c.resync < c.minInterval:
		return nil, fmt.Errorf("%w: resync interval %s is under %s (a duration without its unit is nanoseconds)", ErrInvalidConfig, c.resync, c.minInterval)
	case c.negSize < 1 || c.negTTL < c.minInterval:
		return nil, fmt.Errorf("%w: negative cache of %d entries for %s: the size must be positive and the TTL at least %s", ErrInvalidConfig, c.negSize, c.negTTL, c.minInterval)
	case c.readLimit < 1:
		return nil, fmt.Errorf("%w: read-through limit %d must be positive", ErrInvalidConfig, c.readLimit)
	case c.now == nil:
		return nil, fmt.Errorf("%w: clock is nil", ErrInvalidConfig)
	}
	return c, nil
}

// heartbeat is how long a connected Store waits for a notification before
// it pings: often enough that the replica's age, measured from the last
// ping, stays well inside the staleness limit.
func (c *config) heartbeat() time.Duration {
	return max(min(c.heartbeatMax, c.maxStale/4), time.Millisecond)
}

// WithSchema sets the PostgreSQL schema of the key table (DefaultSchema,
// "authgate", by default): 1 to 48 characters a-z 0-9 _, starting with a
// letter or _, and not pg_. Stores in different schemas of one database
// are independent: each listens on its own channel.
func WithSchema(name string) Option {
	return func(c *config) { c.schema = name }
}

// WithMaxStaleness (at least MinInterval) sets how long a Store keeps answering lookups from its
// replica once it can no longer reach the database (DefaultMaxStaleness,
// 5 minutes, by default). Within it, keys keep working as they were when
// the connection was lost, and revocations made meanwhile wait for the
// connection to come back. Past it, Lookup and Ready return an error
// wrapping ErrStale, and the apikey verifier answers 503
// verifier_unavailable: a key revoked during a long outage is refused
// rather than accepted indefinitely. The limit bounds how long a revoked
// key can keep working during an outage.
func WithMaxStaleness(d time.Duration) Option {
	return func(c *config) { c.maxStale = d }
}

// WithResyncInterval (at least MinInterval) sets how often a connected Store re-reads the whole
// table (DefaultResyncInterval, 1 minute, by default), a safety net for a
// change whose notification was lost. A Store also re-reads the table
// after every reconnection.
func WithResyncInterval(d time.Duration) Option {
	return func(c *config) { c.resync = d }
}

// WithNegativeCache bounds the cache of ids that a read-through found
// absent from the database: at most size ids (DefaultNegativeCacheSize),
// each remembered for ttl (DefaultNegativeCacheTTL, at least MinInterval). A flood of requests
// with unknown ids then costs the database one query per distinct id and
// TTL. A key created meanwhile is found as soon as its notification
// arrives.
func WithNegativeCache(size int, ttl time.Duration) Option {
	return func(c *config) { c.negSize, c.negTTL = size, ttl }
}

// WithReadThroughLimit sets how many lookups that miss the replica may
// query the database at once (DefaultReadThroughLimit); others wait,
// within their request's context and a 2-second limit, then fail with a
// 503; beyond 16 waiting per allowed query, a lookup fails at once
// (ErrReadThroughBusy, a 503).
func WithReadThroughLimit(n int) Option {
	return func(c *config) { c.readLimit = n }
}

// WithLogger sets the logger of the Store's connection events: one line
// at error level when it loses the database, one at info when it is back.
// By default it logs JSON to standard error. No key, secret or hash is
// ever logged; ids are.
func WithLogger(l zerolog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithClock sets the function giving the current time (time.Now by
// default), used for the replica's age and the creation times Admin
// writes; for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}
