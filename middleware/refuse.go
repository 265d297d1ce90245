package middleware

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
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
	// gateText marks a refusal whose detail, hint and attributes the gate
	// wrote itself from constants and numbers: they cannot hold the
	// credential, so they are not scrubbed. Text that came from a verifier,
	// a policy or an identity is always scrubbed.
	gateText bool
	// cl is the client, once known.
	cl    client
	hasCl bool
	// hintOut is hint scrubbed and cleaned, once hintDone.
	hintOut  string
	hintDone bool
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

const (
	maxAttrLen   = 128
	maxPathLen   = 256
	maxDetailLen = 1024
)

// logger4 returns the logger of the gate's events for r: WithLogger's,
// else the one in r's context, else the gate's default to stderr.
func (g *Gate) logger4(r *http.Request) *zerolog.Logger {
	if g.logger != nil {
		return g.logger
	}
	l := zerolog.Ctx(r.Context())
	// zerolog.Ctx answers a context without a logger with
	// DefaultContextLogger, or when that is nil with a disabled logger of
	// its own, the same pointer every time: that one is no one's choice,
	// so it falls back to stderr. A disabled logger someone put in the
	// context (or as DefaultContextLogger) is another pointer, and is
	// obeyed.
	if zerolog.DefaultContextLogger == nil && l == zerolog.Ctx(context.Background()) {
		return g.fallback
	}
	return l
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
	if !rf.hintDone {
		rf.hintOut, rf.hintDone = clean(sc.scrub(rf.hint), maxDetailLen), true
	}
	return rf.hintOut
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

func (g *Gate) logRefusal(r *http.Request, rf *refusal, d *reasonData, rid string, sc *scrubber) {
	l := g.logger4(r)
	if l.GetLevel() > d.level || zerolog.GlobalLevel() > d.level {
		return
	}
	var ip string
	suppressed := 0
	if g.sampler != nil || rf.hasCl {
		cl := rf.clientOf(g, r)
		ip = cl.ip
		if g.sampler != nil {
			var ok bool
			if ok, suppressed = g.sampler.allow(sampleKey{cl.key, rf.reason}, cl.ip, l); !ok {
				return
			}
		}
	} else {
		ip = g.clientIPOnly(r)
	}
	ev := l.WithLevel(d.level)
	if ev == nil {
		return
	}
	ev.Str("reason", string(rf.reason)).
		Int("status", d.Status).
		Str("scheme", rf.scheme).
		Str("method", clean(r.Method, 32)).
		Str("path", clean(r.URL.Path, maxPathLen)).
		Str("route", routePattern(r)).
		Str("remote_ip", ip).
		Str("request_id", rid).
		Str("detail", clean(sc.scrub(rf.detail), maxDetailLen))
	if rf.hint != "" {
		ev.Str("hint", rf.logHint(sc))
	}
	addAttrs(ev, rf.attrs, sc)
	if rf.err != nil {
		ev.Str("error", clean(sc.scrub(rf.err.Error()), maxDetailLen))
	}
	if suppressed > 0 {
		ev.Int("suppressed", suppressed)
	}
	ev.Msg("authgate: request refused")
}

// logSuppressed writes the summary line of identical rejections that the
// sampler did not log one by one, and that no later event of the client
// reported. It names the client and the reason, never a credential.
func (g *Gate) logSuppressed(p *pending) {
	d := dataOf(p.key.reason)
	ev := p.log.WithLevel(d.level)
	if ev == nil {
		return
	}
	ev.Str("reason", string(p.key.reason)).
		Int("status", d.Status).
		Str("remote_ip", p.ip).
		Int("suppressed", p.count).
		Str("window", g.sampleWindow.String()).
		Msg("authgate: identical rejections suppressed")
}

// reserved reports whether k is one of the gate's own log fields; a
// verifier's attribute with one of these names is logged with an "attr_"
// prefix instead.
func reserved(k string) bool {
	switch k {
	case "reason", "status", "scheme", "method", "path",
		"route", "remote_ip", "request_id", "detail", "hint",
		"error", "suppressed", "level", "message", "time",
		"subject":
		return true
	}
	return false
}

// addAttrs logs attrs, scrubbed by sc (nil: not scrubbed).
func addAttrs(ev *zerolog.Event, attrs []verifiers.Attr, sc *scrubber) {
	for _, a := range attrs {
		k := clean(a.Key, 64)
		if k == "" || reserved(k) {
			k = "attr_" + k
		}
		v := a.Value
		if sc != nil {
			v = sc.scrub(v)
		}
		ev.Str(k, clean(v, maxAttrLen))
	}
}

// scrubber replaces, in text a verifier wrote, the request's credentials
// and their base64 by "[redacted]": defence in depth against a custom
// verifier or policy that puts the credential (or a driver error quoting
// it) into a detail or an error. The credentials are the Authorization
// values (their part after the scheme), the values of the route's other
// credential header fields (an API key's X-API-Key), and the header field
// or cookie the request's identity came from. For each credential of at
// least 8 bytes, the forms redacted, in order, are: the credential; its
// base64 decoding when it decodes to at least 8 bytes; the part of that
// after the first colon (a Basic password) when at least 8 bytes; the
// standard and the raw URL base64 encodings of the credential.
// Credentials shorter than 8 bytes are left alone, as they would match
// ordinary words.
//
// The forms are computed on first need only, into buffers inside the
// scrubber (on the caller's stack) when they are short, and a form longer
// than the text is not computed at all, since the text cannot hold it. A
// string is made of a form only when the text holds it.
type scrubber struct {
	off   bool // the text is the gate's own
	auth  []string
	r     *http.Request // for the other credential fields, read on first need
	names []string      // the route's credential header fields
	ready bool
	first scrubForms   // forms of auth[0]
	more  []scrubForms // forms of the other credentials
}

// scrubInline is the longest decoded or encoded form kept in a
// scrubForms' own buffer; longer ones are allocated.
const scrubInline = 128

type scrubForms struct {
	rest string
	// raw is the decoding of rest and pw its part after the first colon,
	// as raw[pw:]; rawN == 0 when rest does not decode to 8 bytes or more,
	// pw == 0 when there is no such password. heapRaw holds raw when it
	// does not fit buf.
	rawN, pw int
	heapRaw  []byte
	buf      [scrubInline]byte
	// The encodings of rest, once encoded.
	encoded          bool
	stdN, urlN       int
	heapStd, heapURL []byte
	stdBuf, urlBuf   [scrubInline]byte
}

func (sc *scrubber) scrub(s string) string {
	if sc.off || len(s) < 8 {
		return s
	}
	if !sc.ready {
		sc.prepare()
	}
	s = sc.first.redact(s)
	for i := range sc.more {
		s = sc.more[i].redact(s)
	}
	return s
}

func (sc *scrubber) prepare() {
	sc.ready = true
	if len(sc.auth) > 0 {
		sc.first.init(authCredentials(sc.auth[0]))
		for _, v := range sc.auth[1:] {
			sc.add(authCredentials(v))
		}
	}
	if sc.r == nil {
		return
	}
	for _, name := range sc.names {
		for _, v := range sc.r.Header[name] {
			sc.add(v)
		}
	}
	// A scope or policy refusal: the identity's own source.
	if ac := authFrom(sc.r.Context()); ac != nil && ac.id != nil {
		switch src := ac.id.Source; src.In {
		case verifiers.InHeader:
			for _, v := range sc.r.Header[http.CanonicalHeaderKey(src.Name)] {
				sc.add(v)
			}
		case verifiers.InCookie:
			if c, err := sc.r.Cookie(src.Name); err == nil {
				sc.add(c.Value)
			}
		}
	}
}

// add adds a credential to scrub, unless it is too short to be one.
func (sc *scrubber) add(v string) {
	if len(v) < 8 {
		return
	}
	sc.more = append(sc.more, scrubForms{})
	sc.more[len(sc.more)-1].init(v)
}

// authCredentials is the part of an Authorization value after the scheme.
func authCredentials(v string) string {
	_, rest := verifiers.SplitAuthorization(v)
	return rest
}

func (f *scrubForms) init(rest string) {
	if len(rest) < 8 {
		return
	}
	f.rest = rest
	// Padded standard base64 is a multiple of 4 long, line breaks aside:
	// anything else does not decode, and is not worth decoding to find out.
	if len(rest)%4 != 0 && !strings.ContainsAny(rest, "\r\n") {
		return
	}
	var n int
	var err error
	if base64.StdEncoding.DecodedLen(len(rest)) <= scrubInline && len(rest) <= scrubInline {
		var src [scrubInline]byte
		copy(src[:], rest)
		n, err = base64.StdEncoding.Decode(f.buf[:], src[:len(rest)])
	} else {
		f.heapRaw, err = base64.StdEncoding.DecodeString(rest)
		n = len(f.heapRaw)
	}
	if err != nil || n < 8 {
		f.heapRaw = nil
		return
	}
	f.rawN = n
	raw := f.raw()
	if i := bytes.IndexByte(raw, ':'); i >= 0 && n-i-1 >= 8 {
		f.pw = i + 1
	}
}

func (f *scrubForms) raw() []byte {
	if f.heapRaw != nil {
		return f.heapRaw
	}
	return f.buf[:f.rawN]
}

func (f *scrubForms) redact(s string) string {
	if f.rest == "" {
		return s
	}
	s = redactForm(s, f.rest)
	if f.rawN > 0 {
		raw := f.raw()
		s = redactBytes(s, raw)
		if f.pw > 0 {
			s = redactBytes(s, raw[f.pw:])
		}
	}
	// Both encodings are longer than rest; the raw URL one is the shorter.
	if len(s) >= base64.RawURLEncoding.EncodedLen(len(f.rest)) {
		f.encode()
		s = redactBytes(s, f.std())
		s = redactBytes(s, f.url())
	}
	return s
}

func (f *scrubForms) encode() {
	if f.encoded {
		return
	}
	f.encoded = true
	if n := base64.StdEncoding.EncodedLen(len(f.rest)); n <= scrubInline {
		var src [scrubInline]byte
		copy(src[:], f.rest)
		base64.StdEncoding.Encode(f.stdBuf[:n], src[:len(f.rest)])
		f.stdN = n
		f.urlN = base64.RawURLEncoding.EncodedLen(len(f.rest))
		base64.RawURLEncoding.Encode(f.urlBuf[:f.urlN], src[:len(f.rest)])
		return
	}
	f.heapStd = base64.StdEncoding.AppendEncode(nil, []byte(f.rest))
	f.heapURL = base64.RawURLEncoding.AppendEncode(nil, []byte(f.rest))
}

func (f *scrubForms) std() []byte {
	if f.heapStd != nil {
		return f.heapStd
	}
	return f.stdBuf[:f.stdN]
}

func (f *scrubForms) url() []byte {
	if f.heapURL != nil {
		return f.heapURL
	}
	return f.urlBuf[:f.urlN]
}

func redactForm(s, form string) string {
	if len(s) >= len(form) && strings.Contains(s, form) {
		return strings.ReplaceAll(s, form, "[redacted]")
	}
	return s
}

// redactBytes is redactForm for a form held in bytes: it makes a string of
// the form only when s holds it.
func redactBytes(s string, form []byte) string {
	if len(form) == 0 || len(s) < len(form) {
		return s
	}
	for i := 0; i+len(form) <= len(s); i++ {
		j := strings.IndexByte(s[i:len(s)-len(form)+1], form[0])
		if j < 0 {
			return s
		}
		i += j
		// The conversion in a comparison does not allocate.
		if s[i:i+len(form)] == string(form) {
			return strings.ReplaceAll(s, string(form), "[redacted]")
		}
	}
	return s
}

// clean replaces control characters, invalid UTF-8 and the characters
// spoofing reports in s by U+FFFD and bounds its length, so a value taken
// from the request cannot forge log lines, pass for another, or flood them. Replaced, not dropped: "ad\x00min" must not log as
// "admin", someone else's name. It does not allocate when s is already
// clean ASCII.
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
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || spoofing(c) {
			c = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(c) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

// spoofing reports whether c would let a logged value read as something
// else: the invisible format characters (Unicode category Cf: the
// bidirectional controls of a "Trojan Source" reordering, CVE-2021-42574,
// zero-width spaces and joiners, the byte order mark, the soft hyphen,
// which make "ad\u200bmin" look like "admin") and the line and paragraph
// separators, which some log viewers break lines on.
func spoofing(c rune) bool {
	return c >= 0xad && unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp)
}

// routePattern is chi's route pattern or the ServeMux pattern, when known.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		// The common case of a single pattern without wildcards or a
		// trailing slash is what RoutePattern would return, without its
		// joining and replacing.
		if len(rc.RoutePatterns) == 1 {
			if p := rc.RoutePatterns[0]; p != "" && p != "/" && p[len(p)-1] != '/' && !strings.Contains(p, "/*/") {
				return p
			}
		}
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
	// The name is canonical: index the map rather than Get it.
	v := r.Header["X-Request-Id"]
	if len(v) == 0 || v[0] == "" || len(v[0]) > 128 {
		return ""
	}
	id := v[0]
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0) {
			return ""
		}
	}
	return id
}
