// Package middleware is authgate's gate: net/http middleware that
// authenticates requests with one or more verifiers, authorizes them by
// scope or policy, and answers every failure with the right status, the
// right WWW-Authenticate challenges and one log line that explains it.
//
// Everything it returns is a plain func(http.Handler) http.Handler, so it
// mounts per route in chi (r.With, r.Use on a group) and around handlers
// registered on an http.ServeMux.
//
// # Status decision
//
//	situation                                         status  WWW-Authenticate
//	no credentials for any scheme the route accepts   401     every challenge of the route, one per field line, no error
//	Authorization uses a scheme the route lacks       401     every challenge of the route
//	credentials present but rejected                  401     every challenge; the rejecting Bearer or DPoP one with error="invalid_token"
//	                                                          (or the DPoP verifier's own: invalid_dpop_proof, use_dpop_nonce)
//	two Authorization fields, empty credentials,
//	  credentials sent two ways                       400     Bearer and DPoP error="invalid_request" where accepted
//	Authorization larger than the cap                 431     none
//	a verifier could not check                        503     none; Retry-After is set
//	too many failed attempts (WithFailureLimit)       429     none; Retry-After is set
//	authenticated, missing scope                      403     Bearer (DPoP) error="insufficient_scope" when the identity came from it
//	authenticated, denied by policy                   403     none
//	a CORS preflight (see below)                      204     none; no CORS headers, the handler is not called
//
// A scope step mounted right behind the gate (g.Require(v)(
// g.RequireScopes("a")(h)), chi's r.With(g.Require(v), g.RequireScopes("a")))
// makes the Bearer challenge of the first two rows name its scopes,
// `Bearer realm="api", scope="a"`, so that an OAuth client (an MCP client)
// asks for the right token the first time.
//
// Challenges are sent in the order the route lists its verifiers. Some
// clients act on the first challenge they understand only (Playwright with
// Basic, several OAuth SDKs with Bearer), so list first the
// scheme that interactive clients should use.
//
// # Logging
//
// Each rejection produces exactly one zerolog event (subject to sampling of
// identical rejections, whose count a later line always reports, see
// WithLogSampling) with the fields reason, status,
// scheme, method, path, route, remote_ip, request_id, detail, hint and the
// safe identifiers of the verifier (key_id, user, kid, iss, sub, jti,
// fingerprint). Missing credentials log at info, rejected credentials and
// 403 at warn, 503 at error; a successful authentication logs one debug
// event. The events go to the logger given with WithLogger, else to the
// request context's (zerolog.Ctx), else as JSON to stderr at info level:
// a gate nobody configured still explains its refusals.
// WithLogger(zerolog.Nop()) silences it. WithSlogLogger writes the same
// events through log/slog instead. The credential itself — the
// Authorization value, a token, a password, an API key, or the base64 of
// any of them — is never logged and never sent back.
//
// # Metrics, traces and readiness
//
// WithObserver reports each authentication, authorization and
// failure-limit block to plain funcs, with bounded fields only (scheme,
// result, reason, status, route pattern, duration); module authgateotel
// turns them into OpenTelemetry metrics and span attributes. Ready is the
// handler of a readiness probe over verifiers that implement
// verifiers.Readier.
//
// # Failure limiting
//
// WithFailureLimit (off by default) answers 429 too_many_failures to a
// client address, or a (claimed user or key id, address) pair, that failed
// too often within a window, before any verifier runs. It never locks a
// user out globally: see its documentation for the trade-off. Behind your
// own reverse proxies, WithClientIPHeader names the header that carries
// the client address, trusted only from the proxies' prefixes; the same
// address is logged as remote_ip and used for log sampling.
// WithFailureStore keeps the counts in a store of your own (shared by a
// fleet of gates); when it fails, the limit fails open, never with a 5xx.
//
// # CORS preflight
//
// No request reaches a protected handler without authentication, a CORS
// preflight (OPTIONS with Origin and Access-Control-Request-Method)
// included: anyone can send one, and a handler that does not switch on the
// method (http.FileServer, httputil.ReverseProxy, a ServeMux pattern
// without a method) would serve it. Browsers never send credentials on a
// preflight, so it is not refused with 401 either: the gate answers a
// preflight that reaches it with 204 No Content and no CORS headers,
// without calling the handler, and logs preflight_unanswered (sampled)
// with the origin and the requested method. Without CORS headers the
// browser does not send the real request: answer preflights with a CORS
// middleware (github.com/rs/cors, github.com/go-chi/cors) mounted in front
// of the gate, allowing the Authorization header and the API key's header.
// WithPreflightAuthentication makes the gate authenticate preflights like
// any request instead. A plain OPTIONS is always authenticated.
//
// # Panics
//
// A panic inside a verifier or a policy is recovered into 503
// verifier_unavailable, logged at error level with the verifier's type and
// the panic value's type only: the value itself may have been built from
// the credential. http.ErrAbortHandler is re-panicked, as net/http expects.
package middleware
