package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authgate/authgate/verifiers/apikey"
)

// maxBatch bounds the ids re-read in one query after notifications.
const maxBatch = 1000

// minFullReadGap is the least time between two reads of the whole table
// asked for by notifications (an empty payload, which a TRUNCATE sends):
// any role that can connect to the database may NOTIFY on the channel
// (NOTIFY needs no privilege), and a flood of empty payloads would
// otherwise keep every instance reading the whole table back to back.
// One asked for sooner waits until the gap has passed.
const minFullReadGap = time.Second

// connect takes a connection out of the pool, listens on the schema's
// channel and then reads the whole table: a change committed after LISTEN
// is notified, one committed before is in the read, so none is missed.
func (s *Store) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.opTimeout)
	defer cancel()
	pc, err := s.pool.Acquire(cctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{channel(s.cfg.schema)}.Sanitize()); err != nil {
		closeConn(conn)
		return nil, err
	}
	if err := s.sync(ctx, conn); err != nil {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// closeConn closes a connection of the listener, within a bound.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// run keeps the replica current until ctx ends: it serves notifications on
// conn, and when the connection fails, reconnects with backoff, each time
// re-reading the whole table.
func (s *Store) run(ctx context.Context, conn *pgx.Conn) {
	defer close(s.done)
	outage := false
	wait := s.cfg.backoffMin
	for {
		if conn == nil {
			c, err := s.connect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				s.cfg.log.Debug().Err(err).Str("schema", s.cfg.schema).Dur("retry_in", wait).Msg("pgstore: reconnection failed")
				select {
				case <-time.After(jitter(wait)):
				case <-ctx.Done():
					return
				}
				wait = min(2*wait, s.cfg.backoffMax)
				continue
			}
			conn, wait = c, s.cfg.backoffMin
			if outage {
				outage = false
				s.cfg.log.Info().Str("schema", s.cfg.schema).Str("addr", addr(s.pool)).
					Msg("pgstore: key store database reachable again; replica re-read, changes made meanwhile applied")
			}
			s.touch()
			s.healthy.Store(true)
		}
		err := s.serve(ctx, conn)
		closeConn(conn)
		conn = nil
		if ctx.Err() != nil {
			return
		}
		s.healthy.Store(false)
		if !outage {
			outage = true
			last := time.Unix(0, s.lastContact.Load())
			s.cfg.log.Error().Err(err).Str("schema", s.cfg.schema).Str("addr", addr(s.pool)).
				Time("replica_as_of", last).Time("refuse_from", last.Add(s.cfg.maxStale)).
				Msgf("pgstore: lost the key store database; serving the replica for up to %s, then refusing lookups with 503 until it is back", s.cfg.maxStale)
		}
	}
}

// jitter returns d plus up to a quarter of it, so that instances cut off
// together do not reconnect in step.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(time.Now().UnixNano()%int64(d/4+1))
}

// serve waits for notifications on conn and applies them, pings when none
// comes for a heartbeat, and re-reads the table every resync interval. It
// returns the error that ended the connection, or ctx's.
func (s *Store) serve(ctx context.Context, conn *pgx.Conn) error {
	hb := s.cfg.heartbeat()
	// next is when the whole table is read again: every resync interval,
	// sooner when a notification asks for it: at once, but never within
	// minFullReadGap of the last read of this connection (lastFull).
	var lastFull time.Time
	next := time.Now().Add(s.cfg.resync)
	done, cancelDone := context.WithCancel(ctx)
	cancelDone()
	for {
		wctx, cancel := context.WithTimeout(ctx, min(hb, max(time.Until(next), time.Millisecond)))
		n, err := conn.WaitForNotification(wctx)
		timedOut := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			ids := []string{n.Payload}
			// Notifications read along with others wait in conn's
			// buffer; a done context takes them without blocking.
			for len(ids) < maxBatch {
				n, err := conn.WaitForNotification(done)
				if err != nil || n == nil {
					break
				}
				ids = append(ids, n.Payload)
			}
			full, err := s.apply(ctx, conn, ids)
			if err != nil {
				return err
			}
			if soon := lastFull.Add(minFullReadGap); full && soon.Before(next) {
				next = soon
			}
			// Checked here too, so that notifications coming faster
			// than the wait's timeout cannot put the read off forever.
			if now := time.Now(); !now.Before(next) {
				if err := s.sync(ctx, conn); err != nil {
					return err
				}
				lastFull, next = now, now.Add(s.cfg.resync)
			}
		case timedOut && !conn.IsClosed():
			if time.Now().Before(next) {
				pctx, cancel := context.WithTimeout(ctx, s.cfg.opTimeout)
				err = conn.Ping(pctx)
				cancel()
			} else {
				err = s.sync(ctx, conn)
				lastFull = time.Now()
				next = lastFull.Add(s.cfg.resync)
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("pgstore: waiting for notifications: %w", err)
		}
		s.touch()
		s.healthy.Store(true) // the watch may have fired while it waited
	}
}

// apply re-reads the rows of the notified ids and updates the replica:
// changed rows replace their record, deleted ones are removed. It
// reports full when an empty id (a TRUNCATE) asks for a read of the
// whole table, which the caller schedules. A payload that cannot be a
// stored id (anyone may NOTIFY) is ignored, and each id is read once.
func (s *Store) apply(ctx context.Context, conn *pgx.Conn, ids []string) (full bool, err error) {
	seen := make(map[string]struct{}, len(ids))
	kept := ids[:0]
	for _, id := range ids {
		if id == "" {
			full = true
			continue
		}
		if _, dup := seen[id]; dup || !plausibleID(id) {
			continue
		}
		seen[id] = struct{}{}
		kept = append(kept, id)
	}
	ids = kept
	if len(ids) == 0 {
		return full, nil
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.opTimeout)
	defer cancel()
	rows, err := conn.Query(qctx, "SELECT "+columns+" FROM "+s.table()+" WHERE id = ANY($1)", ids)
	if err != nil {
		return false, err
	}
	found := make(map[string]*apikey.Record, len(ids))
	var bad []error
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		found[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	s.logInvalid(bad)
	s.wmu.Lock()
	old := *s.recs.Load()
	m := maps.Clone(old)
	for _, id := range ids {
		if r, ok := found[id]; ok {
			m[id] = keepSame(old[id], r)
		} else {
			delete(m, id)
		}
	}
	s.recs.Store(&m)
	s.gen.Add(1)
	s.wmu.Unlock()
	for _, id := range ids {
		s.neg.Remove(id)
	}
	return full, nil
}

// sync reads the whole table and makes the replica equal to it.
func (s *Store) sync(ctx context.Context, conn *pgx.Conn) error {
	qctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	rows, err := conn.Query(qctx, "SELECT "+columns+" FROM "+s.table())
	if err != nil {
		return missingTable(err, s.cfg.schema)
	}
	var (
		all []*apikey.Record
		bad []error
	)
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return missingTable(err, s.cfg.schema)
	}
	s.logInvalid(bad)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	old := *s.recs.Load()
	m := make(map[string]*apikey.Record, len(all))
	for _, r := range all {
		m[r.ID] = keepSame(old[r.ID], r)
	}
	s.recs.Store(&m)
	s.gen.Add(1)
	return nil
}

// keepSame returns old if it holds the same data as r (so that the
// verifier keeps using the Identity it built for old), else r.
func keepSame(old, r *apikey.Record) *apikey.Record {
	if old != nil && sameRecord(old, r) {
		return old
	}
	return r
}

// logInvalid logs the rows that fail Record.Validate: they are not
// served, and a read-through of their id fails with a 503.
func (s *Store) logInvalid(errs []error) {
	if len(errs) == 0 {
		return
	}
	s.cfg.log.Error().Err(errors.Join(errs...)).Int("rows", len(errs)).Str("schema", s.cfg.schema).
		Msg("pgstore: rows of the key table are invalid and are not served")
}
