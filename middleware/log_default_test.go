package middleware_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// TestDefaultLoggerIsStderr: a gate with no logger configured and none in
// the request's context logs its rejections as JSON lines to stderr (here
// the test's sink), at info level, with a timestamp; an explicit choice to
// silence it (WithLogger(zerolog.Nop()), or a disabled logger put in the
// context) silences it, and a logger in the context takes precedence.
func TestDefaultLoggerIsStderr(t *testing.T) {
	t.Parallel()
	v := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})

	t.Run("no_logger_anywhere_logs_to_stderr", func(t *testing.T) {
		sink := &logBuf{}
		g := middleware.New(middleware.WithDefaultSink(sink), middleware.WithLogSampling(0, 0))
		h := g.Require(v)(okHandler)
		serve(h, get("/v1/me"))
		serve(h, get("/v1/me", "Authorization", "Bearer expired"))
		serve(h, get("/v1/me", "Authorization", "Bearer good")) // debug: below info
		evs := sink.events(t)
		if len(evs) != 2 {
			t.Fatalf("%d events on the default sink, want 2:\n%s", len(evs), sink)
		}
		for i, want := range []struct{ reason, level string }{{"credentials_missing", "info"}, {"credentials_invalid", "warn"}} {
			if evs[i]["reason"] != want.reason || evs[i]["level"] != want.level || evs[i]["path"] != "/v1/me" || evs[i]["message"] != "authgate: request refused" {
				t.Errorf("event %d = %v, want reason %s at %s", i, evs[i], want.reason, want.level)
			}
			if ts, _ := evs[i]["time"].(string); ts == "" {
				t.Errorf("event %d has no time: %v", i, evs[i])
			}
		}
	})

	t.Run("WithLogger_Nop_silences", func(t *testing.T) {
		sink := &logBuf{}
		g := middleware.New(middleware.WithDefaultSink(sink), middleware.WithLogger(zerolog.Nop()))
		serve(g.Require(v)(okHandler), get("/"))
		if sink.String() != "" {
			t.Errorf("WithLogger(zerolog.Nop()) still logs: %s", sink)
		}
	})

	t.Run("context_logger_takes_precedence", func(t *testing.T) {
		sink, ctxLog := &logBuf{}, &logBuf{}
		g := middleware.New(middleware.WithDefaultSink(sink))
		r := get("/")
		r = r.WithContext(zerolog.New(ctxLog).WithContext(r.Context()))
		serve(g.Require(v)(okHandler), r)
		if sink.String() != "" || one(t, ctxLog)["reason"] != "credentials_missing" {
			t.Errorf("default sink %q, context logger %q", sink, ctxLog)
		}
	})

	t.Run("disabled_context_logger_silences", func(t *testing.T) {
		// A handler chain that had a logger in the context and replaced it
		// with a disabled one on purpose (zerolog stores a disabled logger
		// only over another one).
		sink, ctxLog := &logBuf{}, &logBuf{}
		g := middleware.New(middleware.WithDefaultSink(sink))
		r := get("/")
		ctx := zerolog.New(ctxLog).WithContext(r.Context())
		ctx = zerolog.Nop().WithContext(ctx)
		serve(g.Require(v)(okHandler), r.WithContext(ctx))
		if sink.String() != "" || ctxLog.String() != "" {
			t.Errorf("a disabled context logger did not silence the gate: default sink %q, context logger %q", sink, ctxLog)
		}
	})

	t.Run("context_logger_level_obeyed", func(t *testing.T) {
		// A context logger at warn: the info event is dropped, not sent
		// to stderr instead.
		sink, ctxLog := &logBuf{}, &logBuf{}
		g := middleware.New(middleware.WithDefaultSink(sink), middleware.WithLogSampling(0, 0))
		h := g.Require(v)(okHandler)
		withCtx := func(r *http.Request) *http.Request {
			return r.WithContext(zerolog.New(ctxLog).Level(zerolog.WarnLevel).WithContext(r.Context()))
		}
		serve(h, withCtx(get("/")))
		serve(h, withCtx(get("/", "Authorization", "Bearer bad")))
		if sink.String() != "" || strings.Count(ctxLog.String(), "\n") != 1 || one(t, ctxLog)["reason"] != "credentials_invalid" {
			t.Errorf("default sink %q, context logger %q", sink, ctxLog)
		}
	})
}
