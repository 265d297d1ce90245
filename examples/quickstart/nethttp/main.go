// Command nethttp is the README's net/http quickstart: Basic
// authentication on one ServeMux route.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/basic"
)

func main() {
	// One user. A real service loads an htpasswd file with basic.OpenFileStore.
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.DefaultCost)
	if err != nil {
		log.Fatal(err)
	}
	users, err := basic.NewMemoryStore(map[string]string{"admin": string(hash)})
	if err != nil {
		log.Fatal(err)
	}
	admins, err := basic.New(users, basic.WithRealm("admin"))
	if err != nil {
		log.Fatal(err)
	}

	gate := middleware.New(middleware.WithLogger(zerolog.New(os.Stderr)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("GET /admin/stats", gate.Require(admins)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "hello %s\n", id.Subject)
	})))

	fmt.Println("curl -i -u 'admin:correct horse' http://127.0.0.1:8081/admin/stats")
	log.Fatal(http.ListenAndServe("127.0.0.1:8081", mux))
}
