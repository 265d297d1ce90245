// Command server is authgate's reference server: a chi router that uses
// the API key, Basic and Bearer verifiers per route, and shows every kind
// of refusal with its log line.
//
// Run it without credential flags for the demo: it makes ephemeral keys,
// a demo API key, a demo Basic user and demo tokens, and prints curl
// commands for each scenario with the status and reason to expect:
//
//	go -C examples/server run .
//
// Run it with flags to serve real credentials:
//
//	go -C examples/server run . -apikeys keys.txt -htpasswd users.htpasswd \
//	    -issuer https://id.example.com -audience https://api.example.com
//
// With -postgres instead of -apikeys, API keys come from PostgreSQL
// (github.com/authgate/authgate/pgstore): every instance on the same
// database sees a key created or revoked (with "authgate keys ... --postgres")
// within a second, and /readyz answers 503 once the database has been out
// of reach for longer than -max-staleness.
//
// Routes:
//
//	GET  /healthz       anyone
//	GET  /readyz        anyone: 503 until every verifier can decide (key set fetched, key store current)
//	GET  /v1/reports    API key
//	GET  /admin/stats   Basic
//	GET  /v1/me         Bearer JWT or API key (challenges in that order)
//	POST /v1/orders     Bearer JWT with scope orders:write
//	GET  /v1/catalog    anyone; valid credentials personalise it, bad ones are rejected
//
// -failure-limit-ip and -failure-limit-principal answer 429
// too_many_failures to a client that keeps sending wrong credentials
// (middleware.WithFailureLimit), counted over -failure-window; with
// -redis (and -redis-secret-file, -redis-prefix) the counts are shared
// by every instance on that Redis (redisstore.FailureStore), so the
// limit is global.
//
// With -cors-origins, pages of the listed origins may call the API from a
// browser: a CORS middleware (github.com/rs/cors) in front of every route
// answers their preflights and lets them read every response, 401s
// included, with its WWW-Authenticate and Retry-After. Without it, no
// cross-origin page can read a response.
//
// SIGHUP reloads the API key file and the htpasswd file; SIGINT and SIGTERM
// shut the server down gracefully. Logs go to stderr, as JSON by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/redisstore"
)

// config is the command line.
type config struct {
	addr        string
	environment string
	apikeys     string
	postgres    string
	pgSchema    string
	maxStale    time.Duration
	failures    middleware.FailureLimit
	redis       string
	redisPrefix string
	redisSecret string
	redisTime   time.Duration
	htpasswd    string
	jwks        string
	issuer      string
	audience    string
	leeway      time.Duration
	logFormat   string
	logLevel    string
	genKey      string
	scopes      string
	corsOrigins []string
	obs         observability
}

func (c *config) demo() bool {
	return c.apikeys == "" && c.postgres == "" && c.htpasswd == "" && c.jwks == "" && c.issuer == ""
}

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "`address` to listen on (port 0 picks a free port)")
	fs.StringVar(&c.environment, "environment", "live", "this server's API key environment: live or test")
	fs.StringVar(&c.apikeys, "apikeys", "", "API key `file` (one key a line, see verifiers/apikey); reloaded on SIGHUP")
	fs.StringVar(&c.postgres, "postgres", "", "serve API keys from PostgreSQL: connection `string` (URL or key=value; the password from PGPASSWORD or the URL) instead of -apikeys")
	fs.StringVar(&c.pgSchema, "postgres-schema", pgstore.DefaultSchema, "with -postgres: the `schema` of the key table (authgate keys migrate creates it)")
	fs.DurationVar(&c.maxStale, "max-staleness", pgstore.DefaultMaxStaleness, "with -postgres: how long keys are served from memory once the database is out of reach; past it, 503")
	fs.IntVar(&c.failures.PerIP, "failure-limit-ip", 0, "answer 429 to a client `address` after this many failed attempts within -failure-window (0: off)")
	fs.IntVar(&c.failures.PerPrincipal, "failure-limit-principal", 0, "answer 429 to a client address after this many failed attempts on one claimed user or key id within -failure-window (0: off)")
	fs.DurationVar(&c.failures.Window, "failure-window", 15*time.Minute, "how long failed attempts count, from a client's first")
	fs.StringVar(&c.redis, "redis", "", "share the failure counts through Redis at `address` (host:port or redis://...; the password from the URL or REDIS_PASSWORD), so the limit is global")
	fs.StringVar(&c.redisPrefix, "redis-prefix", redisstore.DefaultFailurePrefix, "with -redis: the `prefix` of the failure keys; the same on every instance")
	fs.StringVar(&c.redisSecret, "redis-secret-file", "", "with -redis: `file` holding the secret (16 bytes or more; 32 random bytes) that names the keys, the same on every instance")
	fs.DurationVar(&c.redisTime, "redis-timeout", redisstore.DefaultTimeout, "with -redis: how long a Redis call may take before the instance counts locally for a while")
	fs.StringVar(&c.htpasswd, "htpasswd", "", "htpasswd `file` with bcrypt or argon2id hashes; reloaded on SIGHUP")
	fs.StringVar(&c.jwks, "jwks", "", "JWK set `file or URL` holding the token issuer's public keys (needs -issuer)")
	fs.StringVar(&c.issuer, "issuer", "", "token issuer `URL`, exactly as in the tokens' iss; alone, its keys are found by OIDC discovery")
	fs.StringVar(&c.audience, "audience", "", "this API's `identifier`, which tokens' aud must contain (needed with -issuer)")
	fs.DurationVar(&c.leeway, "leeway", 30*time.Second, "clock skew allowed on exp, nbf and iat")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format on stderr: json or console")
	fs.StringVar(&c.logLevel, "log-level", "debug", "lowest level logged: debug (every authenticated request too), info, warn (rejections only) or error")
	fs.StringVar(&c.genKey, "generate-key", "", "generate an API key for `subject`, print it and its key-file line, and exit")
	fs.StringVar(&c.scopes, "scopes", "", "with -generate-key: the key's scopes, comma-separated")
	c.obs.flags(fs)
	origins := fs.String("cors-origins", "", "comma-separated `origins` (https://app.example.com) whose pages may call the API from a browser; CORS is off without it")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: server [flags]\n\nWithout -apikeys, -postgres, -htpasswd, -jwks or -issuer it runs the demo.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	if c.corsOrigins, err = parseOrigins(*origins); err != nil {
		return nil, &usageError{"-cors-origins: " + err.Error()}
	}
	if err := c.obs.check(); err != nil {
		return nil, err
	}
	switch {
	case c.environment != "live" && c.environment != "test":
		return nil, &usageError{fmt.Sprintf("-environment: %q is neither live nor test", c.environment)}
	case c.logFormat != "json" && c.logFormat != "console":
		return nil, &usageError{fmt.Sprintf("-log-format: %q is neither json nor console", c.logFormat)}
	case c.logLevel != "debug" && c.logLevel != "info" && c.logLevel != "warn" && c.logLevel != "error":
		return nil, &usageError{fmt.Sprintf("-log-level: %q is not debug, info, warn or error", c.logLevel)}
	case c.apikeys != "" && c.postgres != "":
		return nil, &usageError{"-apikeys and -postgres: API keys come from one store; give one"}
	case c.postgres == "" && (set["postgres-schema"] || set["max-staleness"]):
		return nil, &usageError{"-postgres-schema and -max-staleness: need -postgres"}
	case c.failures.PerIP < 0 || c.failures.PerPrincipal < 0:
		return nil, &usageError{"-failure-limit-ip and -failure-limit-principal: a limit is 0 (off) or positive"}
	case c.failures.Window <= 0:
		return nil, &usageError{fmt.Sprintf("-failure-window: %s is not positive", c.failures.Window)}
	case c.redis == "" && (set["redis-prefix"] || set["redis-secret-file"] || set["redis-timeout"]):
		return nil, &usageError{"-redis-prefix, -redis-secret-file and -redis-timeout: need -redis"}
	case c.redis != "" && c.failures.PerIP == 0 && c.failures.PerPrincipal == 0:
		return nil, &usageError{"-redis: shares the failure limit's counts; set -failure-limit-ip or -failure-limit-principal"}
	case c.redis != "" && c.redisSecret == "":
		return nil, &usageError{"-redis: needs -redis-secret-file, the secret every instance shares (head -c 32 /dev/urandom > secret)"}
	case c.maxStale <= 0:
		return nil, &usageError{fmt.Sprintf("-max-staleness: %s is not positive", c.maxStale)}
	case c.jwks != "" && c.issuer == "":
		return nil, &usageError{"-jwks: needs -issuer, the iss value the tokens carry"}
	case c.issuer != "" && c.audience == "":
		return nil, &usageError{"-issuer: needs -audience, the aud value tokens for this API carry"}
	case c.leeway < 0 || c.leeway > 5*time.Minute:
		return nil, &usageError{fmt.Sprintf("-leeway: %s is outside 0s..5m", c.leeway)}
	}
	return c, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "server:", err)
		}
		return 2
	}
	if cfg.genKey != "" {
		return generateKey(cfg, stdout, stderr)
	}

	var logOut io.Writer = stderr
	if cfg.logFormat == "console" {
		logOut = zerolog.ConsoleWriter{Out: stderr, NoColor: true, TimeFormat: time.RFC3339}
	}
	level, _ := zerolog.ParseLevel(cfg.logLevel) // checked by parseFlags
	logger := zerolog.New(logOut).Level(level).With().Timestamp().Logger()

	if err := cfg.obs.setup(); err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return 2
	}
	defer cfg.obs.shutdown()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "server: -addr %s: %v\n", cfg.addr, err)
		return 2
	}
	base := "http://" + ln.Addr().String()

	var app *app
	if cfg.demo() {
		app, err = newDemoApp(cfg, logger, base, stdout)
	} else {
		app, err = newConfiguredApp(ctx, cfg, logger)
	}
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "server:", err)
		return 2
	}
	defer app.close()
	app.corsOrigins = cfg.corsOrigins

	srv := &http.Server{
		Handler:           cfg.obs.handler(app, app.router()),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			app.reload()
		}
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info().Str("addr", ln.Addr().String()).Bool("demo", cfg.demo()).Msg("listening")
	fmt.Fprintf(stdout, "listening on %s\n", base)

	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "server:", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "server: shutdown:", err)
		return 1
	}
	return 0
}

// shellQuote quotes s for a POSIX shell, when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
