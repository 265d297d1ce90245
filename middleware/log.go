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
	ev.Str("reason", string(rf.reason)).
		Int("status", d.Status).
		Str("scheme", rf.scheme).
		Str("method", clean(r.Method, 32)).
		Str("path", clean(r.URL.Path, maxPathLen)).
		Str("route", routePattern(r)).
		Str("remote_ip", ip).
		Str("request_id", rid)
	detail, plain := cleanText(sc.scrub(rf.detail), maxDetailLen)
	logText(ev, "detail", detail, plain)
	if rf.hint != "" {
		hint, plain := rf.logHintText(sc)
		logText(ev, "hint", hint, plain)
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
		ev.Str("scheme", id.Scheme).Str("subject", clean(id.Subject, maxAttrLen)).
			Str("method", r.Method).Str("path", clean(r.URL.Path, maxPathLen)).Str("route", routePattern(r))
		addAttrs(ev, id.Attrs, nil)
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

// addAttrs logs attrs, scrubbed by sc (nil: not scrubbed).
func addAttrs(ev *zerolog.Event, attrs []verifiers.Attr, sc *scrubber) {
	for _, a := range attrs {
		k, v, plain := attrText(a, sc)
		logText(ev, k, v, plain)
	}
}

// logText adds s, a text cleaned by cleanText, to ev under key. A plain
// one is copied into the event as it stands (RawJSON), which spares
// zerolog's escaping scan, a byte at a time: the details and hints of
// rejections are a few hundred bytes, and that scan was the largest part
// of the event's cost (BenchmarkPaired, unknown_key). Any other text
// goes through Str, which escapes it.
func logText(ev *zerolog.Event, key, s string, plain bool) {
	if !plain || !rawJSONText || len(s) > maxDetailLen {
		ev.Str(key, s)
		return
	}
	if len(s) <= maxAttrLen {
		var buf [maxAttrLen + 2]byte // most texts: no 1 KiB to clear
		ev.RawJSON(key, quoted(buf[:0], s))
		return
	}
	var buf [maxDetailLen + 2]byte
	ev.RawJSON(key, quoted(buf[:0], s))
}

// quoted appends s between double quotes to b.
func quoted(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// attrField is the log field of a verifier's attribute: its name, cleaned
// and prefixed when reserved, and its value, scrubbed by sc (nil: not
// scrubbed) and cleaned.
func attrField(a verifiers.Attr, sc *scrubber) (string, string) {
	k, v, _ := attrText(a, sc)
	return k, v
}

// attrText is attrField, and whether the value is plain (cleanText).
func attrText(a verifiers.Attr, sc *scrubber) (k, v string, plain bool) {
	k = clean(a.Key, 64)
	if k == "" || reserved(k) {
		k = "attr_" + k
	}
	v = a.Value
	if sc != nil {
		v = sc.scrub(v)
	}
	v, plain = cleanText(v, maxAttrLen)
	return k, v, plain
}
