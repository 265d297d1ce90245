// Package apikey is authgate's API key verifier: keys whose failures
// explain themselves (mistyped, truncated, sent to the wrong environment,
// revoked, expired), stored as hashes only, compared in constant time.
//
//	store, err := apikey.OpenFileStore("/etc/myapi/keys.txt")
//	v, err := apikey.New(store, apikey.WithEnvironment("live"))
//	r.With(gate.Require(v)).Get("/v1/reports", reports) // chi; gate is a *middleware.Gate
//
// # Key format
//
// Generate makes keys of the form
//
//	<prefix>_<environment>_<id>_<secret><checksum>
//	ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf   (an example, valid but never issued)
//
// where
//
//   - prefix is the product prefix, 1 to 16 characters a-z0-9 starting
//     with a letter (DefaultPrefix "ak"), so that people and secret
//     scanners recognise the key;
//   - environment is a tag of 1 to 16 characters a-z0-9, such as "live"
//     or "test";
//   - id is the public key id: IDLength (12) characters of base62
//     (0-9 A-Z a-z) drawn uniformly from crypto/rand, about 71 bits; it is
//     the lookup key in the store and is safe to log;
//   - secret is SecretLength (22) base62 characters drawn uniformly from
//     crypto/rand: 22·log2(62) ≈ 130.9 bits, at least 128;
//   - checksum is the CRC-32 (IEEE polynomial, as hash/crc32.ChecksumIEEE)
//     of every byte before it, "<prefix>_<environment>_<id>_<secret>",
//     written as ChecksumLength (6) base62 digits, most significant first,
//     padded with '0' (62^6 > 2^32).
//
// Underscores are the only separators, so a double click selects the
// whole key, and the secret and checksum form one part so that a truncated
// key fails its checksum. With the default prefix and "live" a key is 49
// characters long.
//
// The checksum is not a security feature (anyone can compute a CRC): it
// lets the verifier tell, before any store lookup, a key damaged on its way
// from a key's owner to the server. CRC-32 detects every change of a single
// character and every swap of two adjacent characters.
//
// Keys that do not start with "<prefix>_" are foreign keys, issued by
// another system: they are accepted through a plain hashed lookup. Their
// store id is "ext_" followed by 32 hex digits of a domain-separated
// SHA-256 of the key, and their stored hash is the SHA-256 of the whole
// key; ForeignKey computes both. Foreign keys must be random with at least
// 128 bits of entropy too.
//
// # Outcomes
//
// Verify checks, in this order, and answers:
//
//	situation                                              reason                     status
//	no key in any place the verifier reads                 (ErrNoCredentials)         401 credentials_missing, by the gate
//	keys in two places, the same place twice, an empty key request_malformed          400
//	key longer than WithMaxKeyLength (default 512 bytes)   credentials_too_large      431
//	Basic credentials (WithBasicUser) not base64,
//	  without ':', empty user name, control character      credentials_malformed      401
//	"<prefix>_" but not environment_id_secretchecksum,
//	  or a character outside the alphabet                  credentials_malformed      401
//	an unexpanded shell expression: $API_KEY, ${API_KEY},
//	  $(cat key), `cat key` (single-quoted in a shell)     credentials_malformed      401
//	checksum does not match: typo, truncation, extra chars apikey_checksum_invalid    401
//	environment tag is not the server's (WithEnvironment)  apikey_wrong_environment   401
//	store cannot be read                                   (Unavailable)              503 verifier_unavailable
//	no key with this id in the store                       apikey_unknown             401
//	id known, secret's hash differs                        apikey_secret_mismatch     401
//	the record's environment is not the server's           apikey_wrong_environment   401
//	revoked (Record.Revoked reached)                       apikey_revoked             401
//	past Record.Expires                                    apikey_expired             401
//
// The first six are decided without a store lookup. An id that is found
// with the wrong secret is apikey_secret_mismatch in the server log, so an
// operator can tell a key that was altered, or a store line written for
// another key, from a key that does not exist; the client sees
// credentials_invalid for both (verifiers.Reason.Public), so it cannot use
// the difference to discover valid key ids. Revocation and expiry are only
// reported once the secret has matched, for the same reason.
//
// The details say what failed with numbers (lengths, offsets, times: "API
// key Zx81bQ0aLm3c expired 2h0m0s ago, at 2026-11-28T08:00:00Z"), and the
// hints name the likely cause ("a test key was sent to the live server",
// "the key is 3 characters shorter than a generated key: it was probably
// truncated when copied").
//
// # Storage holds no secret
//
// A Record keeps the SHA-256 of the key's secret, never the secret, plus
// the key id, subject, scopes, environment and the creation, expiry and
// revocation times. A fast hash is right here, unlike for passwords: a
// password hash such as bcrypt or Argon2 is slow to make guessing each of
// the few likely human-chosen passwords expensive. A generated secret is
// not guessable at all: it is one of 2^130 equally likely values, so even
// with the store in hand an attacker must try about 2^129 SHA-256 inputs
// to find one key, which no amount of hash speed makes feasible. A slow
// hash would add tens of milliseconds of CPU to every request and make the
// API easy to overload, for no gain.
//
// The hashes are compared with crypto/subtle.ConstantTimeCompare. Looking
// up the id is not constant time, which reveals at most whether an id
// exists; ids are not secret.
//
// # Where keys are read
//
// By default from the header X-API-Key (DefaultHeader). WithHeader,
// WithAuthorization ("Authorization: APIKey <key>"), WithBasicUser (the
// key as the Basic user name, "Authorization: Basic base64(<key>:)", as
// Stripe's clients and curl -u '<key>:' send it; the password is
// ignored), WithCookie and WithQuery choose other places; a verifier may
// read several, at most one of each kind. A request carrying keys in two places, or twice in one,
// is refused with 400 request_malformed rather than guessing which one
// counts. Query parameters are off by default: URLs are logged by proxies,
// servers and browsers (see WithQuery).
//
// The Identity of an authenticated request has Scheme verifiers.SchemeAPIKey,
// the record's Subject and Scopes, the attribute key_id, and Source set to
// the place the key came from. The gate uses Source to mark responses to
// requests authenticated by a header other than Authorization, by a cookie
// or by the query as Cache-Control: private, with Vary on the header (or
// Cookie), as RFC 9110 §16.4.2 requires of such responses.
//
// # Challenge
//
// No authentication scheme is registered for API keys. The verifier sends
// a custom challenge that follows RFC 9110 §11.3's auth-param syntax, so
// clients must ignore what they do not understand:
//
//	APIKey realm="api", header="X-API-Key"
//
// realm comes first (WithRealm), then one parameter per place read, in the
// order the options gave them: header="<field name>",
// authorization="<scheme>", cookie="<name>", query="<parameter>",
// basic="user". A client or a developer reading a 401 learns where to put
// the key.
//
// A verifier that reads only the Basic user name (WithBasicUser alone)
// sends a Basic challenge instead, `Basic realm="api"`: curl --anyauth
// then sends the credentials it was given, and a browser that navigates
// to the route shows its login prompt, where the key goes in the user
// name and the password stays empty. (A page's fetch() on the same
// origin gets that prompt too; serve such routes to scripts, or read the
// key from a header for them.) The Identity's Scheme is still
// verifiers.SchemeAPIKey; the gate logs rejections with scheme Basic,
// the scheme of the request.
//
// # Logging
//
// A rejection carries the attribute key_id (the public id) when the key has
// one, and fingerprint, a keyed HMAC from a verifiers.Fingerprinter, for
// unknown, mismatched, malformed and foreign keys, so that repeated
// attempts with the same key can be correlated. The key, its secret and
// any encoding of them never appear in a detail, hint, attribute or error.
// The id part of a key whose checksum fails is logged only when it has the
// shape of an id; nothing of a malformed key is logged.
package apikey
