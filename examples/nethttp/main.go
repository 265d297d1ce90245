// Command nethttp shows authgate on a plain net/http ServeMux with Go 1.22
// patterns: chi is not required. It serves API-key-protected routes; run it
// without -apikeys to get a demo key printed at start.
//
//	go run ./examples/nethttp
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "`address` to listen on")
	keys := flag.String("apikeys", "", "API key `file`; without it a demo key is generated and printed")
	flag.Parse()

	logger := zerolog.New(os.Stderr).With().Timestamp().Logger()
	var store apikey.Store
	if *keys != "" {
		fs, err := apikey.OpenFileStore(*keys, apikey.WithFileLogger(logger))
		if err != nil {
			fmt.Fprintln(os.Stderr, "nethttp: -apikeys:", err)
			os.Exit(2)
		}
		store = fs
	} else {
		k, ms, err := demoStore()
		if err != nil {
			fmt.Fprintln(os.Stderr, "nethttp:", err)
			os.Exit(1)
		}
		store = ms
		fmt.Printf("demo API key (printed once, never logged):\n  curl -si http://%s/v1/reports/7 -H 'X-API-Key: %s'\n", *addr, k.Reveal())
	}
	v, err := apikey.New(store)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
	srv := &http.Server{Addr: *addr, Handler: newMux(middleware.New(middleware.WithLogger(logger)), v), ReadHeaderTimeout: 10 * time.Second}
	logger.Info().Str("addr", *addr).Msg("listening")
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// demoStore makes one key with scope reports:read.
func demoStore() (apikey.Key, *apikey.MemoryStore, error) {
	k, err := apikey.Generate(apikey.DefaultPrefix, "live")
	if err != nil {
		return apikey.Key{}, nil, err
	}
	ms, err := apikey.NewMemoryStore(k.Record("demo-service", []string{"reports:read"}, time.Time{}))
	return k, ms, err
}

// newMux wraps each handler that needs authentication with the gate; the
// ServeMux pattern shows up as "route" in the gate's log lines.
func newMux(gate *middleware.Gate, v verifiers.Verifier) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.Handle("GET /v1/reports/{id}", gate.Require(v)(gate.RequireScopes("reports:read")(http.HandlerFunc(report))))
	mux.Handle("DELETE /v1/reports/{id}", gate.Require(v)(gate.RequireScopes("reports:delete")(http.HandlerFunc(report))))
	return mux
}

func report(w http.ResponseWriter, r *http.Request) {
	id, _ := middleware.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"report": r.PathValue("id"), "subject": id.Subject, "method": r.Method})
}
