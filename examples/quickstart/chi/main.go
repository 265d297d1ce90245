// Command chi is the README's chi quickstart: one route that needs an API
// key with scope reports:read.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

func main() {
	// One key, generated at start. A real service loads its key file with
	// apikey.OpenFileStore and reloads it on SIGHUP.
	key, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		log.Fatal(err)
	}
	store, err := apikey.NewMemoryStore(key.Record("reports-service", []string{"reports:read"}, time.Time{}))
	if err != nil {
		log.Fatal(err)
	}
	keys, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		log.Fatal(err)
	}

	gate := middleware.New(middleware.WithLogger(zerolog.New(os.Stderr)))
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	r.With(gate.Require(keys), gate.RequireScopes("reports:read")).Get("/v1/reports", func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "reports for %s\n", id.Subject)
	})

	fmt.Printf("curl -i http://127.0.0.1:8080/v1/reports -H 'X-API-Key: %s'\n", key.Reveal())
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}
