package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/verifiers/apikey"
)

// ErrExists is wrapped by the error of Admin.Create (and Rotate) when a
// key with the record's id is already stored.
var ErrExists = errors.New("pgstore: a key with this id exists")

// ErrNotRotatable is wrapped by the error of Admin.Rotate for a key that
// is revoked or expired: a new key would revive its owner's access, so
// create one deliberately instead.
var ErrNotRotatable = errors.New("pgstore: key is revoked or expired")

// Admin manages the key table, for tools and admin endpoints: it creates,
// revokes, lists and rotates keys, and every Store on the table sees each
// change within a second. It keeps no replica and does not listen; make
// one with NewAdmin. It is safe for concurrent use.
type Admin struct {
	pool *pgxpool.Pool
	cfg  *config
	err  error // of the options, returned by every method
}

// NewAdmin returns an Admin for the table of the schema of WithSchema.
// Only WithSchema and WithClock matter among opts; an invalid option is
// reported by every method.
func NewAdmin(pool *pgxpool.Pool, opts ...Option) *Admin {
	c, err := newConfig(opts)
	if err == nil && pool == nil {
		err = errNilPool
	}
	return &Admin{pool: pool, cfg: c, err: err}
}

func (a *Admin) table() string { return tableName(a.cfg.schema) }

// Create stores r, a record from apikey.Generate(...).Record(...) or
// apikey.ForeignKey. It returns an error wrapping apikey.ErrInvalidRecord
// if r fails Record.Validate, and one wrapping ErrExists if its id is
// taken.
func (a *Admin) Create(ctx context.Context, r *apikey.Record) error {
	if a.err != nil {
		return a.err
	}
	if err := r.Validate(); err != nil {
		return fmt.Errorf("pgstore: create key: %w", err)
	}
	if err := insert(ctx, a.pool, a.table(), r); err != nil {
		return fmt.Errorf("pgstore: create key %s: %w", r.ID, a.wrap(err))
	}
	return nil
}

// querier is what insert needs of a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insert(ctx context.Context, q querier, table string, r *apikey.Record) error {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	_, err := q.Exec(ctx, "INSERT INTO "+table+" ("+columns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		r.ID, r.Hash[:], r.Subject, scopes, r.Environment, nullTime(r.Created), nullTime(r.Expires), nullTime(r.Revoked))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return ErrExists
	}
	return err
}

// Revoke revokes the key id at the time at: from then on every Store
// answers apikey_revoked for it. A time in the future schedules the
// revocation. A time not after the Admin's clock (WithClock) is "now":
// the database's current time is written instead when it is earlier,
// so that a tool whose clock runs ahead of the servers' still revokes at
// once. An earlier revocation already recorded is kept: Revoke never
// makes a revoked key valid again. It returns an error wrapping
// apikey.ErrNotFound when no key has the id.
func (a *Admin) Revoke(ctx context.Context, id string, at time.Time) error {
	if a.err != nil {
		return a.err
	}
	if at.IsZero() {
		return fmt.Errorf("pgstore: revoke key %s: %w: the revocation time is zero", id, ErrInvalidConfig)
	}
	// A revocation meant to take effect now (at is not after this
	// Admin's clock) takes the database's clock when it is earlier: a
	// tool on a machine whose clock runs ahead would otherwise write a
	// time that every instance, on the servers' clock, sees as still to
	// come, and the key would keep working for the difference.
	tag, err := a.pool.Exec(ctx, "UPDATE "+a.table()+" SET revoked = LEAST(COALESCE(revoked, $2), $2, CASE WHEN $3 THEN now() END) WHERE id = $1",
		id, at, !at.After(a.cfg.now()))
	if err != nil {
		return fmt.Errorf("pgstore: revoke key %s: %w", id, a.wrap(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: revoke key %s: %w", id, apikey.ErrNotFound)
	}
	return nil
}

// Get returns the stored record of id, or an error wrapping
// apikey.ErrNotFound when there is none. It reads that one row: a tool
// that works on one key (revoke, rotate, show) is not stopped by another
// row that fails validation, as List is.
func (a *Admin) Get(ctx context.Context, id string) (*apikey.Record, error) {
	if a.err != nil {
		return nil, a.err
	}
	r, err := scanRecord(a.pool.QueryRow(ctx, "SELECT "+columns+" FROM "+a.table()+" WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = apikey.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: get key %s: %w", id, a.wrap(err))
	}
	return r, nil
}

// List returns every stored record, oldest first (by creation time, then
// id). Records hold hashes, never secrets; a tool listing keys should
// still show only ids, subjects, scopes and states.
func (a *Admin) List(ctx context.Context) ([]*apikey.Record, error) {
	if a.err != nil {
		return nil, a.err
	}
	rows, err := a.pool.Query(ctx, "SELECT "+columns+" FROM "+a.table()+" ORDER BY created NULLS FIRST, id")
	if err != nil {
		return nil, fmt.Errorf("pgstore: list keys: %w", a.wrap(err))
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*apikey.Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("pgstore: list keys: %w", a.wrap(err))
	}
	return recs, nil
}

// Rotate replaces the key id by next, a key from apikey.Generate: it
// stores next's record with the old key's subject, scopes, environment
// and scheduled revocation, if any (a rotation never escapes one),
// and makes the old key expire at oldExpires (keeping an earlier expiry),
// so that its clients can switch over until then. The new key lives as
// long as the old one did (its expiry minus its creation), from now, or
// never expires if the old one did not; RotateExpiring sets it. Both
// changes are one transaction. It returns next's record, and an error
// wrapping apikey.ErrNotFound for an unknown id, ErrNotRotatable for a
// revoked or expired key, and ErrExists if next's id is taken.
func (a *Admin) Rotate(ctx context.Context, id string, next apikey.Key, oldExpires time.Time) (*apikey.Record, error) {
	return a.rotate(ctx, id, next, time.Time{}, false, oldExpires)
}

// RotateExpiring is Rotate with the new key's expiry given: expires, or
// none when it is zero.
func (a *Admin) RotateExpiring(ctx context.Context, id string, next apikey.Key, expires, oldExpires time.Time) (*apikey.Record, error) {
	return a.rotate(ctx, id, next, expires, true, oldExpires)
}

func (a *Admin) rotate(ctx context.Context, id string, next apikey.Key, expires time.Time, expSet bool, oldExpires time.Time) (*apikey.Record, error) {
	if a.err != nil {
		return nil, a.err
	}
	if next.ID() == "" {
		return nil, fmt.Errorf("pgstore: rotate key %s: %w: the new key is empty (make it with apikey.Generate)", id, ErrInvalidConfig)
	}
	if oldExpires.IsZero() {
		return nil, fmt.Errorf("pgstore: rotate key %s: %w: the old key's expiry is zero", id, ErrInvalidConfig)
	}
	now := a.cfg.now().UTC()
	var rec *apikey.Record
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		old, err := scanRecord(tx.QueryRow(ctx, "SELECT "+columns+" FROM "+a.table()+" WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return apikey.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !old.Revoked.IsZero() && !now.Before(old.Revoked) || !old.Expires.IsZero() && !now.Before(old.Expires) {
			return ErrNotRotatable
		}
		if old.Environment != "" && next.Environment() != old.Environment {
			return fmt.Errorf("%w: the new key is for environment %q, the old one for %q", ErrInvalidConfig, next.Environment(), old.Environment)
		}
		if !expSet && !old.Expires.IsZero() && !old.Created.IsZero() && old.Expires.After(old.Created) {
			expires = now.Add(old.Expires.Sub(old.Created)).Truncate(time.Second)
		}
		rec = next.Record(old.Subject, old.Scopes, expires)
		rec.Created = now.Truncate(time.Second)
		// A scheduled revocation (one already past is refused above)
		// ends the owner's access, whichever key it holds by then.
		rec.Revoked = old.Revoked
		if err := rec.Validate(); err != nil {
			return err
		}
		if err := insert(ctx, tx, a.table(), rec); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE "+a.table()+" SET expires = LEAST(COALESCE(expires, $2), $2) WHERE id = $1", id, oldExpires)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: rotate key %s: %w", id, a.wrap(err))
	}
	return rec, nil
}

// wrap adds the server's address to an error from the database, and the
// advice to migrate when the table is missing.
func (a *Admin) wrap(err error) error {
	var pe *pgconn.PgError
	if errors.Is(err, ErrExists) || errors.Is(err, apikey.ErrNotFound) || errors.Is(err, ErrNotRotatable) || errors.Is(err, ErrInvalidConfig) || errors.Is(err, apikey.ErrInvalidRecord) {
		return err
	}
	if errors.As(err, &pe) {
		return missingTable(err, a.cfg.schema)
	}
	return fmt.Errorf("%w (database at %s)", err, addr(a.pool))
}
