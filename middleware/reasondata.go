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
	d.bodyPrefix = appendProblemPrefix(nil, status, d.title, d.desc, d.public)
	d.body = append(append([]byte(nil), d.bodyPrefix...), "}\n"...)
	d.bodyLen = strconv.Itoa(len(d.body))
	return d
}

// guessing tells whether a rejection for reason r counts as a failed
// attempt for WithFailureLimit: the credentials could not be shown to be
// genuine, so the client may be guessing or forging them. Rejections of a
// credential shown to be genuine (signature verified, key secret matched)
// but stale or meant for elsewhere do not count: an expired token a
// client keeps sending, a revoked key, a token for another audience.
// Neither do requests without credentials, unaccepted schemes, key-id
// prefixes of another environment (no secret was checked), nor the
// statuses that do not blame the credentials (403, 429, 431, 503).
func guessing(r verifiers.Reason) bool {
	switch r {
	case verifiers.CredentialsMalformed, verifiers.CredentialsInvalid,
		verifiers.UserUnknown, verifiers.PasswordMismatch,
		verifiers.APIKeyUnknown, verifiers.APIKeySecretMismatch, verifiers.APIKeyChecksumInvalid,
		verifiers.TokenMalformed, verifiers.TokenSignatureInvalid, verifiers.TokenKeyUnknown,
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
