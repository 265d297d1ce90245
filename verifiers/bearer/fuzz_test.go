package bearer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// FuzzVerifyToken feeds arbitrary tokens to a verifier: it must never
// panic, never accept a token it cannot verify with its key, and never put
// the token (or its signature segment) into a rejection.
func FuzzVerifyToken(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "....", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
		sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims()),
		sign("ES256", fx.ec, map[string]any{"kid": "ec1", "crit": []string{"b64"}, "b64": false}, claims()),
		sign("HS256", fx.secret, map[string]any{"kid": "ec1"}, claims()),
		b64u([]byte(`{"alg":"ES256","alg":"none"}`)) + ".e30.AAAA",
		b64u([]byte(`{"alg":"ES256","kid":"ec1"}`)) + "." + b64u([]byte(`{"iss":1}`)) + ".AAAA",
		`"eyJ.a.b"`, "Bearer eyJ.a.b", "eyJ a.b.c",
		sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("scope", "a\u00a0b")),
		sign("ES256", fx.ec, map[string]any{"kid": "ec1"}, claims("scope", nil, "scp", []string{"a", "b c"})),
		sign("ES256", fx.ec, map[string]any{"kid": "ec1", "typ": "JWT"}, claims("nonce", "n", "at_hash", "h")),
		sign("ES256", fx.ec, nil, claims()),
	} {
		f.Add(s)
	}
	set := JWKS(jwks(jwkOf(fx.ec, "ec1", "ES256")))
	fp := WithFingerprinter(verifiers.NewFingerprinter())
	v, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: set}}, clockAt(t0), quiet(), fp)
	if err != nil {
		f.Fatal(err)
	}
	uncached, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: set}}, clockAt(t0), quiet(), fp, WithTokenCache(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		// The caches never change an outcome: twice through the cached
		// verifier (a miss, then maybe a hit) is what the uncached one
		// says.
		want := outcome(uncached.Verify(bearerReq(tok)))
		for i := range 2 {
			if got := outcome(v.Verify(bearerReq(tok))); got != want {
				t.Fatalf("request %d: cached outcome %q, uncached %q", i, got, want)
			}
		}

		id, err := v.verifyToken(context.Background(), tok)
		if err == nil {
			// Only a token signed by fx.ec can pass; check it really is.
			tt, err := jose.Parse(tok)
			if err != nil || !v.order[0].current().keyOf("ec1").Verify(tt.SigningInput, tt.Signature()) || id.Subject == "" && id.Claims == nil {
				t.Fatalf("accepted a token that does not verify: %q", tok)
			}
			for _, sc := range id.Scopes {
				for i := 0; i < len(sc); i++ {
					if sc == "" || !isScopeChar(sc[i]) {
						t.Fatalf("accepted a scope outside RFC 6749 §3.3: %q", sc)
					}
				}
			}
			for _, c := range idTokenClaims {
				if _, ok := id.Claims[c]; ok {
					t.Fatalf("accepted a token with the ID-token claim %s", c)
				}
			}
			return
		}
		rej, ok := err.(*verifiers.Rejection)
		if !ok {
			t.Fatalf("error %T %v is not a Rejection", err, err)
		}
		msg := rej.Error() + rej.Hint
		for _, a := range rej.Attrs {
			msg += a.Value
		}
		// A token made of the hints' own words ("Bearer Beare") is
		// found in their fixed text, not leaked.
		msg = strings.ReplaceAll(msg, "'Bearer Bearer <token>'", "")
		if len(tok) >= 12 && strings.Contains(msg, tok) {
			t.Fatalf("rejection holds the token: %s", msg)
		}
		if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 16 && strings.Contains(msg, tok[i+1:]) {
			t.Fatalf("rejection holds the signature segment: %s", msg)
		}
	})
}

// FuzzBearerCredentials checks the hot-path parse of the Authorization
// value against verifiers.SplitAuthorization followed by a
// case-insensitive scheme comparison, which it replaces.
func FuzzBearerCredentials(f *testing.F) {
	for _, s := range []string{"", "Bearer", "Bearer ", " bearer\tabc ", "BEARER  a b ", "Bearerx abc", "Basic abc",
		"Bearer\t\t", "bearer\u00a0abc", "\tBearer abc\t", "Bear", "Bearer\x00abc", "ſearer abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		scheme, want := verifiers.SplitAuthorization(v)
		wantOK := strings.EqualFold(scheme, "Bearer")
		if !wantOK {
			want = ""
		}
		got, ok := bearerCredentials(v)
		if got != want || ok != wantOK {
			t.Fatalf("bearerCredentials(%q) = %q, %v; want %q, %v", v, got, ok, want, wantOK)
		}
	})
}

// outcome describes what Verify said, for comparisons.
func outcome(id *verifiers.Identity, err error) string {
	if err != nil {
		if rej, ok := err.(*verifiers.Rejection); ok {
			return fmt.Sprintf("%s|%s|%s|%v", rej.Reason, rej.Detail, rej.Hint, rej.Attrs)
		}
		return err.Error()
	}
	return fmt.Sprintf("%s|%v|%v|%v|%v", id.Subject, id.Scopes, id.Attrs, id.Claims, id.Source)
}
