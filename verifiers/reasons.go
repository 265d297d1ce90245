package verifiers

import (
	"log/slog"
)

// Reason is a stable code that says why a request was not let through. The
// set is closed and part of the API: codes are logged in the "reason" field
// and sent in the response body, so users can alert on them. They do not
// change once released.
type Reason string

// The reason codes. Status gives the HTTP status of each.
const (
	// 401: the request did not authenticate.
	CredentialsMissing    Reason = "credentials_missing"      // no credentials for any scheme the route accepts
	SchemeNotAccepted     Reason = "scheme_not_accepted"      // Authorization uses a scheme the route does not accept
	CredentialsMalformed  Reason = "credentials_malformed"    // credentials present but not in their scheme's syntax
	CredentialsInvalid    Reason = "credentials_invalid"      // rejected for a reason a custom verifier did not classify
	UserUnknown           Reason = "user_unknown"             // Basic: no such user
	PasswordMismatch      Reason = "password_mismatch"        // Basic: wrong password
	APIKeyUnknown         Reason = "apikey_unknown"           // no key with this id
	APIKeySecretMismatch  Reason = "apikey_secret_mismatch"   // key id known, secret differs
	APIKeyRevoked         Reason = "apikey_revoked"           // key was revoked
	APIKeyExpired         Reason = "apikey_expired"           // key is past its expiry
	APIKeyWrongEnv        Reason = "apikey_wrong_environment" // key was issued for another environment (test vs live)
	APIKeyChecksumInvalid Reason = "apikey_checksum_invalid"  // key's checksum fails: typo, truncation
	TokenMalformed        Reason = "token_malformed"          // not a well-formed JWS compact token
	TokenSignatureInvalid Reason = "token_signature_invalid"  // signature does not verify
	TokenKeyUnknown       Reason = "token_key_unknown"        // no key with the token's kid
	TokenAlgNotAllowed    Reason = "token_alg_not_allowed"    // alg not in the allow-list
	TokenExpired          Reason = "token_expired"            // past exp (plus leeway)
	TokenNotYetValid      Reason = "token_not_yet_valid"      // before nbf (minus leeway)
	TokenIssuedInFuture   Reason = "token_issued_in_future"   // iat after now (plus leeway)
	TokenIssuerMismatch   Reason = "token_issuer_mismatch"    // iss is not the configured issuer
	TokenAudienceMismatch Reason = "token_audience_mismatch"  // aud does not contain the configured audience
	TokenTypeMismatch     Reason = "token_type_mismatch"      // typ header is not the expected one
	TokenClaimMissing     Reason = "token_claim_missing"      // a required claim is absent
	TokenClaimInvalid     Reason = "token_claim_invalid"      // a claim has the wrong type or syntax (scope with non-SP white space)
	TokenIsIDToken        Reason = "token_is_id_token"        // an OpenID Connect ID token sent as an access token
	TokenInvalid          Reason = "token_invalid"            // an opaque token the token function did not accept

	// 401, DPoP (RFC 9449): the proof, or the binding of the token to it.
	DPoPProofMissing          Reason = "dpop_proof_missing"           // Authorization: DPoP without a DPoP proof header
	DPoPProofMalformed        Reason = "dpop_proof_malformed"         // not a JWS, typ not dpop+jwt, a claim absent or of the wrong type
	DPoPProofKeyInvalid       Reason = "dpop_proof_key_invalid"       // the jwk header is absent, private, symmetric or not a valid key
	DPoPProofAlgNotAllowed    Reason = "dpop_proof_alg_not_allowed"   // alg outside the DPoP allow-list
	DPoPProofSignatureInvalid Reason = "dpop_proof_signature_invalid" // the proof's signature does not verify with its jwk
	DPoPProofMismatch         Reason = "dpop_proof_mismatch"          // htm or htu is not this request's method or URL
	DPoPProofStale            Reason = "dpop_proof_stale"             // iat outside the accepted window
	DPoPProofReplayed         Reason = "dpop_proof_replayed"          // the proof's jti was used before
	DPoPATHMismatch           Reason = "dpop_ath_mismatch"            // ath absent or not the hash of this token
	DPoPKeyMismatch           Reason = "dpop_key_mismatch"            // the token's cnf.jkt is absent or names another key
	DPoPNonceRequired         Reason = "dpop_nonce_required"          // the server's DPoP-Nonce is missing or stale (use_dpop_nonce)
	DPoPBoundTokenAsBearer    Reason = "dpop_bound_token_as_bearer"   // a DPoP-bound token sent with the Bearer scheme
	DPoPRequired              Reason = "dpop_required"                // a Bearer token where the verifier requires DPoP

	// 400: the request itself is malformed.
	RequestMalformed Reason = "request_malformed" // two Authorization fields, empty credentials, credentials sent two ways

	// 403: authenticated, but not allowed.
	ScopeInsufficient Reason = "scope_insufficient" // a required scope is missing
	Forbidden         Reason = "forbidden"          // a policy said no

	// 429: too many failed attempts from this client (see the gate's
	// WithFailureLimit); no verifier ran.
	TooManyFailures Reason = "too_many_failures"

	// 431: credentials too large to look at.
	CredentialsTooLarge Reason = "credentials_too_large"

	// 503: the check could not be made.
	VerifierUnavailable Reason = "verifier_unavailable"

	// 204: a CORS preflight reached the gate, so no CORS middleware in
	// front of it answered; the gate answers it without calling the
	// protected handler (and without CORS headers, so the browser does not
	// send the real request). Only the gate gives it: a verifier's
	// Rejection with it is reported as CredentialsInvalid.
	PreflightUnanswered Reason = "preflight_unanswered"
)

// ReasonInfo is what the project knows about one reason code: the one
// table that the gate, the verifiers and the README read. Reason.Info
// returns it with a single lookup.
type ReasonInfo struct {
	// Status is the HTTP status the gate answers.
	Status int
	// Public is the code shown to the client. It equals the reason except
	// where the difference would help an attacker: an unknown user and a
	// wrong password both show as CredentialsInvalid.
	Public Reason
	// Description is the client-safe sentence: the body's detail and, for
	// Bearer, error_description. Only RFC 6750 §3 characters.
	Description string
	// Level is how loudly the gate logs the refusal: info for a request
	// without credentials (a browser's first request), error when the
	// server could not check (503), warn otherwise.
	Level slog.Level
	// Retry marks the statuses whose response carries Retry-After (429,
	// 503).
	Retry bool
	// Guess marks a rejection that counts as a failed attempt for the
	// gate's failure limit: a guess that was checked against a secret and
	// was wrong (unknown user or key, wrong password or secret, an invalid
	// token), or a malformed or forged credential (bad signature, refused
	// algorithm). Rejections that no guess can turn into a success and
	// that genuine clients meet too do not count: a stale credential
	// (expired, not yet valid, revoked), one meant for elsewhere (issuer,
	// audience, environment, a missing claim), a token signed by a key not
	// in the key set (as after a rotation), no credentials, an unaccepted
	// scheme, and the statuses that do not blame the credentials (403,
	// 429, 431, 503).
	Guess bool
	// Cacheable marks a rejection that depends on the credential and the
	// verifier's configuration (and key set) alone, so that a cache keyed
	// by the credential may remember it. Not cacheable: reasons that change
	// with time (token_not_yet_valid, token_issued_in_future), that must
	// keep reaching the key-set refresh (token_key_unknown; a verifier
	// whose key set is never fetched may remember it, as the Bearer
	// verifier does for a static set), and those
	// about the request rather than the credential (no credentials, two
	// ways, too large) or decided by the gate (403, 429, 503, 204).
	Cacheable bool
}

// reasonTable holds every reason in the order Reasons lists them. Each
// row: the reason, then ReasonInfo's fields in order (status, public,
// description, level, retry, guess, cacheable).
var reasonTable = [...]struct {
	r    Reason
	info ReasonInfo
}{
	{CredentialsMissing, ReasonInfo{401, CredentialsMissing, "Authentication is required.", slog.LevelInfo, false, false, false}},
	{SchemeNotAccepted, ReasonInfo{401, SchemeNotAccepted, "The authentication scheme is not accepted here.", slog.LevelWarn, false, false, false}},
	{CredentialsMalformed, ReasonInfo{401, CredentialsMalformed, "The credentials are malformed.", slog.LevelWarn, false, true, true}},
	{CredentialsInvalid, ReasonInfo{401, CredentialsInvalid, "The credentials are invalid.", slog.LevelWarn, false, true, true}},
	{UserUnknown, ReasonInfo{401, CredentialsInvalid, "The credentials are invalid.", slog.LevelWarn, false, true, true}},
	{PasswordMismatch, ReasonInfo{401, CredentialsInvalid, "The credentials are invalid.", slog.LevelWarn, false, true, true}},
	{APIKeyUnknown, ReasonInfo{401, CredentialsInvalid, "The credentials are invalid.", slog.LevelWarn, false, true, true}},
	{APIKeySecretMismatch, ReasonInfo{401, CredentialsInvalid, "The credentials are invalid.", slog.LevelWarn, false, true, true}},
	{APIKeyRevoked, ReasonInfo{401, APIKeyRevoked, "The API key has been revoked.", slog.LevelWarn, false, false, true}},
	{APIKeyExpired, ReasonInfo{401, APIKeyExpired, "The API key has expired.", slog.LevelWarn, false, false, true}},
	{APIKeyWrongEnv, ReasonInfo{401, APIKeyWrongEnv, "The API key belongs to another environment.", slog.LevelWarn, false, false, true}},
	{APIKeyChecksumInvalid, ReasonInfo{401, APIKeyChecksumInvalid, "The API key is mistyped or truncated.", slog.LevelWarn, false, true, true}},
	{TokenMalformed, ReasonInfo{401, TokenMalformed, "The access token is malformed.", slog.LevelWarn, false, true, true}},
	{TokenSignatureInvalid, ReasonInfo{401, TokenSignatureInvalid, "The access token signature is invalid.", slog.LevelWarn, false, true, true}},
	{TokenKeyUnknown, ReasonInfo{401, TokenKeyUnknown, "The access token is signed with an unknown key.", slog.LevelWarn, false, false, false}},
	{TokenAlgNotAllowed, ReasonInfo{401, TokenAlgNotAllowed, "The access token algorithm is not allowed.", slog.LevelWarn, false, true, true}},
	{TokenExpired, ReasonInfo{401, TokenExpired, "The access token expired.", slog.LevelWarn, false, false, true}},
	{TokenNotYetValid, ReasonInfo{401, TokenNotYetValid, "The access token is not valid yet.", slog.LevelWarn, false, false, false}},
	{TokenIssuedInFuture, ReasonInfo{401, TokenIssuedInFuture, "The access token is issued in the future.", slog.LevelWarn, false, false, false}},
	{TokenIssuerMismatch, ReasonInfo{401, TokenIssuerMismatch, "The access token issuer is not accepted.", slog.LevelWarn, false, false, true}},
	{TokenAudienceMismatch, ReasonInfo{401, TokenAudienceMismatch, "The access token is not meant for this resource.", slog.LevelWarn, false, false, true}},
	{TokenTypeMismatch, ReasonInfo{401, TokenTypeMismatch, "The access token type is not accepted.", slog.LevelWarn, false, false, true}},
	{TokenClaimMissing, ReasonInfo{401, TokenClaimMissing, "The access token lacks a required claim.", slog.LevelWarn, false, false, true}},
	{TokenClaimInvalid, ReasonInfo{401, TokenClaimInvalid, "The access token has a malformed claim.", slog.LevelWarn, false, false, true}},
	{TokenIsIDToken, ReasonInfo{401, TokenIsIDToken, "An ID token is not an access token.", slog.LevelWarn, false, false, true}},
	{TokenInvalid, ReasonInfo{401, TokenInvalid, "The access token is invalid.", slog.LevelWarn, false, true, true}},
	{DPoPProofMissing, ReasonInfo{401, DPoPProofMissing, "The DPoP proof is missing.", slog.LevelWarn, false, false, false}},
	{DPoPProofMalformed, ReasonInfo{401, DPoPProofMalformed, "The DPoP proof is malformed.", slog.LevelWarn, false, true, false}},
	{DPoPProofKeyInvalid, ReasonInfo{401, DPoPProofKeyInvalid, "The DPoP proof key is not an acceptable public key.", slog.LevelWarn, false, true, false}},
	{DPoPProofAlgNotAllowed, ReasonInfo{401, DPoPProofAlgNotAllowed, "The DPoP proof algorithm is not allowed.", slog.LevelWarn, false, true, false}},
	{DPoPProofSignatureInvalid, ReasonInfo{401, DPoPProofSignatureInvalid, "The DPoP proof signature is invalid.", slog.LevelWarn, false, true, false}},
	{DPoPProofMismatch, ReasonInfo{401, DPoPProofMismatch, "The DPoP proof is for another method or URL.", slog.LevelWarn, false, false, false}},
	{DPoPProofStale, ReasonInfo{401, DPoPProofStale, "The DPoP proof is too old or issued in the future.", slog.LevelWarn, false, false, false}},
	{DPoPProofReplayed, ReasonInfo{401, DPoPProofReplayed, "The DPoP proof was already used.", slog.LevelWarn, false, false, false}},
	{DPoPATHMismatch, ReasonInfo{401, DPoPATHMismatch, "The DPoP proof is not bound to this access token.", slog.LevelWarn, false, false, false}},
	{DPoPKeyMismatch, ReasonInfo{401, DPoPKeyMismatch, "The access token is not bound to the DPoP proof key.", slog.LevelWarn, false, true, false}},
	{DPoPNonceRequired, ReasonInfo{401, DPoPNonceRequired, "Resource server requires nonce in DPoP proof.", slog.LevelInfo, false, false, false}},
	{DPoPBoundTokenAsBearer, ReasonInfo{401, DPoPBoundTokenAsBearer, "A DPoP-bound access token must be sent with the DPoP scheme.", slog.LevelWarn, false, false, false}},
	{DPoPRequired, ReasonInfo{401, DPoPRequired, "This resource requires a DPoP-bound access token.", slog.LevelWarn, false, false, false}},
	{RequestMalformed, ReasonInfo{400, RequestMalformed, "The request carries credentials in a malformed way.", slog.LevelWarn, false, true, false}},
	{ScopeInsufficient, ReasonInfo{403, ScopeInsufficient, "The credentials lack a required scope.", slog.LevelWarn, false, false, false}},
	{Forbidden, ReasonInfo{403, Forbidden, "Access is denied.", slog.LevelWarn, false, false, false}},
	{TooManyFailures, ReasonInfo{429, TooManyFailures, "Too many failed attempts; try again later.", slog.LevelWarn, true, false, false}},
	{CredentialsTooLarge, ReasonInfo{431, CredentialsTooLarge, "The credentials header is too large.", slog.LevelWarn, false, false, false}},
	{VerifierUnavailable, ReasonInfo{503, VerifierUnavailable, "Authentication is temporarily unavailable.", slog.LevelError, true, false, false}},
	{PreflightUnanswered, ReasonInfo{204, PreflightUnanswered, "The CORS preflight was not answered by a CORS handler.", slog.LevelWarn, false, false, false}},
}

// reasonIndex finds a reason's row in reasonTable.
var reasonIndex = func() map[Reason]*ReasonInfo {
	m := make(map[Reason]*ReasonInfo, len(reasonTable))
	for i := range reasonTable {
		m[reasonTable[i].r] = &reasonTable[i].info
	}
	return m
}()

// Reasons returns every reason code, in a stable order.
func Reasons() []Reason {
	out := make([]Reason, len(reasonTable))
	for i := range reasonTable {
		out[i] = reasonTable[i].r
	}
	return out
}

// Info returns everything about r in one lookup: the gate calls it once
// per refusal. An unknown reason reads as CredentialsInvalid, as the gate
// reports it.
func (r Reason) Info() ReasonInfo {
	if i, ok := reasonIndex[r]; ok {
		return *i
	}
	return *reasonIndex[CredentialsInvalid]
}

// Known reports whether r is one of the codes listed by Reasons. The gate
// replaces an unknown code from a custom verifier by CredentialsInvalid
// and logs the code it was given in the detail.
func (r Reason) Known() bool {
	_, ok := reasonIndex[r]
	return ok
}

// Status returns the HTTP status the gate answers for r; 401 for an
// unknown reason.
func (r Reason) Status() int { return r.Info().Status }

// Public returns the code shown to the client for r. It equals r except
// where the difference would help an attacker: unknown user and wrong
// password both show as CredentialsInvalid, and so do an unknown API key
// id and a wrong API key secret.
func (r Reason) Public() Reason { return r.Info().Public }

// Description returns the client-safe sentence for r, used in the
// response body and as a Bearer error_description. It holds only characters
// RFC 6750 §3 allows in error_description.
func (r Reason) Description() string { return r.Info().Description }

// Cacheable reports whether a rejection for r may be remembered by a
// cache keyed by the credential; see ReasonInfo.Cacheable.
func (r Reason) Cacheable() bool { return r.Info().Cacheable }
