package apikey

import (
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/authgate/authgate/internal/quote"
	"github.com/authgate/authgate/verifiers"
)

// place is one part of the request a Verifier reads keys from.
type place struct {
	in verifiers.In
	// basicUser marks the place of WithBasicUser: in is InAuthorization,
	// name "Basic", and the key is the user name of the credentials.
	basicUser bool
	name      string // header name, Authorization scheme, cookie or query parameter name
	hkey      string // canonical header key, for InHeader
	src       verifiers.Source
	what      string // for details: "header X-API-Key"
}

// setup validates p and fills in its derived fields.
func (p *place) setup() error {
	switch p.in {
	case verifiers.InHeader:
		if !isToken(p.name) {
			return fmt.Errorf("%w: header name %s is not a valid field name", ErrInvalidConfig, quote.Cut(p.name, 32))
		}
		if strings.EqualFold(p.name, "Authorization") || strings.EqualFold(p.name, "Cookie") {
			return fmt.Errorf("%w: use WithAuthorization or WithCookie rather than WithHeader(%s)", ErrInvalidConfig, quote.Quote(p.name))
		}
		p.hkey = textproto.CanonicalMIMEHeaderKey(p.name)
		p.src = verifiers.Source{In: verifiers.InHeader, Name: p.name}
		p.what = "header " + p.name
	case verifiers.InAuthorization:
		if p.basicUser {
			p.src = verifiers.Source{In: verifiers.InAuthorization, Name: "Authorization"}
			p.what = "Authorization (Basic user name)"
			return nil
		}
		if !isToken(p.name) {
			return fmt.Errorf("%w: Authorization scheme %s is not a token", ErrInvalidConfig, quote.Cut(p.name, 32))
		}
		p.src = verifiers.Source{In: verifiers.InAuthorization, Name: "Authorization"}
		p.what = "Authorization scheme " + p.name
	case verifiers.InCookie:
		if !isToken(p.name) {
			return fmt.Errorf("%w: cookie name %s is not a token", ErrInvalidConfig, quote.Cut(p.name, 32))
		}
		p.src = verifiers.Source{In: verifiers.InCookie, Name: p.name}
		p.what = "cookie " + p.name
	case verifiers.InQuery:
		if !isToken(p.name) || strings.ContainsAny(p.name, "%+&=") {
			return fmt.Errorf("%w: query parameter name %s must be a token without %%+&=", ErrInvalidConfig, quote.Cut(p.name, 32))
		}
		p.src = verifiers.Source{In: verifiers.InQuery, Name: p.name}
		p.what = "query parameter " + p.name
	default:
		return fmt.Errorf("%w: unsupported place %d", ErrInvalidConfig, p.in)
	}
	return nil
}

// paramName is the challenge parameter announcing p; paramValue its
// value.
func (p *place) paramName() string {
	if p.basicUser {
		return "basic"
	}
	switch p.in {
	case verifiers.InHeader:
		return "header"
	case verifiers.InAuthorization:
		return "authorization"
	case verifiers.InCookie:
		return "cookie"
	}
	return "query"
}

func (p *place) paramValue() string {
	if p.basicUser {
		return "user"
	}
	return p.name
}

// get returns the first value p finds in r and how many values it found.
// It does not allocate unless a query value is percent-encoded.
func (p *place) get(r *http.Request) (val string, n int, err error) {
	switch p.in {
	case verifiers.InHeader:
		vs := r.Header[p.hkey]
		if len(vs) > 0 {
			val = vs[0]
		}
		return val, len(vs), nil
	case verifiers.InAuthorization:
		for _, v := range r.Header["Authorization"] {
			if s, rest := verifiers.SplitAuthorization(v); strings.EqualFold(s, p.name) {
				if n == 0 {
					val = rest
				}
				n++
			}
		}
		return val, n, nil
	case verifiers.InCookie:
		for _, line := range r.Header["Cookie"] {
			for line != "" {
				var part string
				part, line, _ = strings.Cut(line, ";")
				name, v, _ := strings.Cut(strings.Trim(part, " \t"), "=")
				if name != p.name {
					continue
				}
				if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				if n == 0 {
					val = v
				}
				n++
			}
		}
		return val, n, nil
	}
	// The pairs are read by url.ParseQuery's rules, which r.URL.Query()
	// follows, so that the verifier finds the key wherever the handler
	// would: split at '&', skip a pair holding ';' (ParseQuery refuses
	// it), unescape the name (api%5Fkey is api_key) and skip it if that
	// fails. A value whose escape fails is refused here where ParseQuery
	// drops it: a 400 says more than a missing key.
	q := r.URL.RawQuery
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			if k, err = url.QueryUnescape(k); err != nil {
				continue // not a name we could match; the router sees the same bad escape
			}
		}
		if k != p.name {
			continue
		}
		if n == 0 {
			val = v
			if strings.ContainsAny(v, "%+") {
				if val, err = url.QueryUnescape(v); err != nil {
					return "", 1, fmt.Errorf("the value of %s has an invalid percent-encoding", p.what)
				}
			}
		}
		n++
	}
	return val, n, nil
}

// read finds the request's key: ErrNoCredentials when no place has one,
// a Rejection when the request is malformed (400) or the key too large
// (431).
func (v *Verifier) read(r *http.Request) (string, *place, error) {
	var (
		key   string
		found *place
	)
	for i := range v.places {
		p := &v.places[i]
		val, n, err := p.get(r)
		if err != nil {
			return "", p, verifiers.Reject(verifiers.RequestMalformed, err.Error())
		}
		if n == 0 {
			continue
		}
		if n > 1 {
			return "", p, verifiers.Reject(verifiers.RequestMalformed,
				fmt.Sprintf("the request carries %d API keys in %s; exactly one is allowed", n, p.what)).
				WithHint("a client library or a proxy may be adding its own key beside the application's")
		}
		if found != nil {
			return "", p, verifiers.Reject(verifiers.RequestMalformed,
				fmt.Sprintf("the request carries an API key both in %s and in %s; send it in one place only", found.what, p.what)).
				WithHint("the client sets the key in two places, perhaps once by configuration and once in code")
		}
		key, found = val, p
	}
	if found == nil {
		return "", nil, verifiers.ErrNoCredentials
	}
	limit := v.maxLen
	if found.basicUser {
		limit = basicUserLimit(v.maxLen)
	}
	if len(key) > limit {
		return "", found, v.tooLarge(found, len(key), limit)
	}
	if key == "" {
		return "", found, verifiers.Reject(verifiers.RequestMalformed,
			fmt.Sprintf("the %s is present but empty", found.what)).
			WithHint("the client sent the place without a key; check that the variable holding the key is set")
	}
	if found.basicUser {
		var err error
		if key, err = v.basicUser(key, found); err != nil {
			return "", found, err
		}
		if len(key) > v.maxLen {
			return "", found, v.tooLarge(found, len(key), v.maxLen)
		}
	}
	return key, found, nil
}

// tooLarge rejects a key of n bytes, over limit, found in pl, naming the
// header field that carried it (RFC 6585 §5).
func (v *Verifier) tooLarge(pl *place, n, limit int) error {
	rej := verifiers.Reject(verifiers.CredentialsTooLarge,
		fmt.Sprintf("the API key in %s is %d bytes, over the %d-byte limit; it was not looked at", pl.what, n, limit)).
		WithHint("something other than an API key was sent in this place, or the limit (WithMaxKeyLength) is below the length of the keys in use")
	switch pl.in {
	case verifiers.InHeader:
		rej.With(verifiers.AttrHeader, pl.name)
	case verifiers.InAuthorization:
		rej.With(verifiers.AttrHeader, "Authorization")
	case verifiers.InCookie:
		rej.With(verifiers.AttrHeader, "Cookie")
	}
	return rej
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isBase62(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
