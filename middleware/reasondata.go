package middleware

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/verifiers"
)

// reasonData is verifiers' ReasonInfo of a reason with what the gate
// renders from it: computed once per process, so that a refusal looks its
// reason up once, and its problem body is written rather than encoded.
type reasonData struct {
	verifiers.ReasonInfo
	title string
	level zerolog.Level // Level, as zerolog spells it
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
	d := &reasonData{ReasonInfo: r.Info()}
	d.title = http.StatusText(d.Status)
	switch {
	case d.Level >= slog.LevelError:
		d.level = zerolog.ErrorLevel
	case d.Level >= slog.LevelWarn:
		d.level = zerolog.WarnLevel
	default:
		d.level = zerolog.InfoLevel
	}
	if d.Public != r {
		d.groupHint = "the server did not accept these credentials (" + string(d.Public) +
			"); development mode does not say which part was wrong, since that would tell which names exist: the server log has the precise reason and hint"
	}
	d.bodyPrefix = appendProblemPrefix(nil, d.Status, d.title, d.Description, d.Public)
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
