package authgateotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

type authKey struct {
	scheme string
	result middleware.Result
	reason string
	status int
	route  string
}

// slot is k's hash for the front of in.authSets: its lengths, status
// and a byte or two of the route and reason, which tell apart the tuples
// of a service's routes well enough without reading the strings through.
func (k authKey) slot() uint64 {
	h := uint64(len(k.route))*31 + uint64(len(k.reason))*7 + uint64(len(k.scheme))*3 + uint64(len(k.result)) + uint64(k.status)
	if n := len(k.route); n > 0 {
		h = h*131 + uint64(k.route[n-1]) + uint64(k.route[n/2])*17
	}
	if n := len(k.reason); n > 2 {
		h = h*131 + uint64(k.reason[n-3])
	}
	return h
}

// authEntry is the count of one authentication tuple, and the
// histogram's option: scheme and result only, as ASP.NET Core's
// authenticate duration has. The reason and the route would multiply its
// buckets, and each attribute costs the SDK's Record time (per-route
// latency is the HTTP server histogram's, http.server.request.duration).
type authEntry struct {
	count
	record []metric.RecordOption
}

func (in *Instruments) authentication(ev middleware.AuthenticationEvent) {
	k := authKey{ev.Scheme, ev.Result, string(ev.Reason), ev.Status, ev.Route}
	e := in.authSets.getFast(k, k.slot(), func(overflow bool) *authEntry {
		if overflow {
			return &authEntry{count: count{set: overflowSet}, record: []metric.RecordOption{metric.WithAttributeSet(overflowSet)}}
		}
		short := outcomeAttrs(k.scheme, k.result, "", 0)
		all := outcomeAttrs(k.scheme, k.result, k.reason, k.status)
		if k.route != "" {
			all = append(all, KeyRoute.String(k.route))
		}
		return &authEntry{
			count:  count{set: attribute.NewSet(all...)},
			record: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(short...))},
		}
	})
	e.n.Add(1)
	// One look for the request's span, for both uses: the SDK reads the
	// context of a measurement only for the span context of an
	// exemplar, so a request without a span records with an empty
	// context, which spares the SDK a second walk up the request's
	// context chain.
	ctx := context.Background()
	var span trace.Span
	if ev.Context != nil {
		if span = trace.SpanFromContext(ev.Context); span.SpanContext().IsValid() {
			ctx = ev.Context
		}
	}
	in.authDuration.Record(ctx, ev.Duration.Seconds(), e.record...)
	if span != nil && span.IsRecording() {
		annotateAuthentication(span, ev)
	}
}

type authzKey struct {
	kind, name, scheme string
	result             middleware.Result
	reason             string
	status             int
	route              string
}

func (in *Instruments) authorization(ev middleware.AuthorizationEvent) {
	k := authzKey{ev.Kind, ev.Name, ev.Scheme, ev.Result, string(ev.Reason), ev.Status, ev.Route}
	c := in.authzSets.get(k, func(overflow bool) *count {
		if overflow {
			return &count{set: overflowSet}
		}
		kv := append(outcomeAttrs(k.scheme, k.result, k.reason, k.status),
			KeyAuthorizationKind.String(k.kind), KeyAuthorizationPolicy.String(k.name))
		if k.route != "" {
			kv = append(kv, KeyRoute.String(k.route))
		}
		return &count{set: attribute.NewSet(kv...)}
	})
	c.n.Add(1)
	if ev.Context != nil {
		if span := trace.SpanFromContext(ev.Context); span.IsRecording() {
			annotateAuthorization(span, ev)
		}
	}
}

func (in *Instruments) failureLimit(ev middleware.FailureLimitEvent) {
	k := ev
	k.Context = nil
	c := in.blockSets.get(k, func(overflow bool) *count {
		if overflow {
			return &count{set: overflowSet}
		}
		kv := []attribute.KeyValue{KeyLimit.String(k.Limit)}
		if k.Scheme != "" {
			kv = append(kv, KeyScheme.String(k.Scheme))
		}
		if k.Route != "" {
			kv = append(kv, KeyRoute.String(k.Route))
		}
		return &count{set: attribute.NewSet(kv...)}
	})
	c.n.Add(1)
}

func (in *Instruments) keySetFetch(ev bearer.KeySetFetchEvent) {
	result := "failure"
	if ev.Success {
		result = "success"
	}
	set := attribute.NewSet(KeyIssuer.String(ev.Issuer), KeyResult.String(result))
	ctx := context.Background()
	in.fetches.Add(ctx, 1, metric.WithAttributeSet(set))
	in.fetchDuration.Record(ctx, ev.Duration.Seconds(), metric.WithAttributeSet(set))
	in.mu.Lock()
	defer in.mu.Unlock()
	st := in.issuers[ev.Issuer]
	if st == nil {
		st = &issuerState{}
		in.issuers[ev.Issuer] = st
	}
	st.keys, st.lastSuccess = ev.Keys, ev.LastSuccess
}

func (in *Instruments) tokenCache(ev bearer.TokenCacheEvent) {
	if ev.Hit {
		in.cacheHit.n.Add(1)
		return
	}
	in.cacheMiss.n.Add(1)
}
