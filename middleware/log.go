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
	l := g.loggerFor(r)
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
