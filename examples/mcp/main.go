// Command mcp is an MCP server (github.com/modelcontextprotocol/go-sdk,
// streamable HTTP) protected by authgate as an OAuth 2.1 resource server,
// as the MCP authorization specification asks:
//
//   - RFC 9728 protected resource metadata at
//     /.well-known/oauth-protected-resource/<path> (and at the root form),
//     naming the authorization server, readable without a token;
//   - every 401 points to it (resource_metadata) and names the scope the
//     endpoint needs (scope="mcp:tools");
//   - tokens are JWT access tokens (RFC 9068) of the issuer, for this
//     resource only (aud), checked by authgate's bearer verifier;
//   - a tool that needs more (admin_stats, scope mcp:admin) answers 403
//     insufficient_scope with scope and resource_metadata, so that a
//     client steps up;
//   - tools read the caller from the SDK's own TokenInfo, which authgate's
//     identity fills.
//
// Run it against an OpenID provider that issues JWT access tokens for the
// resource (RFC 8707 resource indicators):
//
//	go -C examples/mcp run . -issuer https://login.example.com \
//	    -resource https://mcp.example.com/mcp
//
// For development on one machine, http to loopback:
//
//	go -C examples/mcp run . -addr 127.0.0.1:8080 -issuer http://127.0.0.1:3000 \
//	    -resource http://127.0.0.1:8080/mcp -loopback-http
//
// Behind a reverse proxy on the same machine, note that the SDK's
// streamable handler refuses a request that arrives from a loopback
// address with another Host than localhost (its DNS rebinding check; see
// mcp.StreamableHTTPOptions.DisableLocalhostProtection).
//
// SIGINT and SIGTERM shut it down. Logs go to stderr as JSON.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mcp:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var origins string
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&cfg.issuer, "issuer", "", "issuer identifier of the authorization server (required; keys found by discovery)")
	fs.StringVar(&cfg.resource, "resource", "", "URL of the MCP endpoint, the audience of its tokens (required)")
	fs.BoolVar(&cfg.loopbackHTTP, "loopback-http", false, "accept http URLs to a loopback host for -resource and -issuer (development)")
	fs.StringVar(&origins, "origins", "", "comma-separated browser origins allowed to call the endpoint")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.issuer == "" || cfg.resource == "" {
		return cfg, errors.New("-issuer and -resource are required")
	}
	for o := range strings.SplitSeq(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.origins = append(cfg.origins, o)
		}
	}
	return cfg, nil
}

func run(args []string, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := zerolog.New(stderr).With().Timestamp().Logger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start, cancel := context.WithTimeout(ctx, 15*time.Second)
	a, err := newApp(start, cfg, log)
	cancel()
	if err != nil {
		return err
	}
	defer a.Close()
	srv := &http.Server{Addr: cfg.addr, Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info().Str("addr", cfg.addr).Str("resource", cfg.resource).Str("metadata", a.verifier.Metadata().URL()).Msg("mcp: serving")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
