// Package hardening holds authgate's cross-scheme hardening tests: one
// chi router with the gate and the three real verifiers (API key, Basic,
// Bearer) mounted per route, attacked with abusive headers (oversized,
// repeated, control characters, odd whitespace and case), fuzzed, loaded
// from hundreds of concurrent clients, and run against failing key stores,
// unreachable or misbehaving JWKS servers and panicking verifiers and
// policies. Every test also checks that no credential, nor any base64 form
// of it, shows up in the log, the response headers or the body.
//
// The package has no code of its own: everything is in its _test.go files.
package hardening
