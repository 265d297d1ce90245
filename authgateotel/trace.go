package authgateotel

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/middleware"
)

// annotateAuthentication adds the outcome to the request's span, which
// records: scheme, result, reason and status as attributes
// and, for a refusal, an EventRejection event with the reason and
// status. Nothing else: no detail text, which a verifier wrote and could
// hold what the request sent.
func annotateAuthentication(span trace.Span, ev middleware.AuthenticationEvent) {
	kv := outcomeAttrs(ev.Scheme, ev.Result, string(ev.Reason), ev.Status)
	span.SetAttributes(kv...)
	if ev.Status != 0 {
		span.AddEvent(EventRejection, trace.WithAttributes(kv...))
	}
}

// annotateAuthorization adds a scope or policy decision to the request's
// span, which records, with an EventRejection event when it refused.
func annotateAuthorization(span trace.Span, ev middleware.AuthorizationEvent) {
	kv := append(outcomeAttrs(ev.Scheme, ev.Result, string(ev.Reason), ev.Status),
		KeyAuthorizationKind.String(ev.Kind), KeyAuthorizationPolicy.String(ev.Name))
	if ev.Result != middleware.ResultFailure {
		// The authentication's attributes stay; the decision is added.
		span.SetAttributes(KeyAuthorizationKind.String(ev.Kind), KeyAuthorizationPolicy.String(ev.Name))
		return
	}
	span.SetAttributes(kv...)
	span.AddEvent(EventRejection, trace.WithAttributes(kv...))
}

// outcomeAttrs are the attributes of an outcome, those that are present:
// result, scheme, reason and status; room is left for three more (the
// route, or the authorization's kind and policy).
func outcomeAttrs(scheme string, res middleware.Result, reason string, status int) []attribute.KeyValue {
	kv := make([]attribute.KeyValue, 0, 7)
	kv = append(kv, KeyResult.String(string(res)))
	if scheme != "" {
		kv = append(kv, KeyScheme.String(scheme))
	}
	if reason != "" {
		kv = append(kv, KeyReason.String(reason))
	}
	if status != 0 {
		kv = append(kv, KeyStatus.Int(status))
	}
	return kv
}
