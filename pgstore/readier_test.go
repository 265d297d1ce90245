package pgstore_test

import (
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers"
)

// A Store is a verifiers.Readier, so that an apikey.Verifier over it
// reports it through its own Ready and middleware.Ready.
var _ verifiers.Readier = (*pgstore.Store)(nil)
