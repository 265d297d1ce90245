package authgateotel_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/authgate/authgate/authgateotel"
)

// traced wraps h in a server span of tp's tracer, as otelhttp would.
func traced(tp trace.TracerProvider, h http.Handler) http.Handler {
	tr := tp.Tracer("test")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tr.Start(r.Context(), r.Method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TestSpans: the request's span carries authgate's outcome (scheme,
// result, reason, status) and, for a refusal, a rejection event; never a
// credential, nor the verifier's detail text.
func TestSpans(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	m := newMeter(t)
	g := quietGate(m.in)
	v := newScripted()
	r := chi.NewRouter()
	r.With(g.Require(v)).Get("/items/{id}", okHandler)
	r.With(g.Require(v), g.RequireScopes("admin")).Get("/admin/{id}", okHandler)
	h := traced(tp, r)

	const canary = "CANARY0123456789abcdef"
	cases := []struct {
		req   *http.Request
		attrs map[string]string
		event bool
	}{
		{get("/items/1", "Authorization", "Bearer "+canary), map[string]string{"authgate.result": "success", "authgate.scheme": "Bearer"}, false},
		{get("/items/2", "Authorization", "Bearer reject-token_expired"), map[string]string{
			"authgate.result": "failure", "authgate.scheme": "Bearer", "authgate.reason": "token_expired", "http.response.status_code": "401"}, true},
		{get("/items/3", "Authorization", "Basic "+canary), map[string]string{
			"authgate.result": "failure", "authgate.scheme": "Basic", "authgate.reason": "scheme_not_accepted", "http.response.status_code": "401"}, true},
		{get("/admin/4", "Authorization", "Bearer "+canary), map[string]string{
			"authgate.result": "failure", "authgate.scheme": "Bearer", "authgate.reason": "scope_insufficient", "http.response.status_code": "403",
			"authgate.authorization.kind": "scopes", "authgate.authorization.policy": "admin"}, true},
	}
	for i, tc := range cases {
		exp.Reset()
		serve(h, tc.req)
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("case %d: %d spans", i, len(spans))
		}
		s := spans[0]
		got := map[string]string{}
		var all strings.Builder
		for _, kv := range s.Attributes {
			got[string(kv.Key)] = kv.Value.String()
			all.WriteString(string(kv.Key) + "=" + kv.Value.String() + "\n")
		}
		for k, want := range tc.attrs {
			if got[k] != want {
				t.Errorf("case %d: span %s = %q, want %q (all: %v)", i, k, got[k], want, got)
			}
		}
		var rejections int
		for _, ev := range s.Events {
			all.WriteString(ev.Name + "\n")
			for _, kv := range ev.Attributes {
				all.WriteString(string(kv.Key) + "=" + kv.Value.String() + "\n")
			}
			if ev.Name == authgateotel.EventRejection {
				rejections++
				evAttrs := map[string]string{}
				for _, kv := range ev.Attributes {
					evAttrs[string(kv.Key)] = kv.Value.String()
				}
				if evAttrs["authgate.reason"] != tc.attrs["authgate.reason"] {
					t.Errorf("case %d: rejection event reason %q, want %q", i, evAttrs["authgate.reason"], tc.attrs["authgate.reason"])
				}
			}
		}
		if (rejections == 1) != tc.event || rejections > 1 {
			t.Errorf("case %d: %d rejection events, want event %v", i, rejections, tc.event)
		}
		for _, leak := range []string{canary, "scripted", "sub-"} {
			if strings.Contains(all.String(), leak) {
				t.Errorf("case %d: span holds %q:\n%s", i, leak, all.String())
			}
		}
	}
}
