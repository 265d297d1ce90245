package authgateotel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// ScopeName is the instrumentation scope of the meter.
const ScopeName = "github.com/authgate/authgate/authgateotel"

// The instruments' names; the README's "Metrics and traces" section
// describes each.
const (
	MetricAuthenticationDuration = "authgate.authentication.duration"
	MetricAuthenticationOutcomes = "authgate.authentication.outcomes"
	MetricAuthorizationOutcomes  = "authgate.authorization.outcomes"
	MetricKeySetFetches          = "authgate.keyset.fetches"
	MetricKeySetFetchDuration    = "authgate.keyset.fetch.duration"
	MetricKeySetAge              = "authgate.keyset.age"
	MetricKeySetKeys             = "authgate.keyset.keys"
	MetricFailureLimitBlocks     = "authgate.failure_limit.blocks"
	MetricTokenCacheLookups      = "authgate.token_cache.lookups"
)

// The attribute keys, on metrics and spans.
const (
	// KeyScheme is the authentication scheme ("Bearer", "Basic",
	// "APIKey", a custom verifier's), absent when no verifier decided.
	KeyScheme = attribute.Key("authgate.scheme")
	// KeyResult is success, failure or none (middleware.Result), and
	// for key-set fetches success or failure.
	KeyResult = attribute.Key("authgate.result")
	// KeyReason is the reason code of a refusal (verifiers.Reasons).
	KeyReason = attribute.Key("authgate.reason")
	// KeyStatus is the status the gate answered, absent when it let the
	// request through.
	KeyStatus = attribute.Key("http.response.status_code")
	// KeyRoute is the route pattern, never the raw path.
	KeyRoute = attribute.Key("http.route")
	// KeyAuthorizationKind is scopes, any_scope or policy.
	KeyAuthorizationKind = attribute.Key("authgate.authorization.kind")
	// KeyAuthorizationPolicy is the policy's name or the required scopes.
	KeyAuthorizationPolicy = attribute.Key("authgate.authorization.policy")
	// KeyIssuer is a configured issuer (bearer.Issuer.URL), never a
	// token's iss.
	KeyIssuer = attribute.Key("authgate.issuer")
	// KeyLimit is ip or principal.
	KeyLimit = attribute.Key("authgate.failure_limit.limit")
	// KeyCacheResult is hit or miss.
	KeyCacheResult = attribute.Key("authgate.token_cache.result")
)

// EventRejection is the name of the span event of a refusal.
const EventRejection = "authgate.rejection"

// durationBuckets are the histogram's boundaries in seconds: from 10 µs
// (a cached token) to 10 s (a key set fetched on the way).
var durationBuckets = []float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// maxCached bounds the attribute tuples of each kind. They are bounded by
// the configuration already; past this many (a router producing
// patterns without end), further ones are counted under the overflow
// set. It is the SDK's default cardinality limit, past which the SDK
// itself would fold them.
const maxCached = 2000

// Option configures New.
type Option func(*config)

type config struct {
	mp  metric.MeterProvider
	now func() time.Time
}

// WithMeterProvider makes the instruments with mp instead of the global
// otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// Instruments records authgate's outcomes as OpenTelemetry metrics and
// span attributes. Make one with New, give GateObserver to
// middleware.WithObserver and BearerObserver to bearer.WithObserver. It
// is safe for concurrent use.
type Instruments struct {
	now func() time.Time

	authDuration  metric.Float64Histogram
	fetches       metric.Int64Counter
	fetchDuration metric.Float64Histogram
	regs          []metric.Registration

	// The outcome counters are observable: each attribute tuple seen has
	// an entry with its set and an atomic count, which the callback
	// reports, so that counting a request costs an atomic add instead of
	// the SDK's lookup of the set.
	authSets  entries[authKey, *authEntry]
	authzSets entries[authzKey, *count]
	blockSets entries[middleware.FailureLimitEvent, *count]
	cacheHit  count
	cacheMiss count

	mu      sync.Mutex
	issuers map[string]*issuerState
}

type issuerState struct {
	keys        int
	lastSuccess time.Time
}

// New makes the instruments.
func New(opts ...Option) (*Instruments, error) {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	m := c.mp.Meter(ScopeName)
	in := &Instruments{now: c.now, issuers: map[string]*issuerState{}}
	var errs [9]error
	in.authDuration, errs[0] = m.Float64Histogram(MetricAuthenticationDuration, metric.WithUnit("s"),
		metric.WithDescription("Time the gate spent authenticating a request, up to its answer or the call of the handler."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	var authOutcomes, authzOutcomes, blocks, cacheLookups metric.Int64ObservableCounter
	authOutcomes, errs[1] = m.Int64ObservableCounter(MetricAuthenticationOutcomes, metric.WithUnit("{request}"),
		metric.WithDescription("Requests on Require and Optional routes, by scheme, result, reason, status and route."))
	authzOutcomes, errs[2] = m.Int64ObservableCounter(MetricAuthorizationOutcomes, metric.WithUnit("{request}"),
		metric.WithDescription("Scope and policy decisions, by kind, policy, result, reason, status and route."))
	in.fetches, errs[3] = m.Int64Counter(MetricKeySetFetches, metric.WithUnit("{fetch}"),
		metric.WithDescription("Fetches of remote key sets, by configured issuer and result."))
	in.fetchDuration, errs[4] = m.Float64Histogram(MetricKeySetFetchDuration, metric.WithUnit("s"),
		metric.WithDescription("Time a key-set fetch took, discovery included."),
		metric.WithExplicitBucketBoundaries(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	blocks, errs[5] = m.Int64ObservableCounter(MetricFailureLimitBlocks, metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered 429 by the failure limit, by limit, scheme and route."))
	cacheLookups, errs[6] = m.Int64ObservableCounter(MetricTokenCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups of the Bearer verified-token cache, by hit or miss."))
	var age metric.Float64ObservableGauge
	var keys metric.Int64ObservableGauge
	age, errs[7] = m.Float64ObservableGauge(MetricKeySetAge, metric.WithUnit("s"),
		metric.WithDescription("Time since the last successful fetch of a configured issuer's key set."))
	keys, errs[8] = m.Int64ObservableGauge(MetricKeySetKeys, metric.WithUnit("{key}"),
		metric.WithDescription("Keys in the key set in use, per configured issuer."))
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("authgateotel: %w", err)
		}
	}
	in.cacheHit.set = attribute.NewSet(KeyCacheResult.String("hit"))
	in.cacheMiss.set = attribute.NewSet(KeyCacheResult.String("miss"))
	counts, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.authSets.each(func(e *authEntry) { e.observe(o, authOutcomes) })
		in.authzSets.each(func(c *count) { c.observe(o, authzOutcomes) })
		in.blockSets.each(func(c *count) { c.observe(o, blocks) })
		in.cacheHit.observe(o, cacheLookups)
		in.cacheMiss.observe(o, cacheLookups)
		return nil
	}, authOutcomes, authzOutcomes, blocks, cacheLookups)
	if err != nil {
		return nil, fmt.Errorf("authgateotel: %w", err)
	}
	gauges, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := in.now()
		in.mu.Lock()
		defer in.mu.Unlock()
		for iss, st := range in.issuers {
			set := metric.WithAttributeSet(attribute.NewSet(KeyIssuer.String(iss)))
			o.ObserveInt64(keys, int64(st.keys), set)
			if !st.lastSuccess.IsZero() {
				o.ObserveFloat64(age, now.Sub(st.lastSuccess).Seconds(), set)
			}
		}
		return nil
	}, age, keys)
	if err != nil {
		_ = counts.Unregister()
		return nil, fmt.Errorf("authgateotel: %w", err)
	}
	in.regs = []metric.Registration{counts, gauges}
	return in, nil
}

// Close unregisters the callbacks of the observable instruments (the
// counters and the key-set gauges), which then report nothing more. The
// other instruments belong to the meter provider.
func (in *Instruments) Close() error {
	var errs []error
	for _, r := range in.regs {
		errs = append(errs, r.Unregister())
	}
	return errors.Join(errs...)
}

// GateObserver returns the observer to give middleware.WithObserver.
func (in *Instruments) GateObserver() middleware.Observer {
	return middleware.Observer{
		Authentication: in.authentication,
		Authorization:  in.authorization,
		FailureLimit:   in.failureLimit,
	}
}

// BearerObserver returns the observer to give bearer.WithObserver.
func (in *Instruments) BearerObserver() bearer.Observer {
	return bearer.Observer{
		KeySetFetch: in.keySetFetch,
		TokenCache:  in.tokenCache,
	}
}
