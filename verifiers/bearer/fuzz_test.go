package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

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
			tt, m := parseJWS(tok)
			if m != nil || !verifySignature(v.order[0].current().byKid["ec1"], tt.signingInput, tt.sig) || id.Subject == "" && id.Claims == nil {
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

// FuzzDecodeJSON checks the hand-written JSON decoder against
// encoding/json: it never panics, accepts exactly the texts encoding/json
// accepts as an object, less those it refuses on purpose (a member name
// twice in one object, an unpaired surrogate escape, nesting beyond
// maxJSONDepth), and gives the same values.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"a":1},"b":[1,{"a":2}]}`, `{"\u0061":1,"a":2}`,
		`{"a\"":"}","b":"\\"}`, ` { "x" : [ ] , "y" : null } `, `{"s":"\ud83d\ude00\u0041"}`, `{"s":"\ud800\u0041"}`,
		`{"n":-0.5e+10,"m":1E400}`, `{"t":true,"f":false}`, `{"a":[[[[1]]]]}`, `{"x":"\/\b\f\n\r\t"}`,
		`{"o":{"k":1,"k":2}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return // the callers refuse invalid UTF-8 first
		}
		got, jerr := decodeJSONObject(b)
		var want map[string]any
		werr := json.Unmarshal(b, &want)
		if werr == nil && firstNonSpace(b) != '{' {
			werr = errors.New("not an object") // e.g. null
		}
		switch {
		case jerr == nil && werr == nil:
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decodeJSONObject(%q) = %#v, encoding/json gives %#v", b, got, want)
			}
		case jerr != nil && werr != nil:
		case jerr != nil && jerr.dup != "":
			if !hasDuplicate(b, jerr.dup) {
				t.Fatalf("decodeJSONObject(%q) reports %q twice in an object; it is not", b, jerr.dup)
			}
		case jerr != nil && (strings.Contains(jerr.msg, "nested deeper") || strings.Contains(jerr.msg, "unpaired surrogate")):
		case jerr != nil:
			t.Fatalf("decodeJSONObject(%q) refuses (%s) what encoding/json accepts", b, jerr.msg)
		default:
			t.Fatalf("decodeJSONObject(%q) accepts what encoding/json refuses (%v)", b, werr)
		}
		if jerr != nil && strings.Contains(jerr.msg, `"`) {
			t.Fatalf("error quotes the input: %s", jerr.msg)
		}
	})
}

// hasDuplicate reports, with encoding/json's tokenizer, whether name is a
// member name twice in one object of the JSON text b.
func hasDuplicate(b []byte, name string) bool {
	type frame struct {
		obj     bool
		wantKey bool
		seen    map[string]bool
	}
	var stack []*frame
	done := func() { // a value ended
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				if stack[n-1].seen[k] && k == name {
					return true
				}
				stack[n-1].seen[k] = true
				stack[n-1].wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
	}
}

// FuzzParseKeySet loads arbitrary key sets: never a panic, and an accepted
// set has at least one key, each bound to one algorithm.
func FuzzParseKeySet(f *testing.F) {
	f.Add(jwks(jwkOf(fx.ec, "ec1", "ES256")))
	f.Add(jwks(jwkOf(fx.rsa, "r", ""), jwkOf(fx.ed, "e", "")))
	f.Add(jwks(jwkOf(fx.secret, "h", "HS256")))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Add(jwks(rsaJWK(randModulus(MaxRSABits+1), 65537, "big", "RS256")))
	f.Add(jwks(rsaJWK(fx.rsa.N, MaxRSAExponent+2, "e", "RS256")))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseKeySet(b, loadOptions{origin: "fuzz", symmetric: true})
		if err != nil {
			return
		}
		if len(s.keys) == 0 {
			t.Fatal("accepted an empty set")
		}
		for _, k := range s.keys {
			n := 0
			for _, has := range []bool{k.rsa != nil, k.ec != nil, k.ed != nil, k.secret != nil} {
				if has {
					n++
				}
			}
			if k.alg == nil || n != 1 {
				t.Fatalf("key without material or alg: %+v", k)
			}
			if k.rsa != nil && (k.rsa.N.BitLen() < MinRSABits || k.rsa.N.BitLen() > MaxRSABits || k.rsa.E%2 == 0 || k.rsa.E < 3 || k.rsa.E > MaxRSAExponent) {
				t.Fatalf("accepted an RSA key outside the bounds: %d bits, e %d", k.rsa.N.BitLen(), k.rsa.E)
			}
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
