package apikey

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/internal/quote"
	"github.com/authgate/authgate/verifiers"
)

// Verifier checks API keys against a Store. It implements
// verifiers.Verifier; mount it with the gate (package middleware). It is
// safe for concurrent use.
type Verifier struct {
	store  Store
	places []place
	env    string
	prefix string
	maxLen int
	now    func() time.Time
	fp     *verifiers.Fingerprinter
	ch     challenge.Challenge
}

var _ verifiers.Verifier = (*Verifier)(nil)

// New returns a Verifier that looks keys up in store, configured by opts,
// or an error wrapping ErrInvalidConfig. By default it reads the
// X-API-Key header, accepts keys of every environment, uses the realm
// "api" and the prefix DefaultPrefix, and refuses keys longer than
// DefaultMaxKeyLength bytes.
func New(store Store, opts ...Option) (*Verifier, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: store is nil", ErrInvalidConfig)
	}
	c := config{realm: DefaultRealm, prefix: DefaultPrefix, maxLen: DefaultMaxKeyLength, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if len(c.places) == 0 {
		c.places = []place{{in: verifiers.InHeader, name: DefaultHeader}}
	}
	seen := map[string]bool{}
	for i := range c.places {
		p := &c.places[i]
		if seen[p.paramName()] {
			return nil, fmt.Errorf("%w: %s given twice; a Verifier reads at most one header, one Authorization scheme, one cookie, one query parameter and the Basic user name", ErrInvalidConfig, p.paramName())
		}
		seen[p.paramName()] = true
		if err := p.setup(); err != nil {
			return nil, err
		}
	}
	if seen["basic"] {
		for _, p := range c.places {
			if p.in == verifiers.InAuthorization && !p.basicUser && strings.EqualFold(p.name, verifiers.SchemeBasic) {
				return nil, fmt.Errorf("%w: WithAuthorization(%s) and WithBasicUser both read Authorization: Basic; use WithBasicUser alone", ErrInvalidConfig, quote.Quote(p.name))
			}
		}
	}
	if c.env != "" && !validEnv(c.env) {
		return nil, fmt.Errorf("%w: environment %s must be 1 to %d characters a-z0-9", ErrInvalidConfig, quote.Cut(c.env, 32), maxEnvLen)
	}
	if err := checkPrefix(c.prefix); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c.maxLen < 1 {
		return nil, fmt.Errorf("%w: max key length %d must be positive", ErrInvalidConfig, c.maxLen)
	}
	if c.now == nil {
		return nil, fmt.Errorf("%w: clock is nil", ErrInvalidConfig)
	}
	if c.realm == "" {
		return nil, fmt.Errorf("%w: realm is empty", ErrInvalidConfig)
	}
	if c.fp == nil {
		c.fp = verifiers.NewFingerprinter()
	}
	ch := challenge.Challenge{Scheme: verifiers.SchemeAPIKey, Params: []challenge.Param{{Name: "realm", Value: c.realm}}}
	if len(c.places) == 1 && c.places[0].basicUser {
		// The key as the Basic user name alone: a Basic challenge, which
		// clients that negotiate (curl --anyauth) answer with the
		// credentials and browsers answer with a login prompt.
		ch.Scheme = verifiers.SchemeBasic
	} else {
		for i := range c.places {
			ch.Params = append(ch.Params, challenge.Param{Name: c.places[i].paramName(), Value: c.places[i].paramValue()})
		}
	}
	if err := ch.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Verifier{
		store: store, places: c.places, env: c.env, prefix: c.prefix,
		maxLen: c.maxLen, now: c.now, fp: c.fp, ch: ch,
	}, nil
}

// Challenge returns the custom challenge
// `APIKey realm="<realm>", header="<name>"`, with one parameter per place
// the Verifier reads, in the order the options gave them: header,
// authorization (the scheme), cookie, query, basic="user". A Verifier
// that reads only the Basic user name (WithBasicUser alone) returns
// `Basic realm="<realm>"` instead. See the package documentation.
func (v *Verifier) Challenge() challenge.Challenge { return v.ch }

// Verify reads the request's API key and checks it; see the package
// documentation for the outcomes and their reasons.
func (v *Verifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	key, pl, err := v.read(r)
	if err != nil {
		return nil, err
	}
	p := parseKey(key, v.prefix)
	var (
		id      string
		sum     [32]byte
		foreign bool
	)
	switch p.fail {
	case failNone:
		if v.env != "" && p.env != v.env {
			return nil, v.wrongEnv(p.env, p.id, pl)
		}
		id, sum = p.id, hashString(p.secret)
	case failForeign:
		if kind := shellExpr(key); kind != "" {
			return nil, v.unexpanded(kind, key, pl)
		}
		foreign = true
		id, sum = foreignID(key), hashString(key)
	default:
		return nil, v.badFormat(p, key, pl)
	}

	rec, err := v.store.Lookup(r.Context(), id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, v.unknown(foreign, id, key, pl)
		}
		return nil, verifiers.Unavailable(fmt.Sprintf("the API key store could not be read (%s)", v.keyRef(foreign, id, key)), err)
	}
	if rec == nil {
		return nil, verifiers.Unavailable(fmt.Sprintf("the API key store returned neither a record nor an error (%s); this is a bug in the Store", v.keyRef(foreign, id, key)), nil)
	}
	// The digests are compared, in constant time: the time taken tells
	// nothing about how much of the secret is right.
	if subtle.ConstantTimeCompare(sum[:], rec.Hash[:]) != 1 {
		return nil, reject2(verifiers.APIKeySecretMismatch,
			"API key "+rec.ID+" exists but the secret sent does not match the stored hash (read from "+pl.what+")",
			"the key's secret was altered, or the stored hash was written for another key; repeated mismatches for one id suggest someone guessing",
			verifiers.AttrKeyID, rec.ID, verifiers.AttrFingerprint, v.fp.Fingerprint(key))
	}
	if v.env != "" && rec.Environment != "" && rec.Environment != v.env {
		return nil, v.wrongEnv(rec.Environment, rec.ID, pl)
	}
	if rec.Revoked.IsZero() && rec.Expires.IsZero() {
		// Nothing to compare the clock with: a key that never expires
		// and was not revoked does not read it.
		return rec.identity(pl.src), nil
	}
	now := v.now()
	if !rec.Revoked.IsZero() && !now.Before(rec.Revoked) {
		return nil, verifiers.Reject(verifiers.APIKeyRevoked,
			fmt.Sprintf("API key %s was revoked at %s, %s ago", rec.ID, rec.Revoked.UTC().Format(time.RFC3339), ago(now, rec.Revoked))).
			WithHint("the key's owner must switch to a new key").
			With(verifiers.AttrKeyID, rec.ID)
	}
	if !rec.Expires.IsZero() && !now.Before(rec.Expires) {
		return nil, verifiers.Reject(verifiers.APIKeyExpired,
			fmt.Sprintf("API key %s expired %s ago, at %s", rec.ID, ago(now, rec.Expires), rec.Expires.UTC().Format(time.RFC3339))).
			WithHint("the key's owner must switch to a new key, or the key's expiry must be extended in the store").
			With(verifiers.AttrKeyID, rec.ID)
	}
	return rec.identity(pl.src), nil
}

func (v *Verifier) wrongEnv(keyEnv, id string, pl *place) error {
	return verifiers.Reject(verifiers.APIKeyWrongEnv,
		fmt.Sprintf("API key %s was issued for the %s environment, and this server is %s (read from %s)", id, quote.Quote(keyEnv), quote.Quote(v.env), pl.what)).
		WithHint(fmt.Sprintf("a %s key was sent to the %s server", keyEnv, v.env)).
		With(verifiers.AttrKeyID, id)
}

// badFormat rejects a key that has the prefix but does not parse. The id
// part is logged only when it has an id's shape, never another part.
func (v *Verifier) badFormat(p parsed, key string, pl *place) error {
	var rej *verifiers.Rejection
	if p.fail.checksum() {
		rej = verifiers.Reject(verifiers.APIKeyChecksumInvalid, p.describe(v.prefix)+" (read from "+pl.what+")").
			WithHint(p.checksumHint())
		if idPart, ok := keyIDPart(key, v.prefix); ok {
			rej.With(verifiers.AttrKeyID, idPart)
		}
	} else {
		rej = verifiers.Reject(verifiers.CredentialsMalformed, p.describe(v.prefix)+" (read from "+pl.what+")").
			WithHint(malformedHint(p))
	}
	return rej.With(verifiers.AttrFingerprint, v.fp.Fingerprint(key))
}

func malformedHint(p parsed) string {
	switch p.fail {
	case failParts:
		if p.at < 3 {
			return "parts of the key are missing: it was probably truncated when copied"
		}
		return "the key has extra parts: it was probably joined with other text when copied"
	case failChar, failEnvChar:
		return "the key holds a character that generated keys never have: it was mistyped, or copied with surrounding text (quotes, spaces, line breaks)"
	case failLengths:
		return "the key was made by another generator using the same prefix; choose distinct prefixes"
	}
	return "the key was damaged when copied"
}

// keyIDPart returns the id part of a key with the prefix when it has the
// shape of an id: IDLength base62 characters between the second and third
// '_'.
func keyIDPart(key, prefix string) (string, bool) {
	rest := key[len(prefix)+1:]
	_, rest, ok := cutByte(rest, '_')
	if !ok {
		return "", false
	}
	id, _, ok := cutByte(rest, '_')
	if !ok || len(id) != IDLength {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if !isBase62(id[i]) {
			return "", false
		}
	}
	return id, true
}

func cutByte(s string, c byte) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (v *Verifier) unknown(foreign bool, id, key string, pl *place) error {
	fp := v.fp.Fingerprint(key)
	if foreign {
		hint := "the key was issued by another system or deployment, was deleted from the store, or is not an API key at all"
		if pl.basicUser {
			hint = "this route reads the API key from the Basic user name, and the user name sent is not a key of this server: perhaps a user name and password were sent where the key belongs (curl -u 'KEY:')"
		}
		return verifiers.Reject(verifiers.APIKeyUnknown,
			fmt.Sprintf("the API key does not start with %s, and as a foreign key (looked up by its hash) it matches no stored key (read from %s)", quote.Quote(v.prefix+"_"), pl.what)).
			WithHint(hint).
			With(verifiers.AttrFingerprint, fp)
	}
	return reject2(verifiers.APIKeyUnknown,
		"no API key with id "+id+" in the store (read from "+pl.what+")",
		"the key was deleted from the store, or issued by another deployment's key store",
		verifiers.AttrKeyID, id, verifiers.AttrFingerprint, fp)
}

// rejection2 is a Rejection with room for two attributes, allocated
// together: the refusals a client can cause at will (an unknown key, a
// wrong secret) cost one allocation instead of three.
type rejection2 struct {
	rej   verifiers.Rejection
	attrs [2]verifiers.Attr
}

// reject2 is verifiers.Reject(reason, detail).WithHint(hint).With(k1,
// v1).With(k2, v2) in one allocation. The attributes' capacity is clipped,
// so that an append by whoever holds the Rejection copies them.
func reject2(reason verifiers.Reason, detail, hint, k1, v1, k2, v2 string) *verifiers.Rejection {
	b := &rejection2{attrs: [2]verifiers.Attr{{Key: k1, Value: v1}, {Key: k2, Value: v2}}}
	b.rej = verifiers.Rejection{Reason: reason, Detail: detail, Hint: hint, Attrs: b.attrs[:2:2]}
	return &b.rej
}

// keyRef names a key in a detail: its id, or for a foreign key its
// fingerprint (its "ext_" id is derived from the key).
func (v *Verifier) keyRef(foreign bool, id, key string) string {
	if foreign {
		return "foreign key with fingerprint " + v.fp.Fingerprint(key)
	}
	return "key id " + id
}

// ago formats now-t rounded to the second.
func ago(now, t time.Time) string {
	return now.Sub(t).Round(time.Second).String()
}
