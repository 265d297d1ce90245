package authgatetest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/bearer"
)

// me is a handler under test: it greets the authenticated caller.
func me(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "hello %s", id.Subject)
}

// A handler that reads the identity, tested without a gate.
func ExampleWithIdentity() {
	r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	r = authgatetest.WithIdentity(r, &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"orders:read"}})
	w := httptest.NewRecorder()
	me(w, r)
	fmt.Println(w.Code, w.Body)
	// Output: 200 hello alice
}

// A route behind a Bearer verifier that finds the issuer by discovery,
// sent a valid token and three bad ones.
func ExampleNewIssuer() {
	t := &testing.T{} // in a test, the test's t: the issuer is closed when it ends
	iss := authgatetest.NewIssuer(t)
	v, err := bearer.New(context.Background(), iss.Audience(), []bearer.Issuer{{URL: iss.URL(), Keys: bearer.Discovery()}},
		bearer.WithAccessTokenProfile(), bearer.WithLogger(zerolog.Nop()))
	if err != nil {
		panic(err) // in a test, t.Fatal(err)
	}
	defer v.Close()
	var log authgatetest.Log // the gate's log, to read the reasons back
	gate := middleware.New(middleware.WithLogger(log.Logger()))
	h := gate.Require(v)(http.HandlerFunc(me))

	var codes []int
	for _, tok := range []string{
		iss.Token(t, authgatetest.Subject("alice"), authgatetest.Scopes("orders:read")),
		iss.Token(t, authgatetest.Expired()),
		iss.Token(t, authgatetest.Audience("https://billing.example")),
		iss.Token(t, authgatetest.OtherKey()),
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		codes = append(codes, w.Code)
	}
	fmt.Println(codes, log.Reasons(t))
	// Output: [200 401 401 401] [token_expired token_audience_mismatch token_signature_invalid]
}

// An API key and the store that accepts it.
func ExampleAPIKey() {
	t := &testing.T{} // in a test, the test's t
	key, rec := authgatetest.APIKey(t, "reports-service", "reports:read")
	keys, err := apikey.New(authgatetest.APIKeyStore(t, rec))
	if err != nil {
		panic(err) // in a test, t.Fatal(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))
	h := gate.Require(keys)(http.HandlerFunc(me))

	r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	r.Header.Set("X-API-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body, rec.Environment)
	// Output: 200 hello reports-service test
}

// An htpasswd line for a Basic verifier's user list: the user name, a
// colon and a bcrypt hash at the minimum cost (test-only).
func ExampleHtpasswdLine() {
	t := &testing.T{} // in a test, the test's t
	line := authgatetest.HtpasswdLine(t, "alice", "correct horse")
	fmt.Println(line[:len("alice:$2a$04$")], len(line))
	// Output: alice:$2a$04$ 66
}

// The canary check: a unique credential, refused, must show in no form in
// the log or the response.
func ExampleCredentialForms() {
	t := &testing.T{} // in a test, the test's t
	var log authgatetest.Log
	gate := middleware.New(middleware.WithLogger(log.Logger()))
	keys, err := apikey.New(authgatetest.APIKeyStore(t), apikey.WithEnvironment("test"))
	if err != nil {
		panic(err)
	}
	key, _ := authgatetest.APIKey(t, "svc-canary") // a valid key, not in the store
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	r.Header.Set("X-API-Key", key)
	gate.Require(keys)(http.HandlerFunc(me)).ServeHTTP(w, r)
	seen := log.String() + fmt.Sprint(w.Header()) + w.Body.String()
	leaked := 0
	for _, form := range authgatetest.CredentialForms(key) {
		if strings.Contains(seen, form) {
			leaked++
		}
	}
	fmt.Println(log.Reasons(t), len(authgatetest.CredentialForms(key)), "forms,", leaked, "leaked")
	// Output: [apikey_unknown] 5 forms, 0 leaked
}

// The gate's log, read back: one refusal per request refused.
func ExampleLog() {
	t := &testing.T{} // in a test, the test's t
	var log authgatetest.Log
	gate := middleware.New(middleware.WithLogger(log.Logger()))
	keys, err := apikey.New(authgatetest.APIKeyStore(t))
	if err != nil {
		panic(err)
	}
	h := gate.Require(keys)(http.HandlerFunc(me))
	for _, key := range []string{"", "ak_live_mistyped"} {
		r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		if key != "" {
			r.Header.Set("X-API-Key", key)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	fmt.Println(log.Reasons(t))
	ev := log.Refusals(t)[1]
	fmt.Println(ev["status"], ev["path"])
	// Output:
	// [credentials_missing credentials_malformed]
	// 401 /v1/me
}
