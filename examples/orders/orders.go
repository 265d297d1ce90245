// Package orders is the README's "Testing your handlers" example: a
// handler that reads the caller's identity, and the route that puts it
// behind the gate. orders_test.go tests both with package authgatetest.
package orders

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// Create places an order for the authenticated caller: 201 and who placed
// it.
func Create(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		http.Error(w, "no identity: the route is not behind the gate", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "order placed by %s\n", id.Subject)
}

// Routes mounts Create at POST /v1/orders behind gate and tokens, for
// callers with the scope orders:write.
func Routes(gate *middleware.Gate, tokens verifiers.Verifier) http.Handler {
	r := chi.NewRouter()
	r.With(gate.Require(tokens), gate.RequireScopes("orders:write")).Post("/v1/orders", Create)
	return r
}
