package pgstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed schema.sql
var schemaTemplate string

// ErrInvalidSchema is wrapped by the errors of SchemaSQL, Migrate, Open
// and the Admin methods when the schema name given to WithSchema is not
// a plain lower-case identifier.
var ErrInvalidSchema = errors.New("pgstore: invalid schema name")

// maxSchemaLen keeps the channel name, the schema followed by
// ".api_keys", under PostgreSQL's 63-byte identifier limit.
const maxSchemaLen = 48

// checkSchema accepts 1 to 48 characters a-z 0-9 _, starting with a letter
// or '_' and not with "pg_" (reserved by PostgreSQL). The name is pasted
// into SQL (as a quoted identifier, and into the channel's string
// literal), so nothing that could end either is let through.
func checkSchema(name string) error {
	if name == "" || len(name) > maxSchemaLen {
		return fmt.Errorf("%w: %q must be 1 to %d characters a-z 0-9 _", ErrInvalidSchema, clip(name), maxSchemaLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%w: %q has byte 0x%02x at offset %d; use a-z 0-9 _, starting with a letter or _", ErrInvalidSchema, clip(name), c, i)
		}
	}
	if strings.HasPrefix(name, "pg_") {
		return fmt.Errorf("%w: %q starts with pg_, which PostgreSQL reserves", ErrInvalidSchema, name)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// channel returns the LISTEN/NOTIFY channel of schema.
func channel(schema string) string { return schema + ".api_keys" }

// SchemaSQL returns the SQL that creates the key store's table, its
// triggers and (if missing) the schema itself, in the schema named schema
// (DefaultSchema for the default). Use it to run pgstore's migration with
// your own migration tool; Migrate runs the same text. It is idempotent.
// The schema name must be 1 to 48 characters a-z 0-9 _ (ErrInvalidSchema
// otherwise).
func SchemaSQL(schema string) (string, error) {
	if err := checkSchema(schema); err != nil {
		return "", err
	}
	return strings.NewReplacer(
		"{{schema}}", pgx.Identifier{schema}.Sanitize(),
		"{{channel}}", channel(schema),
	).Replace(schemaTemplate), nil
}

// Migrate creates or upgrades the key store's table and triggers in the
// schema of WithSchema (DefaultSchema by default), in one transaction.
// Running it again, or from several instances at once, is safe: the
// instances take turns on an advisory lock, and every statement is
// idempotent. Only WithSchema matters among opts.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts ...Option) error {
	c, err := newConfig(opts)
	if err != nil {
		return err
	}
	if pool == nil {
		return errNilPool
	}
	sql, err := SchemaSQL(c.schema)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "authgate.pgstore.migrate:"+c.schema); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrate schema %s at %s: %w", c.schema, addr(pool), err)
	}
	return nil
}

// addr returns the host and port the pool connects to, for errors: never
// the connection string, which may hold a password.
func addr(pool *pgxpool.Pool) string {
	cc := pool.Config().ConnConfig
	return fmt.Sprintf("%s:%d", cc.Host, cc.Port)
}
