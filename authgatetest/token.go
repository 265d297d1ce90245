package authgatetest

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jws"
)

// TokenOption changes a token minted by Issuer.Token.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	claims map[string]any
	typ    string
	kid    *string // nil: the signing key's
	signer string  // "", "other" (unpublished key, current kid) or "unknown" (unpublished key and kid)
}

// Subject sets the token's sub ("test-subject" by default).
func Subject(sub string) TokenOption { return Claim("sub", sub) }

// Scopes sets the token's scope claim, the scopes separated by spaces
// (RFC 6749 §3.3). Without it the token has no scope claim.
func Scopes(scopes ...string) TokenOption { return Claim("scope", strings.Join(scopes, " ")) }

// Audience sets the token's aud: one audience as a string, several as an
// array. By default it is the issuer's audience (WithAudience).
func Audience(aud ...string) TokenOption {
	if len(aud) == 1 {
		return Claim("aud", aud[0])
	}
	return Claim("aud", aud)
}

// IssuedAt sets the token's iat (now by default).
func IssuedAt(at time.Time) TokenOption { return Claim("iat", at.Unix()) }

// ExpiresAt sets the token's exp (an hour from now by default).
func ExpiresAt(at time.Time) TokenOption { return Claim("exp", at.Unix()) }

// NotBefore sets the token's nbf (absent by default).
func NotBefore(at time.Time) TokenOption { return Claim("nbf", at.Unix()) }

// Expired makes a token issued two hours ago that expired an hour ago:
// past any leeway a verifier allows (bearer's is at most 5 minutes), so
// it is refused as token_expired.
func Expired() TokenOption {
	return func(s *tokenSpec) {
		now := time.Now()
		s.claims["iat"], s.claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	}
}

// Claim sets the claim name to value (any value encoding/json marshals),
// replacing the default one; a nil value leaves the claim out. Use it for
// claims of your own and for claims of the wrong type or shape.
func Claim(name string, value any) TokenOption {
	return func(s *tokenSpec) {
		if value == nil {
			delete(s.claims, name)
			return
		}
		s.claims[name] = value
	}
}

// Type sets the typ header ("at+jwt" by default, RFC 9068 §2.1); "" leaves
// it out.
func Type(typ string) TokenOption { return func(s *tokenSpec) { s.typ = typ } }

// KeyID sets the kid header instead of the signing key's; "" leaves it
// out. The token is still signed by the issuer's signing key.
func KeyID(kid string) TokenOption { return func(s *tokenSpec) { s.kid = &kid } }

// OtherKey signs the token with a key the issuer does not publish, under
// the kid of its signing key: a verifier finds the key and refuses the
// signature (token_signature_invalid), as for a token of another
// environment whose keys share a kid, or a forged one.
func OtherKey() TokenOption { return func(s *tokenSpec) { s.signer = "other" } }

// UnknownKey signs the token with a key the issuer does not publish, under
// a kid its JWK set does not hold ("unpublished"): a verifier fetches the
// set again and refuses the token as token_key_unknown.
func UnknownKey() TokenOption { return func(s *tokenSpec) { s.signer = "unknown" } }

// Token returns a signed JWT access token of the issuer, changed by opts.
// By default it is valid for an hour at any verifier configured with the
// issuer's URL and audience, RFC 9068 profile included: header alg (the
// issuer's), kid and typ at+jwt; claims iss, sub "test-subject", aud,
// client_id "test-client", a random jti, iat now and exp in an hour.
// It fails t if the claims cannot be marshalled or signed.
func (i *Issuer) Token(t testing.TB, opts ...TokenOption) string {
	t.Helper()
	now := time.Now()
	s := tokenSpec{
		typ: "at+jwt",
		claims: map[string]any{
			"iss":       i.id,
			"sub":       "test-subject",
			"aud":       i.audience,
			"client_id": "test-client",
			"jti":       rand.Text(),
			"iat":       now.Unix(),
			"exp":       now.Add(time.Hour).Unix(),
		},
	}
	for _, o := range opts {
		o(&s)
	}
	key := i.current()
	kid := key.kid
	if s.signer != "" {
		var err error
		if key, err = i.outsiderKey(); err != nil {
			t.Fatal(err)
		}
		if s.signer == "unknown" {
			kid = key.kid
		}
	}
	if s.kid != nil {
		kid = *s.kid
	}
	payload, err := json.Marshal(s.claims)
	if err != nil {
		t.Fatalf("authgatetest: marshalling the claims: %v", err)
	}
	hdr := jws.NewHeaders()
	for name, v := range map[string]string{jws.KeyIDKey: kid, jws.TypeKey: s.typ} {
		if v == "" {
			continue
		}
		if err := hdr.Set(name, v); err != nil {
			t.Fatalf("authgatetest: setting the %s header: %v", name, err)
		}
	}
	alg, _ := algorithm(i.alg)
	tok, err := jws.Sign(payload, jws.WithKey(alg, key.signer, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatalf("authgatetest: signing a token: %v", err)
	}
	return string(tok)
}
