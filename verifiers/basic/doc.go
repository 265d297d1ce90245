// Package basic is authgate's verifier for HTTP Basic authentication
// (RFC 7617): users and password hashes from an Apache htpasswd file, from
// memory, or from your own database, checked in time that does not reveal
// which users exist, with a cache that makes bcrypt affordable.
//
//	users, err := basic.OpenFileStore("/etc/myapp/users.htpasswd", basic.WithFileLogger(logger))
//	v, err := basic.New(users, basic.WithRealm("admin"))
//	r.With(middleware.Require(v)).Get("/admin", admin)
//
// The challenge is `Basic realm="admin", charset="UTF-8"` (RFC 7617 §2,
// §2.1).
//
// # Parsing
//
// The credentials must be strict base64 (RFC 4648 §4: standard alphabet,
// padding required, no whitespace or line breaks, no non-zero trailing
// bits) of user-id ":" password, at most MaxCredentialsLength bytes before
// decoding. The user-id ends at the first colon; the password may hold
// more colons (RFC 7617 §2). Both must be valid UTF-8 without control
// characters (C0, DEL, and C1 too). Anything else is credentials_malformed
// (401), with a hint when the cause is recognisable: no colon, base64url
// instead of base64, missing padding, a user:password sent unencoded, or a
// JWT sent with the Basic scheme, or shell syntax sent unexpanded
// ($(...), `...`, $VAR, ${VAR}: the header was in single quotes). "Basic"
// with nothing after it is
// request_malformed (400); oversized credentials are credentials_too_large
// (431).
//
// Unicode normalisation: RFC 7617 §2.1 asks for NFC before comparing. This
// package compares the UTF-8 bytes as sent, because Unicode tables are not
// among authgate's dependencies. The difference only shows for non-ASCII
// user-ids or passwords that a client sends decomposed, and it fails safe:
// such a login is refused (password_mismatch), never let through. Use
// WithNormalizer with golang.org/x/text/unicode/norm's NFC.String to
// follow §2.1 exactly.
//
// # Hash formats
//
// bcrypt ($2y$, $2a$, $2b$; note that bcrypt reads only the first 72
// bytes of a password) and argon2id in PHC string form
// ($argon2id$v=19$m=65536,t=3,p=4$salt$digest). Plain text, DES crypt,
// MD5 ($apr1$, $1$) and SHA-1 ({SHA}, {SSHA}) are refused when a store
// is loaded, with an error naming the file and line, and there is no
// option to accept them: a stolen file of such hashes is cracked in hours.
// Re-hash with `htpasswd -B`.
//
// Costs are bounded too, so that one entry cannot make every login cost
// hours of CPU or gigabytes of memory: bcrypt up to MaxBcryptCost (14),
// argon2id up to MaxArgon2Memory (128 MiB), MaxArgon2Time (10 passes)
// and MaxArgon2Parallelism (16 lanes). A hash over them is refused with
// ErrHashTooExpensive (and, in a file, the line). OpenFileStore also warns
// (WithFileLogger) about a file without users and names the users whose
// hashes are weak (bcrypt below cost 10) or cheaper than the file's
// strongest.
//
// # Timing
//
// An unknown user costs as much as a wrong password, whatever the costs
// of the store's hashes: the password is checked against the store's
// decoy, a hash with random salt and digest at the strongest parameters
// the store uses, and a known user whose hash is cheaper than the decoy
// pays the difference (a cost-5 bcrypt user in a file whose strongest
// entry is cost 12 also runs decoys of costs 5 to 11, whose work adds up
// to one check at cost 12). A store mixing bcrypt and argon2id makes
// every check pay for the strongest hash of both. The client sees the
// same status, challenge and body for both (reason credentials_invalid);
// the server log says user_unknown or password_mismatch. Hash digests are
// compared in constant time.
//
// # Bounded work
//
// At most WithConcurrentChecks hash checks (by default GOMAXPROCS) run
// at once; a request that needs one waits for a free slot at most
// DefaultCheckWait, or until its context ends, and is then answered 503
// verifier_unavailable with Retry-After. Cache hits, and requests that
// join an identical check in flight, need no slot.
//
// # Cache
//
// A successful check is remembered for a while (WithCache), keyed by
// HMAC-SHA256 under a random per-Verifier key of user, a NUL byte and
// password: the cache holds no password. The store is still asked for the
// user's hash on every request, and an entry is trusted only while that
// hash is unchanged: a FileStore's Reload drops every entry made before it, and
// a MemoryStore's Put or a changed hash in your database drops the user's.
// Failures are never cached. Concurrent checks of the same credentials run
// the hash function once and share the answer, so a burst of identical
// first requests costs one bcrypt, not one each; a request whose context
// ends while it waits for that answer stops waiting and is answered 503.
//
// Wrong passwords still cost a full hash check each: rate-limit failing
// clients in front of the gate if that matters to you.
//
// # Logging
//
// The gate logs one event per rejection. This verifier adds the user-id as
// the "user" attribute, with a copy of the password inside it (8 bytes or
// more) replaced by "[redacted]", then invalid UTF-8 and control
// characters replaced, then the length cut to 64 bytes: redacted before
// cut, so that no piece of the password survives the cut.
//
// A user-id that looks like a credential (verifiers.LooksLikeCredential:
// an API key, a JWT, a long high-entropy string, as curl -u KEY: or
// https://KEY@host/ send) is never logged as text: the rejection carries
// its keyed fingerprint as the "fingerprint" attribute instead, and a
// hint saying what the client seems to have sent. ClaimedPrincipal, which
// the gate's failure limiting logs and keeps in memory, returns
// "fingerprint:" and the same fingerprint for it. The password and the
// header value are never in a detail, a hint, an attribute or an error.
package basic
