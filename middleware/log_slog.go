package middleware

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/authgate/authgate/verifiers"
)

// WithSlogLogger sends the gate's events to l, through log/slog's
// attribute API, instead of zerolog: the same events as WithLogger's,
// with the same message, fields, levels (info, warn, error; debug for
// the "authenticated" event), sampling and scrubbing. The handler adds
// its own time, level and message keys (slog.JSONHandler spells them
// "time", "level":"WARN" and "msg"). Set, it is the gate's only sink: a
// zerolog logger in the request's context is not used. The last of
// WithLogger and WithSlogLogger wins. It panics when l is nil; a logger
// whose handler is slog.DiscardHandler silences the gate.
func WithSlogLogger(l *slog.Logger) Option {
	if l == nil {
		panic("authgate/middleware: WithSlogLogger needs a logger")
	}
	return func(g *Gate) { g.slog, g.logger = l, nil }
}

// slogRefusal is logRefusal for the slog sink: the same fields in the
// same order.
func (g *Gate) slogRefusal(r *http.Request, rf *refusal, d *reasonData, rid string, sc *scrubber) {
	ctx := r.Context()
	if !g.slog.Enabled(ctx, d.Level) {
		return
	}
	ip, suppressed, ok := g.sample(r, rf, nil)
	if !ok {
		return
	}
	attrs := make([]slog.Attr, 0, 13+len(rf.attrs))
	attrs = append(attrs,
		slog.String("reason", string(rf.reason)),
		slog.Int("status", d.Status),
		slog.String("scheme", rf.scheme),
		slog.String("method", clean(r.Method, 32)),
		slog.String("path", clean(r.URL.Path, maxPathLen)),
		slog.String("route", routePattern(r)),
		slog.String("remote_ip", ip),
		slog.String("request_id", rid),
		slog.String("detail", clean(sc.scrub(rf.detail), maxDetailLen)))
	if rf.hint != "" {
		attrs = append(attrs, slog.String("hint", rf.logHint(sc)))
	}
	attrs = appendSlogAttrs(attrs, rf.attrs, sc)
	if rf.err != nil {
		attrs = append(attrs, slog.String("error", clean(sc.scrub(rf.err.Error()), maxDetailLen)))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	g.slog.LogAttrs(ctx, d.Level, "authgate: request refused", attrs...)
}

// slogAuthenticated is logAuthenticated for the slog sink.
func (g *Gate) slogAuthenticated(r *http.Request, id *verifiers.Identity) {
	ctx := r.Context()
	if !g.slog.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := make([]slog.Attr, 0, 5+len(id.Attrs))
	attrs = append(attrs,
		slog.String("scheme", id.Scheme),
		slog.String("subject", clean(id.Subject, maxAttrLen)),
		slog.String("method", r.Method),
		slog.String("path", clean(r.URL.Path, maxPathLen)),
		slog.String("route", routePattern(r)))
	attrs = appendSlogAttrs(attrs, id.Attrs, nil)
	g.slog.LogAttrs(ctx, slog.LevelDebug, "authgate: authenticated", attrs...)
}

// slogSuppressed is logSuppressed for the slog sink. The summary line is
// written by the sampler's timer, outside any request: its context is
// Background.
func (g *Gate) slogSuppressed(p *pending, d *reasonData) {
	ctx := context.Background()
	if !g.slog.Enabled(ctx, d.Level) {
		return
	}
	g.slog.LogAttrs(ctx, d.Level, "authgate: identical rejections suppressed",
		slog.String("reason", string(p.key.reason)),
		slog.Int("status", d.Status),
		slog.String("remote_ip", p.ip),
		slog.Int("suppressed", p.count),
		slog.String("window", g.sampleWindow.String()))
}

// appendSlogAttrs is addAttrs for the slog sink.
func appendSlogAttrs(out []slog.Attr, attrs []verifiers.Attr, sc *scrubber) []slog.Attr {
	for _, a := range attrs {
		k, v := attrField(a, sc)
		out = append(out, slog.String(k, v))
	}
	return out
}
