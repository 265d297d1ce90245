package middleware

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	core "github.com/authgate/authgate/internal/limiter"
)

// Gate holds the settings shared by the middleware it makes: logger,
// response rendering, size cap, log sampling, the client address, and the
// failed-attempt counters (shared by all its routes). Make one with New and
// use its methods on every route; a Gate is safe for concurrent use.
type Gate struct {
	logger *zerolog.Logger // WithLogger's, nil: the request context's
	slog   *slog.Logger    // WithSlogLogger's; when set, the only sink
	// fallback is the logger used when there is neither (JSON to sink,
	// os.Stderr but in tests), nil when WithLogger is set.
	fallback        *zerolog.Logger
	sink            io.Writer
	dev             bool
	writeProblem    func(http.ResponseWriter, *http.Request, Problem) // nil: WriteProblem
	maxAuthBytes    int
	answerPreflight bool // the gate answers CORS preflights itself (default)
	retryAfter      time.Duration
	sampleBurst     int
	sampleWindow    time.Duration
	failureLimit    FailureLimit
	sampler         *sampler
	clientIP        *clientIPHeader // nil: the client is r.RemoteAddr
	limiter         *core.Limiter   // nil: no failure limiting
	failureStore    FailureStore    // WithFailureStore's; nil: in memory
	now             func() time.Time
	testClock       bool      // now is a test's (WithClock), not time.Now
	epoch           time.Time // now() when New ran, with an observer: the origin of startClock
	obs             Observer  // WithObserver's; zero: nothing is observed
	// afterFunc arms the sampler's timer: time.AfterFunc, or a test's.
	afterFunc func(time.Duration, func())

	// Precomputed from the settings by New.
	retryAfterText string // Retry-After of a 503 without its own
	tooLargeTail   string // end of the credentials_too_large detail
}

// Option configures a Gate.
type Option func(*Gate)

// DefaultMaxAuthorizationBytes is the default cap on the size of the
// Authorization field; larger requests get 431.
const DefaultMaxAuthorizationBytes = 10 << 10

// DefaultRetryAfter is the Retry-After the gate sends with a 503 when the
// verifier did not name one.
const DefaultRetryAfter = 5 * time.Second

// New returns a Gate configured by opts. Without options it logs
// rejections to the logger in the request's context (zerolog.Ctx) and,
// when there is none, as JSON lines to os.Stderr at info level, so that a
// refusal is never silent by accident; renders RFC 9457 problem bodies;
// caps Authorization at DefaultMaxAuthorizationBytes; answers CORS
// preflight requests itself with 204, without calling the handler;
// samples identical rejections from one client at 10 events a minute
// (the rest counted in a summary line); identifies clients by
// r.RemoteAddr; and does not limit failed attempts.
//
// To silence the gate, give it WithLogger(zerolog.Nop()). A disabled
// logger in the request's context silences it too, as does
// zerolog.SetGlobalLevel(zerolog.Disabled) or a disabled
// zerolog.DefaultContextLogger; note that zerolog's Logger.WithContext
// does not store a disabled logger in a context that holds no logger yet,
// so that call alone leaves the default to stderr in place.
func New(opts ...Option) *Gate {
	g := &Gate{
		maxAuthBytes:    DefaultMaxAuthorizationBytes,
		answerPreflight: true,
		retryAfter:      DefaultRetryAfter,
		sampleBurst:     10,
		sampleWindow:    time.Minute,
		now:             time.Now,
		sink:            os.Stderr,
	}
	for _, o := range opts {
		o(g)
	}
	if g.maxAuthBytes <= 0 {
		panic("authgate/middleware: WithMaxAuthorizationBytes needs a positive size")
	}
	if g.retryAfter < time.Second {
		g.retryAfter = time.Second
	}
	if g.logger == nil && g.slog == nil {
		l := zerolog.New(g.sink).Level(zerolog.InfoLevel).With().Timestamp().Logger()
		g.fallback = &l
	}
	if g.obs.Authentication != nil {
		g.epoch = g.now()
	}
	g.retryAfterText = strconv.FormatInt(int64((g.retryAfter+time.Second-1)/time.Second), 10)
	g.tooLargeTail = " bytes, over the " + strconv.Itoa(g.maxAuthBytes) + "-byte limit; no verifier ran"
	if g.sampleBurst > 0 {
		g.sampler = newSampler(g.sampleBurst, g.sampleWindow, g.now, g.afterFunc, g.logSuppressed)
	}
	if g.failureLimit.on() {
		g.limiter = newLimiter(g.failureLimit, g.now, g.failureStore, 0)
	}
	return g
}

// WithLogger sends the gate's events to l instead of the logger found in
// the request's context (or the default to stderr). WithLogger(zerolog.Nop())
// silences the gate.
func WithLogger(l zerolog.Logger) Option {
	return func(g *Gate) { g.logger, g.slog = &l, nil }
}

// WithDevelopmentMode adds the hint of each rejection to the response body,
// so a developer sees the likely cause without reading the server log. The
// hint follows the rules of the public reason: for the reasons shown to the
// client under one public code (an unknown user and a wrong password are
// both credentials_invalid, and so are an unknown key id and a wrong
// secret) it is one text for the whole group, and the precise hint stays
// in the log; and the request's credentials are redacted from it as from
// the log. It may still name expected issuers, audiences or environments:
// do not enable it in production.
func WithDevelopmentMode() Option {
	return func(g *Gate) { g.dev = true }
}

// WithProblemWriter replaces the writer of error responses. The gate has
// already set WWW-Authenticate, Cache-Control and Retry-After when f runs;
// f writes the status line and the body. f must write no body for HEAD
// requests, and must not reveal more than p holds. A nil f keeps
// WriteProblem.
func WithProblemWriter(f func(w http.ResponseWriter, r *http.Request, p Problem)) Option {
	return func(g *Gate) { g.writeProblem = f }
}

// WithMaxAuthorizationBytes sets the cap on the total size of the
// Authorization field values; requests over it get 431 with reason
// credentials_too_large before any verifier runs.
func WithMaxAuthorizationBytes(n int) Option {
	return func(g *Gate) { g.maxAuthBytes = n }
}

// WithPreflightAuthentication makes the gate authenticate CORS preflight
// requests (OPTIONS with Origin and Access-Control-Request-Method) like any
// other, so a preflight without credentials gets 401. By default the gate
// answers a preflight that reaches it with 204 No Content and no CORS
// headers, without authenticating it and without calling the handler,
// and logs preflight_unanswered: browsers never send credentials on a
// preflight, and a CORS middleware mounted in front of the gate should
// have answered it. A plain OPTIONS request is always authenticated.
func WithPreflightAuthentication() Option {
	return func(g *Gate) { g.answerPreflight = false }
}

// WithRetryAfter sets the Retry-After sent with a 503 when the verifier did
// not name one. Values under a second are raised to one second.
func WithRetryAfter(d time.Duration) Option {
	return func(g *Gate) { g.retryAfter = d }
}

// WithLogSampling bounds the log events of identical rejections (same
// client address, an IPv6 client by its /64, same reason) to burst per
// window. No rejection goes unaccounted for: the suppressed ones are
// counted in the "suppressed" field of the client's next event after the
// window, or, when it does not come back, of a summary line ("authgate:
// identical rejections suppressed", with reason, status, remote_ip,
// suppressed and window) written about one window after the first
// suppressed event. burst <= 0 logs every rejection. The sampler's memory
// is bounded whatever the number of clients; a count it cannot keep is
// written early rather than dropped.
func WithLogSampling(burst int, window time.Duration) Option {
	return func(g *Gate) {
		if burst > 0 && window <= 0 {
			panic("authgate/middleware: WithLogSampling needs a positive window")
		}
		g.sampleBurst, g.sampleWindow = burst, window
	}
}
