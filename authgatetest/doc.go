// Package authgatetest helps you test handlers and routes that sit behind
// authgate's gate: it puts an identity into a request, runs a token issuer
// on loopback, makes API keys and htpasswd entries, and records the gate's
// log so that a test can assert the reason of a refusal.
//
// It is for tests only. Nothing in it weakens authgate: the verifiers it
// feeds check what they always check, and every token, key and password it
// makes is generated afresh for the test (bcrypt at its minimum cost, so
// that tests stay fast: never use those hashes anywhere else). Import it
// from _test.go files only.
//
// # A handler that reads the identity
//
// Unit-test a handler without a gate: WithIdentity makes the request look
// authenticated to middleware.IdentityFrom (and to RequireScopes and
// RequirePolicy).
//
//	r := authgatetest.WithIdentity(httptest.NewRequest("GET", "/v1/me", nil),
//		&verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"orders:read"}})
//
// # A route behind a Bearer verifier
//
// NewIssuer starts an OpenID Connect issuer on httptest: a discovery
// document at /.well-known/openid-configuration (and RFC 8414's
// /.well-known/oauth-authorization-server) and a JWK set. Point a
// bearer.Verifier at Issuer.URL with bearer.Discovery, and mint tokens
// with Issuer.Token: valid by default (an RFC 9068 access token, typ
// at+jwt, with sub, client_id, jti, iat and a one-hour exp), or with what
// a test needs to be wrong with them:
//
//	tok := iss.Token(t, authgatetest.Scopes("orders:read"))  // accepted
//	iss.Token(t, authgatetest.Expired())                     // token_expired
//	iss.Token(t, authgatetest.Audience("https://other.test")) // token_audience_mismatch
//	iss.Token(t, authgatetest.OtherKey())                    // token_signature_invalid
//	iss.Token(t, authgatetest.UnknownKey())                  // token_key_unknown
//	iss.Rotate(t, "")                                        // a new signing key, published beside the old
//
// # API keys and Basic users
//
// APIKey generates a key and the apikey.Record that accepts it;
// APIKeyStore puts records in an apikey.MemoryStore. HtpasswdLine and
// HtpasswdFile write htpasswd entries as text, for a Basic verifier's
// user list or file.
//
// # The gate's log, canaries, and time
//
// Log collects the gate's JSON log lines (give Log.Logger to
// middleware.WithLogger) and returns its refusal events and reasons.
// CredentialForms lists the forms of a credential (itself and its base64)
// that a canary check looks for in that log and in the response.
// Clock is a clock the test moves by hand, for the verifiers' WithClock
// options.
package authgatetest
