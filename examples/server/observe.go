package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/authgate/authgate/authgateotel"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// observability is what -metrics and -unknown-key-refresh set up: the
// OpenTelemetry instruments behind a Prometheus exporter, and the
// readiness probe.
type observability struct {
	metrics           bool
	unknownKeyRefresh time.Duration

	in      *authgateotel.Instruments // nil without -metrics
	mp      *sdkmetric.MeterProvider
	scrapes http.Handler
}

func (o *observability) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.metrics, "metrics", false, "serve OpenTelemetry metrics in the Prometheus text format at GET /metrics (on the same address: keep it off the public network)")
	fs.DurationVar(&o.unknownKeyRefresh, "unknown-key-refresh", 0, "how often at most an unknown kid makes the issuer's key set be fetched again, and the first retry after a failed fetch (0: the library's 30s)")
}

func (o *observability) check() error {
	if o.unknownKeyRefresh < 0 {
		return &usageError{fmt.Sprintf("-unknown-key-refresh: %s is negative", o.unknownKeyRefresh)}
	}
	return nil
}

// setup makes the instruments and the exporter, with -metrics.
func (o *observability) setup() error {
	if !o.metrics {
		return nil
	}
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return fmt.Errorf("-metrics: %w", err)
	}
	o.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	if o.in, err = authgateotel.New(authgateotel.WithMeterProvider(o.mp)); err != nil {
		return fmt.Errorf("-metrics: %w", err)
	}
	o.scrapes = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return nil
}

func (o *observability) shutdown() {
	if o.mp != nil {
		_ = o.in.Close()
		_ = o.mp.Shutdown(context.Background())
	}
}

// gateOptions are the gate's options for the instruments.
func (o *observability) gateOptions() []middleware.Option {
	if o.in == nil {
		return nil
	}
	return []middleware.Option{middleware.WithObserver(o.in.GateObserver())}
}

// bearerOptions are the Bearer verifier's options for the instruments
// and -unknown-key-refresh.
func (o *observability) bearerOptions() []bearer.Option {
	var opts []bearer.Option
	if o.in != nil {
		opts = append(opts, bearer.WithObserver(o.in.BearerObserver()))
	}
	if o.unknownKeyRefresh > 0 {
		opts = append(opts, bearer.WithUnknownKeyRefresh(o.unknownKeyRefresh))
	}
	return opts
}

// handler serves GET /readyz (200 once every configured verifier is
// ready: the issuer's key set fetched) and, with -metrics, GET /metrics,
// in front of next.
func (o *observability) handler(a *app, next http.Handler) http.Handler {
	ready := middleware.Ready(nonNil(a.bearerVerifier(), a.apiKey, a.basic)...)
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", ready)
	if o.scrapes != nil {
		mux.Handle("GET /metrics", o.scrapes)
	}
	mux.Handle("/", next)
	return mux
}

// bearerVerifier is a.bearer as a Verifier, nil when not configured.
func (a *app) bearerVerifier() verifiers.Verifier {
	if a.bearer == nil {
		return nil
	}
	return a.bearer
}
