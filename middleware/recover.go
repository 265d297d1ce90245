package middleware

import (
	"fmt"
	"net/http"

	"github.com/authgate/authgate/internal/quote"
	"github.com/authgate/authgate/verifiers"
)

// verify calls v.Verify and turns a panic into an UnavailableError, so a
// bug in a verifier answers 503 verifier_unavailable instead of taking the
// connection down. The panic value is not logged, only its type: a value
// built from the request may hold the credential.
func verify(v verifiers.Verifier, r *http.Request) (id *verifiers.Identity, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			id, err = nil, verifiers.Unavailable(fmt.Sprintf("verifier %T panicked (panic value of type %T not logged: it may hold the credential)", v, p), nil)
		}
	}()
	return v.Verify(r)
}

// decide calls a policy like verify calls a verifier.
func decide(name string, p Policy, r *http.Request, id *verifiers.Identity) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err = verifiers.Unavailable(fmt.Sprintf("policy %s panicked (panic value of type %T not logged: it may hold the credential)", quote.Quote(name), v), nil)
		}
	}()
	return p(r, id)
}
