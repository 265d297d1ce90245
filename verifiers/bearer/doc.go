// Package bearer verifies OAuth 2.0 Bearer tokens (RFC 6750): JWT access
// tokens (RFC 9068, RFC 7519) signed by trusted issuers, with New, and
// opaque tokens checked by a function of yours, with NewOpaque. Both
// implement verifiers.Verifier for authgate's gate (package middleware).
//
//	v, err := bearer.New(ctx, "https://api.example.com", []bearer.Issuer{
//		{URL: "https://login.example.com/", Keys: bearer.Discovery()},
//	})
//	...
//	defer v.Close()
//	r.With(middleware.Require(v)).Get("/orders", listOrders)
//
// # Where the token is read
//
// From `Authorization: Bearer <token>` (scheme case-insensitive). The
// access_token query parameter (RFC 6750 §2.3) and form field (§2.2, POST,
// PUT and PATCH with application/x-www-form-urlencoded only) are off by
// default: WithQueryTokens, WithFormTokens. A token sent two ways, twice,
// or "Bearer" with nothing after it is request_malformed (400, Bearer
// error="invalid_request"); a token over WithMaxTokenBytes (default 8 KiB)
// is credentials_too_large (431), before any parsing. Identity.Source says
// where the token was.
//
// # Keys
//
// Each Issuer has its own keys: a static JWK set (JWKS, JWKSFile), a
// shared secret (Secret), a JWK set URL (JWKSURL), or the jwks_uri of the
// issuer's metadata (Discovery: OpenID Connect Discovery, then RFC 8414).
// The token's iss picks the issuer, by exact comparison, and only that
// issuer's keys are tried. jku, x5u, jwk and x5c headers are never used:
// nothing a token names is ever fetched (RFC 8725 §3.10).
//
// Key sets are parsed with jwx (github.com/lestrrat-go/jwx/v3/jwk) and
// then checked by authgate, which refuses what jwx lets through (see
// Project Wycheproof): RSA moduli outside MinRSABits to MaxRSABits (2048
// to 8192 bits) or with the ROCA fingerprint, exponents that are even, 1
// or over MaxRSAExponent (65537), EC keys on another
// curve than their alg names or off the curve, HMAC keys shorter than
// their hash, duplicate kids, HMAC keys beside asymmetric ones, private
// key material, and keys whose use or key_ops say they are not for
// verification (those are skipped; a set with nothing left is refused). A
// bad static set makes New fail with a *KeySetError; a bad fetched set is
// refused, logged at error level, and the previous set stays in use.
//
// Every key is bound to one algorithm (RFC 8725 §3.1): its alg member, or,
// for keys published without alg (as many providers do), the one its type
// implies: EC P-256 → ES256, P-384 → ES384, P-521 → ES512, Ed25519 →
// EdDSA. RSA keys cannot tell PKCS#1 v1.5 from PSS, so an RSA key without
// alg is bound to RS256 (what OpenID Connect requires providers to
// support, and what providers that omit alg sign with), unless
// WithAlgorithms excludes RS256 and names exactly one other RSA algorithm,
// which it is then bound to. An issuer that signs PS256 with such a key
// must publish alg "PS256". Inference never leaves the allow-list.
//
// Fetched sets are refreshed in the background, honouring Cache-Control
// max-age within WithRefreshInterval (default 5 min to 1 h). A token with
// an unknown kid makes its issuer's set be fetched again at most once per
// WithUnknownKeyRefresh (default 30 s), one fetch shared by all concurrent
// requests. An issuer whose set cannot be fetched, with nothing cached,
// gets verifier_unavailable (503 with Retry-After, never 401); with a set
// cached, tokens of its keys keep being verified and the failed refresh
// is logged at error level. A token whose kid the cached set lacks gets
// token_key_unknown (401) only when the latest fetch succeeded without
// that kid: when it failed (refused connection, reset, a 5xx, a set that
// is refused), is still running or cannot be made (a closed Verifier),
// the key may be the one the issuer has just rotated to, so the answer is
// verifier_unavailable (503) with Retry-After saying when the next fetch
// is allowed, and the first request after that fetches again. A request
// waits for a fetch at most MaxFetchWait (2 s) or until its own context
// ends, then gets 503 if the answer depends on the fetch: a hung key
// server cannot hold requests for the whole fetch timeout. Fetches use
// WithHTTPClient, WithFetchTimeout (default 10 s) and
// WithMaxResponseBytes (default 1 MiB), only over https or to loopback
// (WithPlainHTTP lifts that). New's context bounds the first fetches
// only; Close stops all background work.
//
// # Validation
//
// In this order, each failure with its reason (all 401, Bearer
// error="invalid_token" with the reason's description):
//
//   - token_malformed: not a compact JWS of base64url segments (a JWE, a
//     byte outside base64url, non-canonical base64url, a header or claims
//     set that is not a JSON object, a member given twice, crit naming an
//     extension (none is understood), cty JWT (nested tokens), a claim of
//     the wrong type);
//   - token_alg_not_allowed: alg none (in any case), unknown, outside
//     WithAlgorithms, HMAC at a public-key verifier or the other way round;
//   - token_claim_missing: no iss;
//   - token_issuer_mismatch: iss is no configured issuer;
//   - token_key_unknown: no key with the token's kid (or, without kid, no
//     key for its alg), after the refresh described above (503 instead
//     when that refresh failed); or a token without kid when more than
//     MaxKeysTried (4) keys without kid are bound to its alg: it is
//     refused before any signature check, so that one forged token costs
//     at most MaxKeysTried checks (an issuer with several keys must put
//     kid in its tokens, OpenID Connect Core §10.1);
//   - token_alg_not_allowed: the key is bound to another algorithm;
//   - token_signature_invalid;
//   - token_type_mismatch: typ is not one of WithTypes (at+jwt with
//     WithAccessTokenProfile; compared case-insensitively, "application/"
//     optional);
//   - token_is_id_token: the token carries nonce, at_hash, c_hash or
//     s_hash, which only an OpenID Connect ID token has (on by default,
//     typ or not; WithIDTokenClaimsAllowed lets named ones through for an
//     issuer that puts them in access tokens; auth_time is allowed, as
//     RFC 9068 §2.2.1 puts it in access tokens);
//   - token_claim_missing / token_expired: no exp, or now ≥ exp + leeway;
//   - token_not_yet_valid: now < nbf − leeway;
//   - token_issued_in_future: iat > now + leeway;
//   - token_claim_missing / token_audience_mismatch: aud absent, or it
//     does not contain the audience given to New (exact match);
//   - token_claim_missing: a claim of WithRequiredClaims or the RFC 9068
//     profile (sub, client_id, iat, jti) is absent;
//   - token_claim_invalid: the scope claim is not RFC 6749 §3.3 syntax
//     (see below).
//
// The leeway is WithLeeway (default 30 s, at most 5 min); the clock is
// WithClock. Scopes come from the first of WithScopeClaims present
// (default "scope" as a space-separated string, then "scp" as an array or
// a string). Scope names are separated by SP (U+0020) only, and hold
// only printable ASCII other than '"' and '\' (RFC 6749 §3.3): any other
// white space (a no-break space, a tab) or character is token_claim_invalid,
// never a separator, so that no scope the issuer did not grant can be
// read out of one it did. Runs of SP and SP at either end are ignored;
// each element of an array must be one scope name. The Identity holds sub as Subject, the scopes, all claims,
// and the attributes kid, iss, sub, jti and client_id.
//
// # Explanations
//
// Each rejection's detail says what was wrong with the numbers (when a
// token expired, how long ago, the leeway and the server's time; the iss
// or aud received and the values expected; the kid, the key set's size,
// kids and fetch time; the kid and algorithm of a bad signature), and its
// hint names the likely cause (clock skew, another environment or tenant,
// key rotation, a tampered token, and the copy-paste accidents: quotes
// around the token, "Bearer" twice, whitespace inside, a URL-encoded or
// standard-base64 token, a JWE). None of them holds the token: rejections
// carry kid, iss, sub and jti, and a keyed fingerprint
// (verifiers.Fingerprinter) of a malformed or opaque token.
//
// # Strictness beyond jwx
//
// Signatures are checked with the standard library on keys jwx parsed and
// authgate checked at load, which lets authgate be stricter than jwx where
// Wycheproof shows jwx is lax: base64url must be canonical, RSASSA-PSS
// salts must be exactly the hash length (RFC 7518 §3.5), ECDSA signatures
// exactly R||S of the curve size. wycheproof_test.go runs every Wycheproof
// JWS and JWK-set vector and lists the deliberate deviations.
//
// # Protected resource metadata (RFC 9728)
//
// WithProtectedResource publishes the metadata OAuth clients (MCP clients
// among them) read to find which authorization server issues tokens for
// this API: resource (the audience), authorization_servers (the
// issuers), scopes_supported, bearer_methods_supported (from
// WithQueryTokens and WithFormTokens), resource_name and
// resource_documentation. It is checked by New (an https resource, http
// only to loopback with AllowLoopbackHTTP; the resource must be the
// audience). Every Bearer challenge then carries resource_metadata,
// without further setup. Metadata().Middleware serves the document at
// /.well-known/oauth-protected-resource, and at the path-inserted form for
// a resource with a path (RFC 9728 §3.1), in front of the gate:
//
//	v, err := bearer.New(ctx, "https://api.example.com/mcp", issuers,
//		bearer.WithProtectedResource(bearer.ProtectedResource{ScopesSupported: []string{"mcp:tools"}}))
//	...
//	h := v.Metadata().Middleware(gate.Require(v)(app))
//
// # Opaque tokens
//
// NewOpaque passes each token with RFC 6750's b64token syntax to a
// TokenFunc (introspection, a token store). Return ErrTokenInvalid for a
// token you do not accept (token_invalid, 401), any other error when you
// could not check (503). WithCache keeps identities for a bounded time and
// number of tokens, keyed by an HMAC of the whole token.
//
// # DPoP
//
// WithDPoP (RFC 9449) accepts tokens bound to a client's key (cnf.jkt)
// sent as `Authorization: DPoP <token>` with a `DPoP: <proof>` header.
// Such requests are verified by Verifier.DPoP, a verifier of its own with
// the challenge `DPoP realm="REALM", algs="..."`, listed on the route
// beside the Verifier (DPoPAllowed: both challenges on a 401) or alone
// (DPoPRequired):
//
//	r.With(v.DPoP().Nonces, gate.Require(v.DPoP(), v)).Get("/orders", listOrders)
//
// Every proof is checked afresh, even for a cached token, as RFC 9449
// §4.3 lists (DPoPVerifier.Verify), and its jti recorded in a
// ReplayStore until its iat window closes. A bound token sent as Bearer
// is refused: no downgrade. A proof failure answers
// error="invalid_dpop_proof" in the DPoP challenge, a missing or stale
// nonce (DPoPOptions.Nonces) error="use_dpop_nonce", and a token failure
// invalid_token, each with its own dpop_* or token_* reason.
//
// # Verified-token cache
//
// Clients send the same access token for minutes, so a Verifier
// remembers the tokens it accepted, and answers them again without
// parsing or checking the signature: the same *verifiers.Identity each
// time, which handlers must treat as read-only. The cache is on by
// default and bounded both ways: DefaultTokenCacheEntries tokens and
// DefaultTokenCacheBytes bytes, counting each token's length and an
// estimate of its identity's size (WithTokenCache sets both;
// WithTokenCache(0, 0) turns it off, and then every request verifies its
// signature). It is keyed by the whole token, compared byte for byte;
// no hash stands in for it. An entry is served only while all of these
// hold, and dropped otherwise:
//
//   - the time is before the token's exp, without leeway (a token within
//     the leeway after exp is still accepted, by a full check, but no
//     longer cached), and not before its nbf or iat minus the leeway (a
//     clock set back);
//   - it is younger than TokenCacheTTL, however far the exp;
//   - the issuer's current key set would still verify the token with the
//     same key: same kid, same algorithm, same key material. A key set
//     installed by a refresh is consulted by the very next request, so a
//     key removed from the issuer's JWK set stops its tokens as soon as
//     the set is fetched again (a token with an unknown kid makes that
//     happen, see WithUnknownKeyRefresh).
//
// Eviction is CLOCK (second chance), in up to 16 shards, each with its
// own read-write lock: a hit takes one shard's read lock and allocates
// nothing.
//
// Rejections that follow from the token and the key sets alone
// (token_malformed, token_alg_not_allowed, token_claim_missing,
// token_issuer_mismatch, token_signature_invalid, token_type_mismatch,
// token_is_id_token, token_expired, token_audience_mismatch,
// token_claim_invalid) are remembered too, so that a
// client that keeps sending an expired token costs little after the
// first time. They have a cache of their own, bounded to an eighth of
// both bounds, so that a flood of bad tokens cannot evict good ones. Each
// is tagged with the key-set epoch, which changes whenever any issuer
// installs a set (every successful fetch, even of an unchanged set) or
// discovery finds another issuer name, so a remembered rejection never
// hides a change of keys. token_key_unknown (a kid the set lacks, or a
// token without kid and too many keys for its alg) is remembered only
// from a static key set, which is never fetched; from a fetched set it is
// never remembered (it must keep triggering the unknown-key refresh). Never
// remembered either: token_not_yet_valid and
// token_issued_in_future (they change with time), and 503s. A
// remembered rejection is also dropped when the time claims would give
// another answer (a token that failed on aud is reported expired once it
// is), and after TokenCacheTTL. The gate gets a copy of the remembered
// Rejection, worded as a fresh check would word it (for token_expired,
// how long ago at the current time).
//
// Concurrent first requests with one token (a client's burst right after
// it got a new token) verify it once: the first leads, the others wait
// for its remembered outcome, or check on their own when there is none
// (a 503) or their request ends first.
package bearer
