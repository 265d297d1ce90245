package middleware

import (
	"net/http"
	"strconv"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// refusal is everything the gate knows about a request it refuses.
type refusal struct {
	reason verifiers.Reason
	scheme string // the scheme concerned, when known and safe to log
	detail string // server-side
	hint   string // server-side, shown to the client in development mode
	attrs  []verifiers.Attr
	// challenges are the WWW-Authenticate lines; shared, never modified.
	challenges   []string
	clientDetail string // overrides reason.Description() in the body
	retryAfter   time.Duration
	err          error // cause of a 503
	// gateText marks a refusal whose detail, hint and attributes the gate
	// wrote itself from constants and numbers: they cannot hold the
	// credential, so they are not scrubbed. Text that came from a verifier,
	// a policy or an identity is always scrubbed.
	gateText bool
	// cl is the client, once known.
	cl    client
	hasCl bool
	// hintOut is hint scrubbed and cleaned, once hintDone; hintPlain
	// says it is plain (cleanText).
	hintOut             string
	hintDone, hintPlain bool
	// credHeaders are the route's credential header fields besides
	// Authorization, whose values are scrubbed like it.
	credHeaders []string
	// d is the data of reason, once looked up; see data.
	d *reasonData
}

// data returns the data of rf's reason, looking it up once per refusal.
func (rf *refusal) data() *reasonData {
	if rf.d == nil {
		rf.d = dataOf(rf.reason)
	}
	return rf.d
}

// refuse logs rf once and writes the response.
func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, rf *refusal) {
	d := rf.data()
	rid := requestID(r)
	// One scrubber for the log and the response: whatever reaches either
	// went through the same redaction of the request's credentials.
	sc := scrubber{off: rf.gateText, auth: r.Header["Authorization"], r: r, names: rf.credHeaders}
	g.logRefusal(r, rf, d, rid, &sc)

	h := w.Header()
	// One allocation holds every header value the gate sets. The
	// challenges are copied: rf.challenges may be the route's shared lines,
	// and whoever holds the header map may write into its values. Each
	// value's capacity is clipped, so an Add copies instead of writing
	// into its neighbour.
	n := len(rf.challenges)
	extra := 0
	if g.writeProblem == nil {
		extra = 3 // for writeProblem
	}
	vals := make([]string, n+2+extra)
	if n > 0 {
		copy(vals, rf.challenges)
		h["Www-Authenticate"] = vals[:n:n]
	}
	vals[n] = "no-store"
	h["Cache-Control"] = vals[n : n+1 : n+1]
	if d.Retry {
		switch {
		case rf.retryAfter > 0:
			vals[n+1] = strconv.FormatInt(int64((rf.retryAfter+time.Second-1)/time.Second), 10)
		default:
			vals[n+1] = g.retryAfterText
		}
		h["Retry-After"] = vals[n+1 : n+2 : n+2]
	}
	p := Problem{
		Status:    d.Status,
		Title:     d.title,
		Detail:    rf.clientDetail,
		Reason:    d.Public,
		RequestID: rid,
	}
	if p.Detail == "" {
		p.Detail = d.Description
	} else {
		p.Detail = clean(sc.scrub(p.Detail), maxDetailLen)
	}
	if g.dev {
		p.Hint = rf.clientHint(d, &sc)
	}
	if g.writeProblem == nil {
		writeProblem(w, r, p, d, vals[n+2:])
		return
	}
	g.writeProblem(w, r, p)
}

// clientOf returns the client of the refused request, computing it once.
func (rf *refusal) clientOf(g *Gate, r *http.Request) *client {
	if !rf.hasCl {
		rf.cl, rf.hasCl = g.client(r), true
	}
	return &rf.cl
}

// logHint returns the hint as logged: scrubbed by sc and cleaned.
func (rf *refusal) logHint(sc *scrubber) string {
	h, _ := rf.logHintText(sc)
	return h
}

// logHintText is logHint, and whether it is plain (cleanText).
func (rf *refusal) logHintText(sc *scrubber) (string, bool) {
	if !rf.hintDone {
		rf.hintOut, rf.hintPlain = cleanText(sc.scrub(rf.hint), maxDetailLen)
		rf.hintDone = true
	}
	return rf.hintOut, rf.hintPlain
}

// clientHint is the hint shown to the client in development mode. A reason
// shown to the client under another, public code (an unknown user and a
// wrong password are both credentials_invalid) gets the public code's one
// text, whatever the verifier said: a precise hint would tell the client
// what the public code hides. The log keeps the precise hint.
func (rf *refusal) clientHint(d *reasonData, sc *scrubber) string {
	if d.Public != rf.reason {
		return d.groupHint
	}
	return rf.logHint(sc)
}
