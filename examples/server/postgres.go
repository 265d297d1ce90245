package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/pgstore"
)

// openPostgresKeys opens the pgstore.Store of -postgres: the key table
// of -postgres-schema, loaded into memory, kept current by LISTEN/NOTIFY,
// served for -max-staleness after the database is lost. An unreachable
// database or a missing table is a startup error naming the server's
// address, never the password. close releases the store and its pool.
func openPostgresKeys(ctx context.Context, cfg *config, logger zerolog.Logger) (store *pgstore.Store, close func(), err error) {
	pc, err := pgxpool.ParseConfig(cfg.postgres)
	if err != nil {
		return nil, nil, fmt.Errorf("-postgres: %w", err) // pgx's message masks the password
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "authgate-server"
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, fmt.Errorf("-postgres: %w", err)
	}
	store, err = pgstore.Open(ctx, pool, pgstore.WithSchema(cfg.pgSchema), pgstore.WithMaxStaleness(cfg.maxStale), pgstore.WithLogger(logger))
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("-postgres: %w", err)
	}
	return store, func() { store.Close(); pool.Close() }, nil
}
