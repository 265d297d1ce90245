package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// A service whose API keys live in PostgreSQL: every instance opens a
// Store on the same database, and a key revoked through an Admin (or
// `authgate keys revoke --postgres ...`) is refused by all of them within
// a second. The example needs a database, so it is compiled, not run.
func ExampleOpen() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // postgres://user@host/db
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	// Once per deployment, or run pgstore.SchemaSQL(pgstore.DefaultSchema)
	// with your own migration tool.
	if err := pgstore.Migrate(ctx, pool); err != nil {
		log.Fatal(err)
	}
	logger := zerolog.New(os.Stderr).With().Timestamp().Logger()
	store, err := pgstore.Open(ctx, pool, pgstore.WithLogger(logger)) // fails if the database is down
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// A tool issues a key; its secret is shown once, the table keeps its hash.
	key, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		log.Fatal(err)
	}
	admin := pgstore.NewAdmin(pool)
	if err := admin.Create(ctx, key.Record("reports-service", []string{"reports:read"}, time.Time{})); err != nil {
		log.Fatal(err)
	}
	fmt.Println("give this key to its owner, once:", key.Reveal())

	keys, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		log.Fatal(err)
	}
	gate := middleware.New(middleware.WithLogger(logger))
	mux := http.NewServeMux()
	mux.Handle("GET /v1/reports", gate.Require(keys)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "reports for %s\n", id.Subject)
	})))
	// Readiness: 503 once the replica is past its maximum staleness.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Ready(r.Context()); err != nil {
			http.Error(w, "key store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}
