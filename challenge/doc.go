// Package challenge builds, formats and parses HTTP authentication
// challenges and credentials as defined by RFC 9110 §11.
//
// A server uses it to write WWW-Authenticate field values that real clients
// can read; a client or a test uses Parse to read them back, and
// ParseCredentials reads an Authorization field value. The Basic and Bearer
// builders add the rules of RFC 7617, RFC 6750 and RFC 9728.
//
// # Safety
//
// Format never writes a byte that could end a header line or smuggle a new
// one: a scheme, parameter name, value or token68 holding a control
// character (CR, LF, NUL, HTAB, DEL ...) or a non-ASCII byte is rejected
// with an error wrapping ErrInvalidScheme, ErrInvalidParam or
// ErrInvalidValue. Nothing is ever replaced silently, so what a server sends
// is exactly what its code asked for, or nothing. This closes header
// injection through a realm, a scope or an error description.
//
// # Quoting
//
// Format always writes parameter values as quoted-strings, escaping only '"'
// and '\' (RFC 9110 §5.6.4). A quoted-string is valid for every auth-param
// (RFC 9110 §11.2), it is required for realm (§11.5), and it is the form
// that the examples of RFC 6750, RFC 7617 and RFC 9728 show, which is what
// simple client-side parsers look for. Parse accepts both token and
// quoted-string values.
//
// # Scheme rules
//
// Validate, and therefore Format, also applies the rules of the two schemes
// the package knows, whatever way the challenge was built (Basic, Bearer,
// Challenge.With or a literal): a Basic challenge has a non-empty realm and,
// if it has a charset, that charset is "UTF-8" (RFC 7617 §2, §2.1); a
// Bearer challenge has at least one parameter, its error, error_description,
// scope and error_uri values stay within the character sets of RFC 6750 §3,
// error_uri is an absolute URI and resource_metadata an absolute https URL,
// or http to a loopback host (RFC 9728 §5.1). Every challenge has each parameter at most once.
//
// # Parsing
//
// Parse is strict about the grammar of RFC 9110 §11 and tolerant where the
// RFC asks recipients to be: scheme and parameter names are matched without
// regard to case (Challenge.Is, Challenge.Param), empty list elements are
// skipped (§5.6.1), whitespace may surround '=' and ',' (BWS, OWS), and
// quoted-strings may hold HTAB and obs-text. It rejects a tab instead of the
// space after a scheme, a field line without any challenge, a repeated
// parameter (ErrDuplicateParam) and input over MaxFieldLength (ErrTooLarge).
// Errors are *ParseError values with the byte offset of the problem. Parse
// and ParseCredentials never panic; their errors never quote the input of
// ParseCredentials, which is a credential.
package challenge
