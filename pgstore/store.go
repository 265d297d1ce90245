package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/authgate/authgate/internal/cache"
	"github.com/authgate/authgate/verifiers/apikey"
)

var (
	// ErrStale is wrapped by the errors of Lookup and Ready when the
	// Store has been cut off from the database for longer than its
	// maximum staleness (WithMaxStaleness): its replica may miss
	// revocations, so it no longer answers. The apikey verifier turns it
	// into 503 verifier_unavailable.
	ErrStale = errors.New("pgstore: the key replica is past its maximum staleness")
	// ErrClosed is wrapped by the errors of Lookup and Ready after Close.
	ErrClosed = errors.New("pgstore: store closed")
	// ErrReadThroughBusy is wrapped by the error of a Lookup that missed
	// the replica while the read-throughs running and waiting are at
	// their bound (WithReadThroughLimit, and 16 times as many waiting):
	// the apikey verifier answers 503 at once instead of holding the
	// request for the wait.
	ErrReadThroughBusy = errors.New("pgstore: too many lookups are reading keys through to the database")
)

// errNilPool is the error of Open, Migrate and the Admin methods given a
// nil pool, instead of a panic.
var errNilPool = fmt.Errorf("%w: a nil *pgxpool.Pool", ErrInvalidConfig)

// errNotFound is what Lookup returns for an id the store does not hold.
var errNotFound = fmt.Errorf("pgstore: %w", apikey.ErrNotFound)

// Store is an apikey.Store over a PostgreSQL table, serving lookups from
// an in-process replica of it, kept current by LISTEN/NOTIFY. Make one
// with Open; it is safe for concurrent use. Close it when done.
type Store struct {
	pool *pgxpool.Pool
	cfg  *config

	// recs is the replica: a map from id to record that is never
	// modified once published. A change publishes a modified copy, so a
	// lookup is one atomic load and one map read, with no lock: changes
	// are rare, lookups are every request. A record is kept while its row
	// is unchanged, so that the verifier reuses the Identity it built
	// for it.
	recs atomic.Pointer[map[string]*apikey.Record]
	// wmu serialises writes to recs and gen between the listener and
	// read-throughs; gen counts the listener's writes, so that a
	// read-through that raced with one does not overwrite it.
	wmu sync.Mutex
	gen atomic.Uint64

	// healthy is true while the listener is connected and the replica
	// current; lastContact (UnixNano by cfg.now) is when it last
	// confirmed so.
	healthy     atomic.Bool
	closed      atomic.Bool
	lastContact atomic.Int64

	// watch fires when the replica has gone unconfirmed for the maximum
	// staleness: a listener stuck on a connection that went silent
	// (its ping or read waits for opTimeout, a read of the table up to
	// syncTimeout) would otherwise keep the Store healthy, and serving,
	// past the limit. Each touch pushes it back.
	watch *time.Timer

	neg     *cache.Cache[string, struct{}]
	flights singleflight.Group
	slots   chan struct{}
	waiting atomic.Int64 // read-throughs waiting for a slot

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// Open loads the key table of the schema of WithSchema into memory and
// returns a Store answering from it, kept current from then on. It takes
// one connection of pool for itself (out of the pool: it listens for
// changes), and uses the pool for read-throughs. It returns an error if
// the database cannot be reached or the table is missing (run Migrate
// first); the error names the server's address, never the connection
// string's password.
func Open(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, errNilPool
	}
	s := &Store{
		pool:  pool,
		cfg:   c,
		neg:   cache.New[string, struct{}](c.negSize, c.negTTL, c.now),
		slots: make(chan struct{}, c.readLimit),
		done:  make(chan struct{}),
	}
	s.recs.Store(&map[string]*apikey.Record{})
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open the key store %s.api_keys at %s: %w", c.schema, addr(pool), err)
	}
	s.watch = time.AfterFunc(c.maxStale, s.checkStale)
	s.touch()
	s.healthy.Store(true)
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.run(lctx, conn)
	return s, nil
}

// Lookup returns the record with id from the replica. An id the replica
// lacks is read from the database once (a key created a moment ago, whose
// notification has not arrived), and remembered as absent for a while
// when the database lacks it too (WithNegativeCache); concurrent lookups
// of one id share the query. It returns an error wrapping
// apikey.ErrNotFound for an unknown id, and another error (503 for the
// verifier) when it cannot tell: the database unreachable on a
// read-through, the replica past its maximum staleness (ErrStale), the
// Store closed (ErrClosed).
func (s *Store) Lookup(ctx context.Context, id string) (*apikey.Record, error) {
	if !s.healthy.Load() {
		if err := s.unavailable(); err != nil {
			return nil, err
		}
	}
	if r, ok := (*s.recs.Load())[id]; ok {
		return r, nil
	}
	return s.miss(ctx, id)
}

// Ready reports whether the Store can decide lookups: nil while its
// replica is current or within the maximum staleness, an error wrapping
// ErrStale past it and ErrClosed after Close. It implements
// verifiers.Readier, for readiness probes.
func (s *Store) Ready(context.Context) error {
	if s.healthy.Load() {
		return nil
	}
	return s.unavailable()
}

// Close stops listening, closes the Store's own connection and waits for
// its goroutine to end. Lookups fail with ErrClosed afterwards. It does
// not close the pool. Calling it again does nothing.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.healthy.Store(false)
		s.cancel()
		<-s.done
		s.watch.Stop()
		// Again: the listener may have marked the Store healthy between
		// the first store and its end.
		s.healthy.Store(false)
	})
}

// unavailable returns the error of a lookup by a Store that is not
// healthy: nil within the staleness limit.
func (s *Store) unavailable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	last := time.Unix(0, s.lastContact.Load())
	if age := s.cfg.now().Sub(last); age > s.cfg.maxStale {
		return fmt.Errorf("pgstore: the key store's database has been unreachable since %s (%s ago, over the %s limit): %w",
			last.UTC().Format(time.RFC3339), age.Round(time.Second), s.cfg.maxStale, ErrStale)
	}
	return nil
}

// touch records that the replica was confirmed current now, and pushes
// the watch back. Only the listener calls it (and Open before it starts).
func (s *Store) touch() {
	s.lastContact.Store(s.cfg.now().UnixNano())
	s.watch.Reset(s.cfg.maxStale)
}

// checkStale, the watch's function, marks the Store unhealthy when its
// replica has gone unconfirmed for the maximum staleness, so that
// lookups answer ErrStale even while the listener is still waiting on a
// silent connection. The listener marks it healthy again when the
// connection answers.
func (s *Store) checkStale() {
	if s.cfg.now().Sub(time.Unix(0, s.lastContact.Load())) >= s.cfg.maxStale {
		s.healthy.Store(false)
	}
}

// miss answers a lookup that the replica cannot.
func (s *Store) miss(ctx context.Context, id string) (*apikey.Record, error) {
	if !plausibleID(id) {
		return nil, errNotFound
	}
	if _, ok := s.neg.Get(id); ok {
		return nil, errNotFound
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: look up key %s: %w", id, err)
	}
	// The query runs detached from the first caller's context, so that
	// its cancellation does not fail the lookups sharing the query.
	ch := s.flights.DoChan(id, func() (any, error) {
		// A flight for id that ended between this lookup's checks and
		// DoChan has filled the replica or the negative cache: look
		// again before querying, so that one id costs one query.
		if r, ok := (*s.recs.Load())[id]; ok {
			return r, nil
		}
		if _, ok := s.neg.Get(id); ok {
			return nil, errNotFound
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
		defer cancel()
		return s.readThrough(rctx, id)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*apikey.Record), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("pgstore: look up key %s: %w", id, ctx.Err())
	}
}

// waitersPerSlot bounds the read-throughs waiting for a slot, per slot.
// A flood of random unknown ids (each a query of its own) with a slow
// database would otherwise hold a goroutine and a request for the whole
// wait per id; past the bound a lookup fails at once.
const waitersPerSlot = 16

// readThrough reads id from the database, within the read-through limit.
func (s *Store) readThrough(ctx context.Context, id string) (*apikey.Record, error) {
	select {
	case s.slots <- struct{}{}:
	default:
		if s.waiting.Add(1) > int64(waitersPerSlot*cap(s.slots)) {
			s.waiting.Add(-1)
			return nil, fmt.Errorf("pgstore: read key %s: %d read-throughs running and %d waiting: %w",
				id, cap(s.slots), waitersPerSlot*cap(s.slots), ErrReadThroughBusy)
		}
		select {
		case s.slots <- struct{}{}:
			s.waiting.Add(-1)
		case <-ctx.Done():
			s.waiting.Add(-1)
			return nil, fmt.Errorf("pgstore: read key %s: %d read-throughs already running: %w", id, cap(s.slots), ctx.Err())
		}
	}
	defer func() { <-s.slots }()
	g := s.gen.Load()
	rec, err := scanRecord(s.pool.QueryRow(ctx, "SELECT "+columns+" FROM "+s.table()+" WHERE id = $1", id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		s.neg.Put(id, struct{}{})
		return nil, errNotFound
	case err != nil:
		return nil, fmt.Errorf("pgstore: read key %s from %s: %w", id, addr(s.pool), err)
	}
	// Keep the row unless the listener wrote meanwhile: then what it
	// wrote is at least as new, and the next lookup reads the replica.
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.gen.Load() == g {
		old := *s.recs.Load()
		if r, ok := old[id]; ok {
			return r, nil
		}
		m := maps.Clone(old)
		m[id] = rec
		s.recs.Store(&m)
	}
	return rec, nil
}

// table is the key table's schema-qualified, quoted name.
func (s *Store) table() string { return tableName(s.cfg.schema) }

func tableName(schema string) string { return pgx.Identifier{schema, "api_keys"}.Sanitize() }

// missingTable adds advice to the error of a query on a table that does
// not exist.
func missingTable(err error, schema string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return fmt.Errorf("%w (create it with pgstore.Migrate, or run pgstore.SchemaSQL(%q) in a migration)", err, schema)
	}
	return err
}
