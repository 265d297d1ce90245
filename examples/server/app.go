package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
	"github.com/authgate/authgate/verifiers/bearer"
)

// app holds the verifiers and what reloads them.
type app struct {
	logger  zerolog.Logger
	gate    *middleware.Gate
	apiKey  verifiers.Verifier // nil when not configured
	basic   verifiers.Verifier
	bearer  *bearer.Verifier
	reloads []reloader
	closers []func()
	// corsOrigins are the origins of -cors-origins; none: CORS is off.
	corsOrigins []string
}

type reloader struct {
	name   string
	reload func() error
}

func (a *app) reload() {
	for _, r := range a.reloads {
		if err := r.reload(); err != nil {
			a.logger.Error().Str("file", r.name).Err(err).Msg("reload failed; keeping the previous content")
			continue
		}
		a.logger.Info().Str("file", r.name).Msg("reloaded")
	}
}

func (a *app) close() {
	if a.bearer != nil {
		_ = a.bearer.Close()
	}
	for _, c := range a.closers {
		c()
	}
}

func newConfiguredApp(ctx context.Context, cfg *config, logger zerolog.Logger) (*app, error) {
	gopts, closeGate, err := gateOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	a := &app{logger: logger, gate: middleware.New(gopts...), closers: []func(){closeGate}}
	if cfg.apikeys != "" {
		store, err := apikey.OpenFileStore(cfg.apikeys, apikey.WithFileLogger(logger))
		if err != nil {
			return nil, fmt.Errorf("-apikeys: %w", err)
		}
		v, err := apikey.New(store, apikey.WithEnvironment(cfg.environment))
		if err != nil {
			return nil, fmt.Errorf("-apikeys: %w", err)
		}
		a.apiKey = v
		a.reloads = append(a.reloads, reloader{cfg.apikeys, store.Reload})
	}
	if cfg.postgres != "" {
		store, closeStore, err := openPostgresKeys(ctx, cfg, logger)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, closeStore)
		v, err := apikey.New(store, apikey.WithEnvironment(cfg.environment))
		if err != nil {
			a.close()
			return nil, fmt.Errorf("-postgres: %w", err)
		}
		a.apiKey = v
	}
	if cfg.htpasswd != "" {
		users, err := basic.OpenFileStore(cfg.htpasswd, basic.WithFileLogger(logger))
		if err != nil {
			return nil, fmt.Errorf("-htpasswd: %w", err)
		}
		v, err := basic.New(users, basic.WithRealm("admin"))
		if err != nil {
			return nil, fmt.Errorf("-htpasswd: %w", err)
		}
		a.basic = v
		a.reloads = append(a.reloads, reloader{cfg.htpasswd, users.Reload})
	}
	if cfg.issuer != "" {
		keys := bearer.Discovery()
		flag := "-issuer"
		if cfg.jwks != "" {
			flag = "-jwks"
			if strings.HasPrefix(cfg.jwks, "http://") || strings.HasPrefix(cfg.jwks, "https://") {
				keys = bearer.JWKSURL(cfg.jwks)
			} else {
				keys = bearer.JWKSFile(cfg.jwks)
			}
		}
		// No bearer.WithPlainHTTP: the verifier already fetches over plain
		// http from loopback (a local test provider), and the option would
		// open plain http to every other host too, including a jwks_uri
		// named by discovery or the target of a redirect.
		opts := []bearer.Option{bearer.WithRealm("api"), bearer.WithLeeway(cfg.leeway), bearer.WithLogger(logger)}
		opts = append(opts, cfg.obs.bearerOptions()...)
		v, err := bearer.New(ctx, cfg.audience, []bearer.Issuer{{URL: cfg.issuer, Keys: keys}}, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		a.bearer = v
	}
	return a, nil
}

// gateOptions are the gate's options of the command line: its logger,
// the observer's, the failure limit of -failure-limit-ip and
// -failure-limit-principal, and its counts' store in Redis with -redis,
// whose closer it returns.
func gateOptions(cfg *config, logger zerolog.Logger) ([]middleware.Option, func(), error) {
	opts := append([]middleware.Option{middleware.WithLogger(logger)}, cfg.obs.gateOptions()...)
	if cfg.failures.PerIP > 0 || cfg.failures.PerPrincipal > 0 {
		opts = append(opts, middleware.WithFailureLimit(cfg.failures))
	}
	if cfg.redis == "" {
		return opts, func() {}, nil
	}
	store, closeStore, err := openRedisFailures(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	return append(opts, middleware.WithFailureStore(store)), closeStore, nil
}

// router mounts each route with the verifiers it accepts. A route whose
// verifiers are not configured is not mounted (404).
func (a *app) router() http.Handler {
	r := chi.NewRouter()
	r.Use(chimw.RequestID)
	r.Use(chimw.Recoverer)
	if len(a.corsOrigins) > 0 {
		// In front of every route, so in front of every gate: see
		// corsMiddleware.
		r.Use(corsMiddleware(a.corsOrigins))
	}
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	g := a.gate
	var bearerV verifiers.Verifier
	if a.bearer != nil {
		bearerV = a.bearer
	}
	if a.apiKey != nil {
		r.With(g.Require(a.apiKey)).Get("/v1/reports", reports)
	}
	if a.basic != nil {
		r.With(g.Require(a.basic)).Get("/admin/stats", stats)
	}
	if me := nonNil(bearerV, a.apiKey); len(me) > 0 {
		r.With(g.Require(me...)).Get("/v1/me", whoami)
	}
	if bearerV != nil {
		r.With(g.Require(bearerV), g.RequireScopes("orders:write")).Post("/v1/orders", order)
	}
	if all := nonNil(bearerV, a.apiKey, a.basic); len(all) > 0 {
		r.With(g.Optional(all...)).Get("/v1/catalog", catalog)
	} else {
		r.Get("/v1/catalog", catalog)
	}
	return r
}

func nonNil(vs ...verifiers.Verifier) []verifiers.Verifier {
	var out []verifiers.Verifier
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// identityJSON is who the request was taken for.
type identityJSON struct {
	Subject string   `json:"subject"`
	Scheme  string   `json:"scheme"`
	Scopes  []string `json:"scopes"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func who(r *http.Request) *identityJSON {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		return nil
	}
	scopes := id.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &identityJSON{Subject: id.Subject, Scheme: id.Scheme, Scopes: scopes}
}

func whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"identity": who(r)})
}

func reports(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"identity": who(r), "reports": []string{"2026-q3", "2026-q4"}})
}

func stats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"identity": who(r), "uptime_seconds": int(time.Since(started).Seconds())})
}

func order(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusCreated, map[string]any{"identity": who(r), "order": "accepted"})
}

func catalog(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"items": []string{"widget", "gadget"}, "identity": who(r)}
	if id := who(r); id != nil {
		body["recommended_for"] = id.Subject
	}
	writeJSON(w, http.StatusOK, body)
}

var started = time.Now()

// generateKey implements -generate-key: a new API key for subject, printed
// once, with the line to add to the key file.
func generateKey(cfg *config, stdout, stderr io.Writer) int {
	k, err := apikey.Generate(apikey.DefaultPrefix, cfg.environment)
	if err != nil {
		fmt.Fprintln(stderr, "server: -generate-key:", err)
		return 2
	}
	var scopes []string
	for _, sc := range strings.Split(cfg.scopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			scopes = append(scopes, sc)
		}
	}
	line, err := apikey.FormatFileLine(k.Record(cfg.genKey, scopes, time.Time{}))
	if err != nil {
		fmt.Fprintln(stderr, "server: -generate-key:", err)
		return 2
	}
	fmt.Fprintf(stdout, "API key for %s (shown once, store it now):\n%s\n\nLine for the key file:\n%s\n", cfg.genKey, k.Reveal(), line)
	_ = os.Stdout.Sync()
	return 0
}
