package authgatetest

import (
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers/apikey"
)

// APIKey generates an API key of environment "test" for subject with
// scopes, and returns the key (secret included, as a client sends it) and
// the record that accepts it, without expiry. Put the record in a store
// (APIKeyStore, apikey.MemoryStore.Put, apikey.FormatFileLine). A verifier
// configured with apikey.WithEnvironment("live") refuses the key as
// apikey_wrong_environment; use APIKeyIn for another environment.
func APIKey(t testing.TB, subject string, scopes ...string) (key string, rec *apikey.Record) {
	t.Helper()
	return APIKeyIn(t, "test", subject, scopes...)
}

// APIKeyIn is APIKey for the environment env, such as "live".
func APIKeyIn(t testing.TB, env, subject string, scopes ...string) (key string, rec *apikey.Record) {
	t.Helper()
	k, err := apikey.Generate(apikey.DefaultPrefix, env)
	if err != nil {
		t.Fatalf("authgatetest: %v", err)
	}
	rec = k.Record(subject, scopes, time.Time{})
	if err := rec.Validate(); err != nil {
		t.Fatalf("authgatetest: %v", err)
	}
	return k.Reveal(), rec
}

// APIKeyStore returns an apikey.MemoryStore holding records, and fails t
// if one is invalid or two share an id.
func APIKeyStore(t testing.TB, records ...*apikey.Record) *apikey.MemoryStore {
	t.Helper()
	s, err := apikey.NewMemoryStore(records...)
	if err != nil {
		t.Fatalf("authgatetest: %v", err)
	}
	return s
}
