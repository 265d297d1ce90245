package verifiers

import "net/http"

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

type reasonInfo struct {
	status int
	// client is the code shown to the client; it differs from the reason
	// where telling the two apart would help an attacker (unknown user vs
	// wrong password).
	client Reason
	// desc is the client-safe description: body detail and, for Bearer,
	// error_description. Only RFC 6750 §3 characters.
	desc string
}

var reasonTable = map[Reason]reasonInfo{
	CredentialsMissing:    {401, CredentialsMissing, "Authentication is required."},
	SchemeNotAccepted:     {401, SchemeNotAccepted, "The authentication scheme is not accepted here."},
	CredentialsMalformed:  {401, CredentialsMalformed, "The credentials are malformed."},
	CredentialsInvalid:    {401, CredentialsInvalid, "The credentials are invalid."},
	UserUnknown:           {401, CredentialsInvalid, "The credentials are invalid."},
	PasswordMismatch:      {401, CredentialsInvalid, "The credentials are invalid."},
	APIKeyUnknown:         {401, CredentialsInvalid, "The credentials are invalid."},
	APIKeySecretMismatch:  {401, CredentialsInvalid, "The credentials are invalid."},
	APIKeyRevoked:         {401, APIKeyRevoked, "The API key has been revoked."},
	APIKeyExpired:         {401, APIKeyExpired, "The API key has expired."},
	APIKeyWrongEnv:        {401, APIKeyWrongEnv, "The API key belongs to another environment."},
	APIKeyChecksumInvalid: {401, APIKeyChecksumInvalid, "The API key is mistyped or truncated."},
	TokenMalformed:        {401, TokenMalformed, "The access token is malformed."},
	TokenSignatureInvalid: {401, TokenSignatureInvalid, "The access token signature is invalid."},
	TokenKeyUnknown:       {401, TokenKeyUnknown, "The access token is signed with an unknown key."},
	TokenAlgNotAllowed:    {401, TokenAlgNotAllowed, "The access token algorithm is not allowed."},
	TokenExpired:          {401, TokenExpired, "The access token expired."},
	TokenNotYetValid:      {401, TokenNotYetValid, "The access token is not valid yet."},
	TokenIssuedInFuture:   {401, TokenIssuedInFuture, "The access token is issued in the future."},
	TokenIssuerMismatch:   {401, TokenIssuerMismatch, "The access token issuer is not accepted."},
	TokenAudienceMismatch: {401, TokenAudienceMismatch, "The access token is not meant for this resource."},
	TokenTypeMismatch:     {401, TokenTypeMismatch, "The access token type is not accepted."},
	TokenClaimMissing:     {401, TokenClaimMissing, "The access token lacks a required claim."},
	TokenClaimInvalid:     {401, TokenClaimInvalid, "The access token has a malformed claim."},
	TokenIsIDToken:        {401, TokenIsIDToken, "An ID token is not an access token."},
	TokenInvalid:          {401, TokenInvalid, "The access token is invalid."},
	RequestMalformed:      {400, RequestMalformed, "The request carries credentials in a malformed way."},
	ScopeInsufficient:     {403, ScopeInsufficient, "The credentials lack a required scope."},
	Forbidden:             {403, Forbidden, "Access is denied."},
	TooManyFailures:       {429, TooManyFailures, "Too many failed attempts; try again later."},
	CredentialsTooLarge:   {431, CredentialsTooLarge, "The credentials header is too large."},
	VerifierUnavailable:   {503, VerifierUnavailable, "Authentication is temporarily unavailable."},
	PreflightUnanswered:   {204, PreflightUnanswered, "The CORS preflight was not answered by a CORS handler."},
}

// Reasons returns every reason code, in a stable order.
func Reasons() []Reason {
	return []Reason{
		CredentialsMissing, SchemeNotAccepted, CredentialsMalformed, CredentialsInvalid,
		UserUnknown, PasswordMismatch,
		APIKeyUnknown, APIKeySecretMismatch, APIKeyRevoked, APIKeyExpired, APIKeyWrongEnv, APIKeyChecksumInvalid,
		TokenMalformed, TokenSignatureInvalid, TokenKeyUnknown, TokenAlgNotAllowed, TokenExpired,
		TokenNotYetValid, TokenIssuedInFuture, TokenIssuerMismatch, TokenAudienceMismatch,
		TokenTypeMismatch, TokenClaimMissing, TokenClaimInvalid, TokenIsIDToken, TokenInvalid,
		RequestMalformed, ScopeInsufficient, Forbidden, TooManyFailures, CredentialsTooLarge, VerifierUnavailable,
		PreflightUnanswered,
	}
}

// Known reports whether r is one of the codes listed by Reasons. The gate
// replaces an unknown code from a custom verifier by CredentialsInvalid
// and logs the code it was given in the detail.
func (r Reason) Known() bool {
	_, ok := reasonTable[r]
	return ok
}

// Status returns the HTTP status the gate answers for r; 401 for an
// unknown reason.
func (r Reason) Status() int {
	if i, ok := reasonTable[r]; ok {
		return i.status
	}
	return http.StatusUnauthorized
}

// Public returns the code shown to the client for r. It equals r except
// where the difference would help an attacker: unknown user and wrong
// password both show as CredentialsInvalid, and so do an unknown API key
// id and a wrong API key secret.
func (r Reason) Public() Reason {
	if i, ok := reasonTable[r]; ok {
		return i.client
	}
	return CredentialsInvalid
}

// Description returns the client-safe sentence for r, used in the
// response body and as a Bearer error_description. It holds only characters
// RFC 6750 §3 allows in error_description.
func (r Reason) Description() string {
	if i, ok := reasonTable[r]; ok {
		return i.desc
	}
	return reasonTable[CredentialsInvalid].desc
}
