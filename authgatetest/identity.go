package authgatetest

import (
	"net/http"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// WithIdentity returns a shallow copy of r whose context carries id, as if
// a gate had authenticated the request: middleware.IdentityFrom returns id,
// and RequireScopes and RequirePolicy decide on it. Use it to unit-test a
// handler, or a scope or policy step, without mounting a verifier. A nil id
// leaves the request anonymous.
func WithIdentity(r *http.Request, id *verifiers.Identity) *http.Request {
	return r.WithContext(middleware.ContextWithIdentity(r.Context(), id))
}
