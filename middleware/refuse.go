package middleware

import (
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

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
}

const (
	maxAttrLen   = 128
	maxPathLen   = 256
	maxDetailLen = 1024
)

func (g *Gate) logger4(r *http.Request) *zerolog.Logger {
	if g.logger != nil {
		return g.logger
	}
	return zerolog.Ctx(r.Context())
}

// refuse logs rf once and writes the response.
func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, rf *refusal) {
	status := rf.reason.Status()
	rid := requestID(r)
	g.logRefusal(r, rf, status, rid)

	h := w.Header()
	if len(rf.challenges) > 0 {
		// A copy: rf.challenges may be the route's shared lines, and
		// whoever holds the header map may write into its values.
		h["Www-Authenticate"] = append([]string(nil), rf.challenges...)
	}
	h["Cache-Control"] = []string{"no-store"}
	if status == http.StatusServiceUnavailable {
		d := rf.retryAfter
		if d <= 0 {
			d = g.retryAfter
		}
		h["Retry-After"] = []string{strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)}
	}
	p := Problem{
		Status:    status,
		Title:     http.StatusText(status),
		Detail:    rf.clientDetail,
		Reason:    rf.reason.Public(),
		RequestID: rid,
	}
	if p.Detail == "" {
		p.Detail = rf.reason.Description()
	}
	if g.dev {
		p.Hint = rf.hint
	}
	g.writeProblem(w, r, p)
}

func (g *Gate) logRefusal(r *http.Request, rf *refusal, status int, rid string) {
	l := g.logger4(r)
	var level zerolog.Level
	switch {
	case status >= 500:
		level = zerolog.ErrorLevel
	case rf.reason == verifiers.CredentialsMissing:
		level = zerolog.InfoLevel
	default:
		level = zerolog.WarnLevel
	}
	if l.GetLevel() > level || zerolog.GlobalLevel() > level {
		return
	}
	ip := remoteIP(r)
	suppressed := 0
	if g.sampler != nil {
		var ok bool
		if ok, suppressed = g.sampler.allow(sampleKey{ip, string(rf.reason)}); !ok {
			return
		}
	}
	ev := l.WithLevel(level)
	if ev == nil {
		return
	}
	scrub := newScrubber(r)
	ev.Str("reason", string(rf.reason)).
		Int("status", status).
		Str("scheme", rf.scheme).
		Str("method", clean(r.Method, 32)).
		Str("path", clean(r.URL.Path, maxPathLen)).
		Str("route", routePattern(r)).
		Str("remote_ip", ip).
		Str("request_id", rid).
		Str("detail", clean(scrub(rf.detail), maxDetailLen))
	if rf.hint != "" {
		ev.Str("hint", clean(scrub(rf.hint), maxDetailLen))
	}
	addAttrs(ev, rf.attrs, scrub)
	if rf.err != nil {
		ev.Str("error", clean(scrub(rf.err.Error()), maxDetailLen))
	}
	if suppressed > 0 {
		ev.Int("suppressed", suppressed)
	}
	ev.Msg("authgate: request refused")
}

// reservedFields are the gate's own log fields; a verifier's attribute with
// one of these names is logged with an "attr_" prefix instead.
var reservedFields = map[string]bool{
	"reason": true, "status": true, "scheme": true, "method": true, "path": true,
	"route": true, "remote_ip": true, "request_id": true, "detail": true, "hint": true,
	"error": true, "suppressed": true, "level": true, "message": true, "time": true,
	"subject": true,
}

func addAttrs(ev *zerolog.Event, attrs []verifiers.Attr, scrub func(string) string) {
	for _, a := range attrs {
		k := clean(a.Key, 64)
		if k == "" || reservedFields[k] {
			k = "attr_" + k
		}
		ev.Str(k, clean(scrub(a.Value), maxAttrLen))
	}
}

// newScrubber returns a function that replaces, in text a verifier wrote,
// the request's Authorization credentials and their base64 by
// "[redacted]": defence in depth against a custom verifier that puts the
// credential (or a driver error quoting it) into a detail or an error.
// Credentials shorter than 8 bytes are left alone, as they would match
// ordinary words.
func newScrubber(r *http.Request) func(string) string {
	var secrets []string
	for _, v := range r.Header["Authorization"] {
		_, rest := verifiers.SplitAuthorization(v)
		if len(rest) < 8 {
			continue
		}
		secrets = append(secrets, rest)
		if raw, err := base64.StdEncoding.DecodeString(rest); err == nil && len(raw) >= 8 {
			secrets = append(secrets, string(raw))
			if _, pw, ok := strings.Cut(string(raw), ":"); ok && len(pw) >= 8 {
				secrets = append(secrets, pw)
			}
		}
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(rest)), base64.RawURLEncoding.EncodeToString([]byte(rest)))
	}
	if len(secrets) == 0 {
		return func(s string) string { return s }
	}
	return func(s string) string {
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
}

// clean removes control characters and invalid UTF-8 from s and bounds its
// length, so a value taken from the request cannot forge log lines or
// flood them. It does not allocate when s is already clean.
func clean(s string, max int) string {
	ok := len(s) <= max
	if ok {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f || c >= utf8.RuneSelf {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == utf8.RuneError || (c >= 0x80 && c < 0xa0) {
			continue
		}
		if b.Len()+utf8.RuneLen(c) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return clean(r.RemoteAddr, 64)
}

// routePattern is chi's route pattern or the ServeMux pattern, when known.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return r.Pattern
}

// requestID is chi's request id, else a well-formed X-Request-Id.
func requestID(r *http.Request) string {
	if id := chimw.GetReqID(r.Context()); id != "" {
		return clean(id, 128)
	}
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 128 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0) {
			return ""
		}
	}
	return id
}
