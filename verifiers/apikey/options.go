package apikey

import (
	"errors"
	"time"

	"github.com/authgate/authgate/verifiers"
)

// Defaults of a Verifier.
const (
	// DefaultHeader is the header a Verifier reads keys from when no
	// WithHeader, WithAuthorization, WithCookie or WithQuery option is
	// given.
	DefaultHeader = "X-API-Key"
	// DefaultRealm is the realm of the challenge unless WithRealm is given.
	DefaultRealm = "api"
	// DefaultMaxKeyLength is the longest key a Verifier reads, in bytes;
	// a longer one is refused with credentials_too_large (431) before it
	// is parsed or hashed.
	DefaultMaxKeyLength = 512
)

// ErrInvalidConfig is wrapped by the errors of New.
var ErrInvalidConfig = errors.New("apikey: invalid configuration")

// Option configures a Verifier.
type Option func(*config)

type config struct {
	places []place
	env    string
	realm  string
	prefix string
	maxLen int
	now    func() time.Time
	fp     *verifiers.Fingerprinter
}

// WithHeader reads keys from the request header name, such as
// "X-API-Key". Responses to requests authenticated this way are marked
// Cache-Control: private with Vary on the header (RFC 9110 §16.4.2).
//
// The places a Verifier reads are those given by WithHeader,
// WithAuthorization, WithBasicUser, WithCookie and WithQuery, at most one
// of each, and
// DefaultHeader alone when none is given. A request carrying a key in two
// of them is refused with 400 request_malformed.
func WithHeader(name string) Option {
	return func(c *config) { c.places = append(c.places, place{in: verifiers.InHeader, name: name}) }
}

// WithAuthorization reads keys sent as "Authorization: <scheme> <key>",
// such as scheme "APIKey" (compared case-insensitively). See WithHeader
// for how places combine.
func WithAuthorization(scheme string) Option {
	return func(c *config) { c.places = append(c.places, place{in: verifiers.InAuthorization, name: scheme}) }
}

// WithBasicUser reads keys sent as the user name of HTTP Basic
// credentials, "Authorization: Basic base64(KEY:)", the convention of
// Stripe's API and of clients that only know Basic: curl -u 'KEY:' sends
// it. The password is ignored: clients send it empty, or a filler where
// their library wants one ("KEY:X"); it is never compared, logged or
// kept. Credentials that are not base64, have no ':', have an empty user
// name (the key sent as the password) or hold a control character are
// refused with credentials_malformed and a detail that says which.
//
// Read alone, the challenge is `Basic realm="<realm>"`, so that curl
// --anyauth and browsers (a login prompt: the key as the user name, the
// password empty) know what to send; beside other places, the APIKey
// challenge announces it as basic="user". A route should not also mount
// a basic.Verifier: the first verifier that finds Basic credentials
// decides. See WithHeader for how places combine.
func WithBasicUser() Option {
	return func(c *config) {
		c.places = append(c.places, place{in: verifiers.InAuthorization, basicUser: true, name: verifiers.SchemeBasic})
	}
}

// WithCookie reads keys from the cookie name. Responses to requests
// authenticated this way are marked private with Vary: Cookie. See
// WithHeader for how places combine.
func WithCookie(name string) Option {
	return func(c *config) { c.places = append(c.places, place{in: verifiers.InCookie, name: name}) }
}

// WithQuery reads keys from the query parameter name, as in
// "/v1/report?api_key=...". It is off by default for a reason: URLs end
// up in access logs, proxy logs, browser history and Referer headers, so a
// key in the query string leaks. Enable it only for clients that cannot
// send headers, and redact the parameter in every log that records URLs.
// Responses are marked Cache-Control: private. See WithHeader for how
// places combine.
//
// The parameter is found where the handler's r.URL.Query() finds it
// (url.ParseQuery's rules): under an escaped name too (api%5Fkey), and
// not in a pair that url.ParseQuery drops (one holding ';'). Two values,
// however their names are spelt, are refused with 400 request_malformed.
func WithQuery(name string) Option {
	return func(c *config) { c.places = append(c.places, place{in: verifiers.InQuery, name: name}) }
}

// WithEnvironment sets the server's environment, such as "live" (1 to 16
// characters a-z0-9). Keys tagged with another environment, and records
// whose Environment is another, are rejected with
// apikey_wrong_environment before any store lookup. Without it, keys of
// every environment are accepted.
func WithEnvironment(env string) Option {
	return func(c *config) { c.env = env }
}

// WithRealm sets the realm of the challenge (DefaultRealm by default).
func WithRealm(realm string) Option {
	return func(c *config) { c.realm = realm }
}

// WithPrefix sets the product prefix of the keys in this package's format
// (DefaultPrefix by default). Keys that do not start with "<prefix>_" are
// foreign keys, looked up by hash (see ForeignKey).
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithMaxKeyLength sets the longest key read, in bytes
// (DefaultMaxKeyLength by default). It must be at least the length of the
// keys in use.
func WithMaxKeyLength(n int) Option {
	return func(c *config) { c.maxLen = n }
}

// WithClock sets the function giving the current time, used for expiry and
// revocation; for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithFingerprinter sets the Fingerprinter of the fingerprints logged for
// unknown and malformed keys. Share one between verifiers to correlate
// their logs; by default each Verifier has its own.
func WithFingerprinter(f *verifiers.Fingerprinter) Option {
	return func(c *config) { c.fp = f }
}
