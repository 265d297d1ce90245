package middleware

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/verifiers"
)

const (
	maxAttrLen   = 128
	maxPathLen   = 256
	maxDetailLen = 1024
)

// loggerFor returns the logger of the gate's events for r: WithLogger's,
// else the one in r's context, else the gate's default to stderr.
func (g *Gate) loggerFor(r *http.Request) *zerolog.Logger {
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

// logRefusal writes the one event of a refused request, unless the
// logger's level or the sampler skips it; sc scrubs what a verifier wrote.
func (g *Gate) logRefusal(r *http.Request, rf *refusal, d *reasonData, rid string, sc *scrubber) {
	if g.slog != nil {
		g.slogRefusal(r, rf, d, rid, sc)
		return
	}
	l := g.loggerFor(r)
	if l.GetLevel() > d.level || zerolog.GlobalLevel() > d.level {
		return
	}
	ip, suppressed, ok := g.sample(r, rf, l)
	if !ok {
		return
	}
	ev := l.WithLevel(d.level)
	if ev == nil {
		return
	}
	var buf [fieldsBuf]byte
	f := fields{ev: ev}
	b := f.str(buf[:0], "reason", string(rf.reason))
	b = f.int(b, "status", d.Status)
	b = f.str(b, "scheme", rf.scheme)
	method, plain := cleanText(r.Method, 32)
	b = f.text(b, "method", method, plain)
	path, plain := cleanText(r.URL.Path, maxPathLen)
	b = f.text(b, "path", path, plain)
	b = f.str(b, "route", routePattern(r))
	b = f.str(b, "remote_ip", ip)
	b = f.str(b, "request_id", rid)
	detail, plain := cleanText(sc.scrub(rf.detail), maxDetailLen)
	b = f.text(b, "detail", detail, plain)
	if rf.hint != "" {
		hint, plain := rf.logHintText(sc)
		b = f.text(b, "hint", hint, plain)
	}
	b = f.attrs(b, rf.attrs, sc)
	if rf.err != nil {
		e, plain := cleanText(sc.scrub(rf.err.Error()), maxDetailLen)
		b = f.text(b, "error", e, plain)
	}
	if suppressed > 0 {
		b = f.int(b, "suppressed", suppressed)
	}
	f.flush(b)
	ev.Msg("authgate: request refused")
}

// sample returns the client address of a refused request and, with
// sampling on, whether its event is logged and the count of suppressed
// events it reports; l is the zerolog logger of a summary line (nil for
// the slog sink).
func (g *Gate) sample(r *http.Request, rf *refusal, l *zerolog.Logger) (ip string, suppressed int, ok bool) {
	if g.sampler == nil && !rf.hasCl {
		return g.clientIPOnly(r), 0, true
	}
	cl := rf.clientOf(g, r)
	if g.sampler != nil {
		if ok, suppressed = g.sampler.allow(sampleKey{cl.key, rf.reason}, cl.ip, l); !ok {
			return "", 0, false
		}
	}
	return cl.ip, suppressed, true
}

// logAuthenticated writes the debug event of an authenticated request.
func (g *Gate) logAuthenticated(r *http.Request, id *verifiers.Identity) {
	if g.slog != nil {
		g.slogAuthenticated(r, id)
		return
	}
	if ev := g.loggerFor(r).Debug(); ev != nil {
		var buf [fieldsBuf]byte
		f := fields{ev: ev}
		b := f.str(buf[:0], "scheme", id.Scheme)
		subject, plain := cleanText(id.Subject, maxAttrLen)
		b = f.text(b, "subject", subject, plain)
		method, plain := cleanText(r.Method, 32)
		b = f.text(b, "method", method, plain)
		path, plain := cleanText(r.URL.Path, maxPathLen)
		b = f.text(b, "path", path, plain)
		b = f.str(b, "route", routePattern(r))
		f.flush(f.attrs(b, id.Attrs, nil))
		ev.Msg("authgate: authenticated")
	}
}

// logSuppressed writes the summary line of identical rejections that the
// sampler did not log one by one, and that no later event of the client
// reported. It names the client and the reason, never a credential.
func (g *Gate) logSuppressed(p *pending) {
	d := dataOf(p.key.reason)
	if g.slog != nil {
		g.slogSuppressed(p, d)
		return
	}
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

// attrs adds attrs, scrubbed by sc (nil: not scrubbed), to run b.
func (f *fields) attrs(b []byte, attrs []verifiers.Attr, sc *scrubber) []byte {
	for _, a := range attrs {
		k, kPlain, v, plain := attrText(a, sc)
		b = f.field(b, k, kPlain, v, plain)
	}
	return b
}

// attrField is the log field of a verifier's attribute: its name, cleaned
// and prefixed when reserved, and its value, scrubbed by sc (nil: not
// scrubbed) and cleaned.
func attrField(a verifiers.Attr, sc *scrubber) (string, string) {
	k, _, v, _ := attrText(a, sc)
	return k, v
}

// attrText is attrField, and whether the name and the value are plain
// (cleanText).
func attrText(a verifiers.Attr, sc *scrubber) (k string, kPlain bool, v string, plain bool) {
	k, kPlain = cleanText(a.Key, 64)
	if k == "" || reserved(k) {
		k = "attr_" + k
	}
	v = a.Value
	if sc != nil {
		v = sc.scrub(v)
	}
	v, plain = cleanText(v, maxAttrLen)
	return k, kPlain, v, plain
}
