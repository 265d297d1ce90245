package middleware

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/verifiers"
)

// reasonData is what the gate derives from a reason code: computed once per
// process, so that a refusal costs one map lookup instead of one per
// property, and its problem body is written rather than encoded.
type reasonData struct {
	status int
	title  string
	level  zerolog.Level
	public verifiers.Reason
	desc   string
	retry  bool // the response carries Retry-After
	// failure marks a rejection that counts as a failed attempt for
	// WithFailureLimit; see guessing.
	failure bool
	// groupHint is the development-mode hint of a reason shown under
	// another public code: one text for the whole group, which does not
	// say which part of the credentials was wrong.
	groupHint string
	// bodyPrefix is the problem body up to and including the reason
	// member, for a Problem with this reason's status, title and
	// description; body closes it, and bodyLen is body's length.
	bodyPrefix []byte
	body       []byte
	bodyLen    string
}

var reasonTable = sync.OnceValue(func() map[verifiers.Reason]*reasonData {
	m := make(map[verifiers.Reason]*reasonData)
	for _, r := range verifiers.Reasons() {
		m[r] = newReasonData(r)
	}
	return m
})

func newReasonData(r verifiers.Reason) *reasonData {
	status := r.Status()
	d := &reasonData{
		status:  status,
		title:   http.StatusText(status),
		public:  r.Public(),
		desc:    r.Description(),
		retry:   status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests,
		failure: guessing(r),
	}
	switch {
	case status >= 500:
		d.level = zerolog.ErrorLevel
	case r == verifiers.CredentialsMissing:
		d.level = zerolog.InfoLevel
	default:
		d.level = zerolog.WarnLevel
	}
	if d.public != r {
		d.groupHint = "the server did not accept these credentials (" + string(d.public) +
			"); development mode does not say which part was wrong, since that would tell which names exist: the server log has the precise reason and hint"
	}
	d.bodyPrefix = appendProblemPrefix(nil, status, d.title, d.desc, d.public)
	d.body = append(append([]byte(nil), d.bodyPrefix...), "}\n"...)
	d.bodyLen = strconv.Itoa(len(d.body))
	return d
}

// guessing tells whether a rejection for reason r counts as a failed
// attempt for WithFailureLimit: a guess that was checked against a secret
// and was wrong (unknown user or key, wrong password or secret, invalid
// token), or a credential that is malformed or forged (bad signature,
// refused algorithm). The rest do not count: rejections that no guess can
// turn into a success, that cost no secret check, and that genuine
// clients meet too. That is a stale credential (an expired or
// not-yet-valid token, a revoked or expired key), one meant for elsewhere
// (another issuer, audience or key environment, a missing claim), a token
// signed by a key that is not in the key set (as after the issuer rotates
// keys), no credentials, an unaccepted scheme, and the statuses that do
// not blame the credentials (403, 429, 431, 503).
func guessing(r verifiers.Reason) bool {
	switch r {
	case verifiers.CredentialsMalformed, verifiers.CredentialsInvalid,
		verifiers.UserUnknown, verifiers.PasswordMismatch,
		verifiers.APIKeyUnknown, verifiers.APIKeySecretMismatch, verifiers.APIKeyChecksumInvalid,
		verifiers.TokenMalformed, verifiers.TokenSignatureInvalid,
		verifiers.TokenAlgNotAllowed, verifiers.TokenInvalid,
		verifiers.RequestMalformed:
		return true
	}
	return false
}

// dataOf returns the data of r. An unknown reason (which the gate never
// passes) reads as credentials_invalid, as verifiers.Reason does.
func dataOf(r verifiers.Reason) *reasonData {
	if d, ok := reasonTable()[r]; ok {
		return d
	}
	return reasonTable()[verifiers.CredentialsInvalid]
}
