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
	// WithFailureLimit: wrong credentials (401 and 400) other than none
	// at all.
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
		failure: (status == http.StatusUnauthorized || status == http.StatusBadRequest) && r != verifiers.CredentialsMissing,
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

// dataOf returns the data of r. An unknown reason (which the gate never
// passes) reads as credentials_invalid, as verifiers.Reason does.
func dataOf(r verifiers.Reason) *reasonData {
	if d, ok := reasonTable()[r]; ok {
		return d
	}
	return reasonTable()[verifiers.CredentialsInvalid]
}
