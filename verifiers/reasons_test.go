package verifiers_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// TestReasonInfo: the one table answers every accessor, and its columns
// keep the rules the gate and the verifiers rely on.
func TestReasonInfo(t *testing.T) {
	t.Parallel()
	seen := map[verifiers.Reason]bool{}
	for _, r := range verifiers.Reasons() {
		if seen[r] {
			t.Errorf("%s listed twice", r)
		}
		seen[r] = true
		in := r.Info()
		if in.Status != r.Status() || in.Public != r.Public() || in.Description != r.Description() || in.Cacheable != r.Cacheable() {
			t.Errorf("%s: Info %+v disagrees with the accessors", r, in)
		}
		if !in.Public.Known() || in.Public.Info().Status != in.Status || in.Public.Public() != in.Public {
			t.Errorf("%s: public code %s must be a known code of the same status that shows as itself", r, in.Public)
		}
		if want := in.Status == http.StatusTooManyRequests || in.Status == http.StatusServiceUnavailable; in.Retry != want {
			t.Errorf("%s: Retry %v, want %v", r, in.Retry, want)
		}
		if want := in.Status >= 500; (in.Level >= slog.LevelError) != want {
			t.Errorf("%s: level %v", r, in.Level)
		}
		if in.Guess && in.Status != http.StatusUnauthorized && in.Status != http.StatusBadRequest {
			t.Errorf("%s: only 401 and 400 can count as guesses", r)
		}
		if in.Cacheable && in.Status != http.StatusUnauthorized {
			t.Errorf("%s: only a 401 about the credential can be remembered", r)
		}
	}
	if got := verifiers.CredentialsMissing.Info().Level; got != slog.LevelInfo {
		t.Errorf("credentials_missing logs at %v, want info", got)
	}
	// What the Bearer verifier never remembers: these change with time
	// or must keep reaching the key-set refresh.
	for _, r := range []verifiers.Reason{verifiers.TokenKeyUnknown, verifiers.TokenNotYetValid, verifiers.TokenIssuedInFuture} {
		if r.Cacheable() {
			t.Errorf("%s must not be cacheable", r)
		}
	}
	if !verifiers.TokenExpired.Cacheable() || !verifiers.TokenSignatureInvalid.Cacheable() {
		t.Error("expired and forged tokens are remembered")
	}
	if u := verifiers.Reason("no_such_reason"); u.Known() || u.Info() != verifiers.CredentialsInvalid.Info() {
		t.Error("an unknown reason must read as credentials_invalid")
	}
}
