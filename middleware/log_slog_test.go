package middleware_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// slogTo is a slog logger writing JSON lines to lb at debug level, with
// slog's own keys renamed to zerolog's ("msg" to "message", the level in
// lower case) and no time, so that its events compare field for field
// with those of zerolog.New(lb).
func slogTo(lb *logBuf) *slog.Logger {
	return slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case slog.MessageKey:
				a.Key = zerolog.MessageFieldName
			case slog.LevelKey:
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
			}
			return a
		},
	}))
}

// testSlogGate is testGate with the slog sink.
func testSlogGate(opts ...middleware.Option) (*middleware.Gate, *logBuf) {
	lb := &logBuf{}
	opts = append([]middleware.Option{middleware.WithSlogLogger(slogTo(lb)), middleware.WithLogSampling(0, 0)}, opts...)
	return middleware.New(opts...), lb
}

type gateFunc func(opts ...middleware.Option) (*middleware.Gate, *logBuf)

// bothSinks runs f with the zerolog sink, then with the slog sink.
func bothSinks(t *testing.T, f func(t *testing.T, testGate gateFunc)) {
	t.Run("zerolog", func(t *testing.T) { f(t, testGate) })
	t.Run("slog", func(t *testing.T) { f(t, testSlogGate) })
}

// sinkCase is one request whose log events the two sinks must write
// alike.
type sinkCase struct {
	name string
	// mount builds the route under test on g: a chi router, so that the
	// route field is filled.
	mount func(g *middleware.Gate) http.Handler
	req   func() *http.Request
}

// sinkCases covers every reason at least once (a verifier's reasons
// through a rejecting verifier, the gate's own through the requests that
// produce them), a 503 with its error, an event with verifier attributes
// and a hint, and the debug event of a success.
func sinkCases() []sinkCase {
	var cases []sinkCase
	chiOf := func(h func(r chi.Router)) http.Handler {
		r := chi.NewRouter()
		h(r)
		return r
	}
	for _, reason := range verifiers.Reasons() {
		v := bearerV(map[string]func() (*verifiers.Identity, error){
			"tok": func() (*verifiers.Identity, error) {
				return nil, verifiers.Reject(reason, "detail of "+string(reason)).WithHint("hint of "+string(reason)).
					With(verifiers.AttrKid, "k1").With(verifiers.AttrIssuer, "https://issuer.example/")
			},
		})
		cases = append(cases, sinkCase{"verifier_" + string(reason), func(g *middleware.Gate) http.Handler {
			return chiOf(func(r chi.Router) { r.With(g.Require(v)).Get("/v1/items/{id}", okHandler) })
		}, func() *http.Request {
			return get("/v1/items/7", "Authorization", "Bearer tok", "X-Request-Id", "req-1")
		}})
	}
	v := bearerV(map[string]func() (*verifiers.Identity, error){
		"good": func() (*verifiers.Identity, error) {
			return &verifiers.Identity{Subject: "alice", Scheme: verifiers.SchemeBearer, Scopes: []string{"read"},
				Attrs: []verifiers.Attr{{Key: verifiers.AttrJTI, Value: "j-1"}, {Key: "reason", Value: "spoof"}}}, nil
		},
		"down": func() (*verifiers.Identity, error) {
			return nil, verifiers.Unavailable("JWKS unreachable", errors.New("dial tcp 192.0.2.9:443: connect: refused"))
		},
	})
	route := func(mws ...func(http.Handler) http.Handler) func(g *middleware.Gate) http.Handler {
		return func(g *middleware.Gate) http.Handler {
			return chiOf(func(r chi.Router) { r.With(g.Require(v)).With(mws...).Handle("/v1/items/{id}", okHandler) })
		}
	}
	plain := route()
	preflight := func() *http.Request {
		r := get("/v1/items/7", "Origin", "https://app.example", "Access-Control-Request-Method", "PUT")
		r.Method = http.MethodOptions
		return r
	}
	cases = append(cases,
		sinkCase{"gate_credentials_missing", plain, func() *http.Request { return get("/v1/items/7?access_token=abc") }},
		sinkCase{"gate_scheme_not_accepted", plain, func() *http.Request { return get("/v1/items/7", "Authorization", "Basic YTpi") }},
		sinkCase{"gate_request_malformed", plain, func() *http.Request {
			return get("/v1/items/7", "Authorization", "Bearer good", "Authorization", "Bearer good")
		}},
		sinkCase{"gate_credentials_too_large", plain, func() *http.Request {
			return get("/v1/items/7", "Authorization", "Bearer "+strings.Repeat("a", 11<<10))
		}},
		sinkCase{"gate_verifier_unavailable", plain, func() *http.Request { return get("/v1/items/7", "Authorization", "Bearer down") }},
		sinkCase{"gate_preflight_unanswered", plain, preflight},
		sinkCase{"success_debug_event", plain, func() *http.Request { return get("/v1/items/7", "Authorization", "Bearer good") }},
		sinkCase{"step_scope_insufficient", func(g *middleware.Gate) http.Handler {
			return route(g.RequireScopes("write"))(g)
		}, func() *http.Request { return get("/v1/items/7", "Authorization", "Bearer good") }},
		sinkCase{"step_forbidden", func(g *middleware.Gate) http.Handler {
			return route(g.RequirePolicy("owner", func(*http.Request, *verifiers.Identity) error { return errors.New("not the owner") }))(g)
		}, func() *http.Request { return get("/v1/items/7", "Authorization", "Bearer good") }},
	)
	return cases
}

// TestSlogSameEventsAsZerolog: for every reason, the slog sink writes the
// same events as the zerolog sink, field for field: the same message,
// level, field names, values and types.
func TestSlogSameEventsAsZerolog(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range sinkCases() {
		t.Run(tc.name, func(t *testing.T) {
			zg, zlb := testGate()
			sg, slb := testSlogGate()
			zw := serve(tc.mount(zg), tc.req())
			sw := serve(tc.mount(sg), tc.req())
			if zw.Code != sw.Code {
				t.Fatalf("status %d with zerolog, %d with slog", zw.Code, sw.Code)
			}
			zevs, sevs := zlb.events(t), slb.events(t)
			if len(zevs) == 0 {
				t.Fatalf("no zerolog event")
			}
			if !reflect.DeepEqual(zevs, sevs) {
				t.Errorf("events differ\nzerolog %v\nslog    %v", zevs, sevs)
			}
			for _, ev := range zevs {
				if r, ok := ev["reason"].(string); ok {
					seen[r] = true
				}
			}
		})
	}
	for _, r := range verifiers.Reasons() {
		if !seen[string(r)] {
			t.Errorf("reason %s not covered", r)
		}
	}
}

// TestSlogTooManyFailures: the 429 of the failure limit is logged alike
// by both sinks (it needs its own gate: the limit counts failures).
func TestSlogTooManyFailures(t *testing.T) {
	t.Parallel()
	fl := middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 1, Window: time.Minute})
	v := basicUsers(t)
	var got [2][]map[string]any
	for i, mk := range []gateFunc{testGate, testSlogGate} {
		g, lb := mk(fl)
		h := g.Require(v)(okHandler)
		serve(h, from("192.0.2.1:1", "alice", "wrong"))
		if w := serve(h, from("192.0.2.1:1", "alice", "wrong")); w.Code != 429 {
			t.Fatalf("status %d, want 429", w.Code)
		}
		got[i] = lb.events(t)
	}
	if len(got[0]) != 2 || got[0][1]["reason"] != "too_many_failures" || !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("events differ\nzerolog %v\nslog    %v", got[0], got[1])
	}
}

// TestSlogSampling: the slog sink samples like the zerolog sink, and
// writes the same summary line of the suppressed events.
func TestSlogSampling(t *testing.T) {
	t.Parallel()
	var got [2][]map[string]any
	for i, mk := range []gateFunc{testGate, testSlogGate} {
		clock := newTestClock()
		timers := &manualTimers{}
		g, lb := mk(middleware.WithLogSampling(2, time.Minute), middleware.WithClock(clock.now), middleware.WithTimer(timers.after))
		h := g.Require(bearerV(nil))(okHandler)
		for range 5 {
			serve(h, get("/", "Authorization", "Bearer bad"))
		}
		clock.advance(time.Minute)
		timers.fire()
		got[i] = lb.events(t)
	}
	lines, suppressed, summaries := 0, 0, 0
	for _, ev := range got[1] {
		switch ev["message"] {
		case "authgate: request refused":
			lines++
		case "authgate: identical rejections suppressed":
			summaries++
			suppressed += int(ev["suppressed"].(float64))
		}
	}
	if lines != 2 || summaries != 1 || suppressed != 3 {
		t.Errorf("slog: %d lines, %d summaries, %d suppressed; want 2, 1, 3: %v", lines, summaries, suppressed, got[1])
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("events differ\nzerolog %v\nslog    %v", got[0], got[1])
	}
}

// TestSlogLevels: the slog handler's level filters the events as
// zerolog's does, and WithLogger after WithSlogLogger wins.
func TestSlogLevels(t *testing.T) {
	t.Parallel()
	lb := &logBuf{}
	l := slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g := middleware.New(middleware.WithSlogLogger(l), middleware.WithLogSampling(0, 0))
	v := bearerV(map[string]func() (*verifiers.Identity, error){"good": ident(verifiers.SchemeBearer, "alice")})
	h := g.Require(v)(okHandler)
	serve(h, get("/"))                                 // info: filtered
	serve(h, get("/", "Authorization", "Bearer good")) // debug: filtered
	serve(h, get("/", "Authorization", "Bearer bad"))  // warn: logged
	evs := lb.events(t)
	if len(evs) != 1 || evs[0]["level"] != "WARN" || evs[0]["reason"] != "credentials_invalid" || evs[0]["msg"] != "authgate: request refused" {
		t.Errorf("events %v, want the one warning", evs)
	}

	zl, sl := &logBuf{}, &logBuf{}
	g = middleware.New(middleware.WithSlogLogger(slogTo(sl)), middleware.WithLogger(zerolog.New(zl)))
	serve(g.Require(v)(okHandler), get("/"))
	if sl.String() != "" || len(zl.events(t)) != 1 {
		t.Errorf("the last sink given must win: slog %q, zerolog %q", sl, zl)
	}
	g = middleware.New(middleware.WithLogger(zerolog.New(zl)), middleware.WithSlogLogger(slog.New(slog.DiscardHandler)), middleware.WithDefaultSink(zl))
	before := zl.String()
	serve(g.Require(v)(okHandler), get("/"))
	if zl.String() != before {
		t.Errorf("a discarding slog logger must silence the gate, and no default be used: %q", zl.String()[len(before):])
	}
}

// BenchmarkRequireRejectedSlog is BenchmarkRequireRejected with the slog
// sink (slog.JSONHandler to io.Discard).
func BenchmarkRequireRejectedSlog(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchServe(b, benchRouter(b, routeBearer, middleware.WithSlogLogger(l)), 401, "Bearer expired-token")
}

// BenchmarkRequireSuccessSlog is BenchmarkRequireSuccess with the slog
// sink at info: the debug event is skipped.
func BenchmarkRequireSuccessSlog(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	benchServe(b, benchRouter(b, routeBearer, middleware.WithSlogLogger(l)), 204, "Bearer good")
}
