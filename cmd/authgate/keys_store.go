package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// keyStore is what the keys subcommands need of a store: the key file
// or the PostgreSQL table. Both report an unknown id with an error
// wrapping apikey.ErrNotFound, a taken id with pgstore.ErrExists and a
// key that cannot be rotated with pgstore.ErrNotRotatable.
type keyStore interface {
	// where names the store in messages: the file's path, or the
	// schema and the server's address (never a password).
	where() string
	create(ctx context.Context, r *apikey.Record) error
	// revoke revokes id at at, keeping an earlier revocation, and
	// returns the record as stored afterwards; earlier reports that the
	// key was already revoked before at, a time that stays.
	revoke(ctx context.Context, id string, at time.Time) (r *apikey.Record, earlier bool, err error)
	list(ctx context.Context) ([]*apikey.Record, error)
	// rotate stores a new key made by gen for the old key's environment,
	// with its subject and scopes, and makes the old key expire at
	// oldExpires (keeping an earlier expiry), as pgstore.Admin.Rotate;
	// expires is the new key's expiry when expSet, else the old key's
	// lifetime from now. It returns the new key, its record and the old
	// record as stored afterwards.
	rotate(ctx context.Context, id string, gen func(env string) (apikey.Key, error), expires time.Time, expSet bool, oldExpires time.Time) (apikey.Key, *apikey.Record, *apikey.Record, error)
	migrate(ctx context.Context) (string, error)
	close()
}

func openKeyStore(ctx context.Context, kf *keysFlags) (keyStore, error) {
	if kf.file != "" {
		return &fileKeys{path: kf.file, now: kf.now}, nil
	}
	cfg, err := pgxpool.ParseConfig(kf.postgres)
	if err != nil {
		// pgx's parse errors redact the password; say no more than that
		// the string is wrong.
		return nil, fmt.Errorf("--postgres: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "authgate-keys"
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("--postgres: %w", err)
	}
	s := &pgKeys{pool: pool, schema: kf.schema, now: kf.now,
		admin: pgstore.NewAdmin(pool, pgstore.WithSchema(kf.schema), pgstore.WithClock(func() time.Time { return kf.now }))}
	return s, nil
}

// pgKeys is the table of a pgstore schema.
type pgKeys struct {
	pool   *pgxpool.Pool
	admin  *pgstore.Admin
	schema string
	now    time.Time
}

func (s *pgKeys) where() string {
	cc := s.pool.Config().ConnConfig
	return fmt.Sprintf("schema %s on %s:%d", s.schema, cc.Host, cc.Port)
}

func (s *pgKeys) close() { s.pool.Close() }

func (s *pgKeys) create(ctx context.Context, r *apikey.Record) error {
	return s.admin.Create(ctx, r)
}

func (s *pgKeys) get(ctx context.Context, id string) (*apikey.Record, error) {
	return s.admin.Get(ctx, id)
}

// revoke reads the key before and after: the revocation a key had
// before this one is what tells "already revoked", not a comparison of
// the stored time with at, which a database clock behind this machine's
// makes earlier than at for a revocation made just now.
func (s *pgKeys) revoke(ctx context.Context, id string, at time.Time) (*apikey.Record, bool, error) {
	before, err := s.get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if err := s.admin.Revoke(ctx, id, at); err != nil {
		return nil, false, err
	}
	after, err := s.get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	earlier := !before.Revoked.IsZero() && before.Revoked.Before(at) && after.Revoked.Equal(before.Revoked)
	return after, earlier, nil
}

func (s *pgKeys) list(ctx context.Context) ([]*apikey.Record, error) { return s.admin.List(ctx) }

func (s *pgKeys) rotate(ctx context.Context, id string, gen func(string) (apikey.Key, error), expires time.Time, expSet bool, oldExpires time.Time) (apikey.Key, *apikey.Record, *apikey.Record, error) {
	old, err := s.get(ctx, id)
	if err != nil {
		return apikey.Key{}, nil, nil, err
	}
	next, err := gen(old.Environment)
	if err != nil {
		return apikey.Key{}, nil, nil, err
	}
	var rec *apikey.Record
	if expSet {
		rec, err = s.admin.RotateExpiring(ctx, id, next, expires, oldExpires)
	} else {
		rec, err = s.admin.Rotate(ctx, id, next, oldExpires)
	}
	if err != nil {
		return apikey.Key{}, nil, nil, err
	}
	after, err := s.get(ctx, id)
	if err != nil {
		return apikey.Key{}, nil, nil, err
	}
	return next, rec, after, nil
}

func (s *pgKeys) migrate(ctx context.Context) (string, error) {
	if err := pgstore.Migrate(ctx, s.pool, pgstore.WithSchema(s.schema)); err != nil {
		return "", err
	}
	return fmt.Sprintf("table %s.api_keys is ready (%s)", s.schema, s.where()), nil
}

// rotatable reports why old cannot be rotated at now, as pgstore does.
func rotatable(old *apikey.Record, now time.Time) error {
	if !old.Revoked.IsZero() && !now.Before(old.Revoked) || !old.Expires.IsZero() && !now.Before(old.Expires) {
		return fmt.Errorf("key %s: %w", old.ID, pgstore.ErrNotRotatable)
	}
	return nil
}

// explain turns a store error into the message the user reads.
func explain(err error, id string, s keyStore) error {
	switch {
	case errors.Is(err, apikey.ErrNotFound):
		return fmt.Errorf("no key with id %s in %s", id, s.where())
	case errors.Is(err, pgstore.ErrNotRotatable):
		return fmt.Errorf("key %s is revoked or expired: rotating it would give its owner access again; create a new key deliberately instead", id)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return fmt.Errorf("%w; or run authgate keys migrate on %s", err, s.where())
	}
	return err
}
