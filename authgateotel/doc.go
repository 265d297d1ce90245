// Package authgateotel reports authgate's outcomes to OpenTelemetry:
// metrics of authentication, authorization, key-set fetches, failure-limit
// blocks and the verified-token cache, modelled on ASP.NET Core's
// aspnetcore.authentication.* and aspnetcore.authorization.* instruments,
// and the outcome of each request on its span.
//
// It adapts the hooks of the core, middleware.Observer and
// bearer.Observer, so that the library itself does not depend on
// OpenTelemetry:
//
//	in, err := authgateotel.New(authgateotel.WithMeterProvider(mp))
//	gate := middleware.New(middleware.WithObserver(in.GateObserver()))
//	v, err := bearer.New(ctx, aud, issuers, bearer.WithObserver(in.BearerObserver()))
//
// Every attribute comes from a closed or configured set: schemes, result,
// reason codes, statuses, route patterns (never the raw path), policy
// names and required scopes, configured issuer URLs. No subject, user,
// key id, token, raw iss claim, client address or path is ever an
// attribute, so the number of series is bounded by the configuration,
// whatever the traffic. Spans get the same attributes and, for a
// refusal, an event: never a credential, never a detail text.
//
// The instruments are listed in the README's "Metrics and traces"
// section.
package authgateotel
