package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// DefaultReadyTimeout bounds one readiness check of Ready.
const DefaultReadyTimeout = 2 * time.Second

// CheckReady asks each of vs that is a verifiers.Readier whether it is
// ready, and returns nil when all are, or the errors of those that are
// not, joined, each prefixed by the verifier's position and scheme.
// Use it where a readiness check is not an HTTP handler; Ready wraps it.
func CheckReady(ctx context.Context, vs ...verifiers.Verifier) error {
	var errs []error
	for i, v := range vs {
		if err := verifiers.ReadyOf(ctx, v); err != nil {
			errs = append(errs, fmt.Errorf("verifier %d (%s): %w", i, v.Challenge().Scheme, err))
		}
	}
	return errors.Join(errs...)
}

// Ready returns a handler for a readiness probe (/readyz): 200 "ready"
// when every one of vs that is a verifiers.Readier is ready, else 503
// "not ready:" with the schemes of the verifiers that are not, so that
// an orchestrator holds traffic back until, say, the key sets are
// fetched, instead of the service answering it with 503. Each check is
// bounded by DefaultReadyTimeout and by the probe's context. The body
// names schemes only: the errors (which may name hosts and issuers) are
// for CheckReady's caller to log. Responses are not cached.
func Ready(vs ...verifiers.Verifier) http.Handler {
	for i, v := range vs {
		if v == nil {
			panic("authgate/middleware: Ready: verifier " + strconv.Itoa(i) + " is nil")
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), DefaultReadyTimeout)
		defer cancel()
		var notReady []string
		for i, v := range vs {
			if verifiers.ReadyOf(ctx, v) != nil {
				notReady = append(notReady, v.Challenge().Scheme+" (verifier "+strconv.Itoa(i)+")")
			}
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body := "ready\n"
		status := http.StatusOK
		if len(notReady) > 0 {
			body, status = "not ready: "+strings.Join(notReady, ", ")+"\n", http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
	})
}
