// Command cors is the README's CORS recipe: github.com/rs/cors in front
// of the gate, so that pages on https://app.example.com can call the API
// and read its 401s.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/cors"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// newCORS allows one origin to send the credential headers and to read
// the challenges. No AllowCredentials: the key is a header the page sets,
// not a cookie.
func newCORS() *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins: []string{"https://app.example.com"},
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "X-API-Key"}, // never "*": it does not cover Authorization
		ExposedHeaders: []string{"WWW-Authenticate", "Retry-After"},
		MaxAge:         600,
	})
}

// chiRouter: CORS as the router's middleware, before any route's gate.
func chiRouter(c *cors.Cors, gate *middleware.Gate, keys verifiers.Verifier) http.Handler {
	r := chi.NewRouter()
	r.Use(c.Handler)
	r.With(gate.Require(keys)).Get("/v1/reports", reports)
	return r
}

// serveMux: CORS around the whole mux, so that it answers preflights
// before the mux routes them (a "GET /v1/reports" pattern would answer
// an OPTIONS with 405).
func serveMux(c *cors.Cors, gate *middleware.Gate, keys verifiers.Verifier) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/reports", gate.Require(keys)(http.HandlerFunc(reports)))
	return c.Handler(mux)
}

func reports(w http.ResponseWriter, r *http.Request) {
	id, _ := middleware.IdentityFrom(r.Context())
	fmt.Fprintf(w, "reports for %s\n", id.Subject)
}

func main() {
	key, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		log.Fatal(err)
	}
	store, err := apikey.NewMemoryStore(key.Record("reports-service", nil, time.Time{}))
	if err != nil {
		log.Fatal(err)
	}
	keys, err := apikey.New(store)
	if err != nil {
		log.Fatal(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.New(os.Stderr)))

	fmt.Printf("curl -i http://127.0.0.1:8080/v1/reports -H 'Origin: https://app.example.com' -H 'X-API-Key: %s'\n", key.Reveal())
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", chiRouter(newCORS(), gate, keys)))
}
