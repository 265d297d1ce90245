package bearer

import (
	"context"
	"fmt"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// Ready reports whether every issuer has a key set to verify with: nil
// once each remote set (JWKSURL, Discovery) has been fetched once, and at
// once for static ones. Until then it returns an error wrapping
// verifiers.ErrNotReady that names the issuers still waiting, and tokens
// of those issuers get 503. A set that fails to refresh later keeps the
// verifier ready: the previous set stays in use. It implements
// verifiers.Readier.
func (v *Verifier) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var missing []string
	for _, is := range v.order {
		if is.current() == nil {
			missing = append(missing, quote(is.iss))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: bearer: no key set fetched yet for issuer %s", verifiers.ErrNotReady, strings.Join(missing, ", "))
}
