package middleware

import (
	"context"

	"github.com/authgate/authgate/verifiers"
)

type ctxKey struct{}

// authContext carries the authentication result. It is itself the
// request's context (embedding the parent), which saves the allocation of a
// separate context.WithValue on every authenticated request.
type authContext struct {
	context.Context
	id    *verifiers.Identity // nil for an anonymous request on an Optional route
	rt    *route              // the route that authenticated the request
	entry *entry              // the verifier that produced id, nil when anonymous
	// Backing arrays for the response headers the gate sets on success,
	// so that setting them allocates nothing more than this struct. They
	// belong to this request alone.
	vary, private [1]string
}

func (c *authContext) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func authFrom(ctx context.Context) *authContext {
	c, _ := ctx.Value(ctxKey{}).(*authContext)
	return c
}

// IdentityFrom returns the identity the gate authenticated the request as,
// and false when the request is anonymous (an Optional route without
// credentials) or did not pass through the gate. Treat the identity as
// read-only.
func IdentityFrom(ctx context.Context) (*verifiers.Identity, bool) {
	if c := authFrom(ctx); c != nil && c.id != nil {
		return c.id, true
	}
	return nil, false
}

// ContextWithIdentity returns a copy of ctx in which IdentityFrom reports
// id, as if a gate had authenticated the request. Use it in unit tests of
// handlers (and of RequireScopes and RequirePolicy) that read the
// identity, and where an outer layer you trust (a gateway that already
// authenticated the caller) hands you the identity. Never build id from
// anything the request claims without verifying it. A nil id returns ctx
// unchanged.
func ContextWithIdentity(ctx context.Context, id *verifiers.Identity) context.Context {
	if id == nil {
		return ctx
	}
	return &authContext{Context: ctx, id: id}
}
