package redisstore

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
)

// Defaults of the options.
const (
	// DefaultFailurePrefix and DefaultReplayPrefix begin the names of
	// FailureStore's and ReplayStore's keys unless WithPrefix says
	// otherwise.
	DefaultFailurePrefix = "authgate:fail:"
	DefaultReplayPrefix  = "authgate:dpop:"
	// DefaultTimeout bounds each Redis call (WithTimeout): a failure
	// store that does not answer within it counts locally, a replay store
	// returns an error.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultRetryInterval is how long a FailureStore counting locally
	// waits before it tries Redis again (WithRetryInterval).
	DefaultRetryInterval = time.Second
)

// MinDuration is the shortest timeout and retry interval the options
// accept: a shorter one is a unit mistake (WithTimeout(50) is 50
// nanoseconds), with which every call would time out and the limit
// silently stop being shared.
const MinDuration = time.Millisecond

// MinSecretLength is the shortest secret the stores accept, in bytes.
const MinSecretLength = 16

// ErrInvalidConfig is wrapped by the errors of NewFailureStore and
// NewReplayStore when an argument or an option is out of range.
var ErrInvalidConfig = errors.New("redisstore: invalid configuration")

// Option configures a FailureStore or a ReplayStore. Each takes the
// options that concern it and ignores the others.
type Option func(*config)

type config struct {
	prefix     string
	prefixSet  bool
	timeout    time.Duration
	retry      time.Duration
	log        zerolog.Logger
	now        func() time.Time
	maxTracked int
}

// WithPrefix sets the beginning of the store's key names, so that
// several applications (or tests) can share one Redis. Every instance
// of one fleet must use the same prefix and the same secret.
func WithPrefix(p string) Option {
	return func(c *config) { c.prefix, c.prefixSet = p, true }
}

// WithTimeout bounds each Redis call of the store (DefaultTimeout by
// default, at least MinDuration). Keep it short: a request waits for it.
// The bound includes dialing when the client has no idle connection (the
// first calls after start, or after a cut): with TLS or a distant Redis,
// ping the client once at start (client.Ping) so that the first requests
// do not pay for the handshake, or allow for it in d.
// The secret check (see the package documentation) is a call of its own,
// made after a call Redis answered, at most every 10 minutes: the request
// that makes it waits for two calls.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithRetryInterval sets how long a FailureStore that lost Redis counts
// locally before the next request tries Redis again
// (DefaultRetryInterval by default, at least MinDuration).
func WithRetryInterval(d time.Duration) Option {
	return func(c *config) { c.retry = d }
}

// WithLogger sends the store's events to l instead of JSON lines on
// os.Stderr: a FailureStore's two (Redis lost, Redis back), and either
// store's error when another instance uses its prefix with a different
// secret (see the package documentation, "One secret per fleet").
func WithLogger(l zerolog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithClock sets the clock of the store's local counts and retry
// interval, of ReplayStore's check of until, and of the secret check's
// interval (time.Now by default), for tests. Redis keeps time for the shared counts.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithLocalMaxTracked bounds the keys a FailureStore counts in memory
// beside Redis (middleware.DefaultMaxTracked by default); see
// middleware.NewMemoryFailureStore.
func WithLocalMaxTracked(n int) Option {
	return func(c *config) { c.maxTracked = n }
}

func newConfig(client redis.UniversalClient, secret []byte, prefix string, opts []Option) (*config, error) {
	c := &config{
		prefix: prefix, timeout: DefaultTimeout, retry: DefaultRetryInterval,
		log: zerolog.New(os.Stderr).With().Timestamp().Logger(), now: time.Now,
		maxTracked: middleware.DefaultMaxTracked,
	}
	for _, o := range opts {
		o(c)
	}
	switch {
	case client == nil:
		return nil, fmt.Errorf("%w: a nil Redis client", ErrInvalidConfig)
	case len(secret) < MinSecretLength:
		return nil, fmt.Errorf("%w: the secret is %d bytes, at least %d are needed (32 random bytes, the same on every instance)",
			ErrInvalidConfig, len(secret), MinSecretLength)
	case c.prefixSet && c.prefix == "":
		return nil, fmt.Errorf("%w: an empty key prefix", ErrInvalidConfig)
	case c.timeout < MinDuration:
		return nil, fmt.Errorf("%w: timeout %v is under %v (a duration without its unit is nanoseconds)", ErrInvalidConfig, c.timeout, MinDuration)
	case c.retry < MinDuration:
		return nil, fmt.Errorf("%w: retry interval %v is under %v (a duration without its unit is nanoseconds)", ErrInvalidConfig, c.retry, MinDuration)
	case c.maxTracked <= 0:
		return nil, fmt.Errorf("%w: local max tracked %d is not positive", ErrInvalidConfig, c.maxTracked)
	}
	if err := checkClient(client); err != nil {
		return nil, err
	}
	return c, nil
}

// checkClient refuses a client that would not bound a call by its
// context's deadline: without ContextTimeoutEnabled, go-redis waits for a
// reply for its ReadTimeout (3 s by default) whatever the context says.
func checkClient(client redis.UniversalClient) error {
	var on, isNil bool
	switch c := client.(type) {
	case *redis.Client:
		isNil = c == nil
		on = !isNil && c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		isNil = c == nil
		on = !isNil && c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		isNil = c == nil
		on = !isNil && c.Options().ContextTimeoutEnabled
	default:
		return fmt.Errorf("%w: a Redis client of type %T: use a *redis.Client, *redis.ClusterClient or *redis.Ring", ErrInvalidConfig, client)
	}
	if isNil {
		return fmt.Errorf("%w: a nil Redis client", ErrInvalidConfig)
	}
	if !on {
		return fmt.Errorf("%w: the Redis client needs ContextTimeoutEnabled: true in its options, so that the store's timeout bounds each call", ErrInvalidConfig)
	}
	return nil
}
