package authgatetest

import "encoding/base64"

// CredentialForms returns the forms in which a credential would show if
// something logged, echoed or wrapped it: the secret itself and its base64
// in the standard and URL alphabets, padded and raw (in that order). Use it
// for the canary check: send a unique credential, then assert that none of
// its forms appears in the log, the response headers and body, or an error.
// Add forms of your own (a token's signature segment, a key's secret part)
// where the credential has parts that could leak alone.
func CredentialForms(secret string) []string {
	b := []byte(secret)
	return []string{
		secret,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
	}
}
