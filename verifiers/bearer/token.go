package bearer

import (
	"slices"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file holds the token verify works on: what it reads of the claims
// before the map, the token's attributes, and its rejections.

// token is a parsed JWS and, once read, its claims: the registered ones
// verify decides on (reg) read first, and the map of all of them (claims)
// decoded only once the token has passed every check that needs no map,
// so that a token refused on its signature or its times never pays for
// the map (BenchmarkPaired).
type token struct {
	jose.JWS // inside the struct, on verify's stack (jose.ParseInto)
	set      jose.ClaimsSet
	reg      [len(registered)]jose.Member
	claims   map[string]any
}

// registered are the claims verify reads before the map, by index: iss
// picks the issuer; iss, sub and jti name the token in a rejection's
// attributes; exp, nbf and iat are the times; from regIDToken on,
// idTokenClaims, in their order (TestRegisteredHoldsIDTokenClaims).
var registered = [...]string{"iss", "sub", "jti", "exp", "nbf", "iat", "nonce", "at_hash", "c_hash", "s_hash"}

const (
	regIss = iota
	regSub
	regJTI
	regExp
	regNbf
	regIat
	regIDToken // the first of idTokenClaims
)

// str returns the registered claim i when it is a string.
func (t *token) str(i int) (string, bool) {
	return t.reg[i].Str, t.reg[i].Kind == jose.String
}

// tokenRejection is a rejection of a token with the array of its
// attributes, in one allocation (token.reject).
type tokenRejection struct {
	rej   verifiers.Rejection
	attrs [6]verifiers.Attr
}

// reject returns the rejection of t for reason with its words and its
// attributes: first when it has a Key, then the token's (appendAttrs),
// clipped so that an append copies. The refusals of every token not in
// the cache that can be made this way are (an unknown kid, a bad
// signature, an expiry): one allocation, where Reject, a slice of the
// token's attributes and their copy into the rejection were three.
func (t *token) reject(reason verifiers.Reason, detail, hint string, first verifiers.Attr) *verifiers.Rejection {
	r := &tokenRejection{rej: verifiers.Rejection{Reason: reason, Detail: detail, Hint: hint}}
	a := r.attrs[:0]
	if first.Key != "" {
		a = append(a, first)
	}
	if a = t.appendAttrs(a); len(a) > 0 {
		r.rej.Attrs = a[:len(a):len(a)]
	}
	return &r.rej
}

// asMalformed is the *jose.MalformedError jose's parsers return.
func asMalformed(err error) *jose.MalformedError {
	if m, ok := err.(*jose.MalformedError); ok {
		return m
	}
	return &jose.MalformedError{Detail: err.Error()}
}

// attrs returns the safe identifiers of a token: kid, iss, sub and jti,
// with room for one more (client_id).
func (t *token) attrs() []verifiers.Attr {
	return t.appendAttrs(make([]verifiers.Attr, 0, 5))
}

// appendAttrs appends to a the token's kid and its iss, sub and jti
// claims, those that are non-empty strings.
func (t *token) appendAttrs(a []verifiers.Attr) []verifiers.Attr {
	if t.Header.Kid != "" {
		a = append(a, verifiers.Attr{Key: verifiers.AttrKid, Value: t.Header.Kid})
	}
	for _, c := range [...]struct {
		claim int
		attr  string
	}{{regIss, verifiers.AttrIssuer}, {regSub, verifiers.AttrSubject}, {regJTI, verifiers.AttrJTI}} {
		if s, ok := t.str(c.claim); ok && s != "" {
			a = append(a, verifiers.Attr{Key: c.attr, Value: s})
		}
	}
	return a
}

// withAttrs appends attrs to the attributes of err when it is a
// Rejection. A rejection without attributes shares attrs, clipped so
// that an append to either copies: no attribute is ever written in
// place.
func withAttrs(err error, attrs []verifiers.Attr) error {
	if len(attrs) == 0 {
		return err // a rejection without attributes keeps nil
	}
	if rej, ok := verifiers.AsRejection(err); ok {
		if len(rej.Attrs) == 0 {
			rej.Attrs = slices.Clip(attrs)
		} else {
			rej.Attrs = append(rej.Attrs, attrs...)
		}
	}
	return err
}

func addAttr(rej *verifiers.Rejection, k, val string) {
	if val != "" {
		rej.With(k, val)
	}
}
