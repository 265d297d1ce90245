package authgatetest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// route mounts a Bearer verifier over keys of iss behind a gate logging to
// log, and returns a function that sends a token to it and returns the
// status.
func route(t *testing.T, iss *authgatetest.Issuer, keys bearer.KeySource, log *authgatetest.Log) func(tok string) int {
	t.Helper()
	v, err := bearer.New(context.Background(), iss.Audience(), []bearer.Issuer{{URL: iss.URL(), Keys: keys}},
		bearer.WithAccessTokenProfile(), bearer.WithUnknownKeyRefresh(time.Millisecond), bearer.WithLogger(log.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	gate := middleware.New(middleware.WithLogger(log.Logger()), middleware.WithLogSampling(0, 0))
	h := gate.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		_ = json.NewEncoder(w).Encode(id.Subject)
	}))
	return func(tok string) int {
		r := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
}

// TestIssuerTokens checks that each kind of token the kit mints gets the
// answer its documentation promises from the real Bearer verifier, with
// the RFC 9068 profile on, for every algorithm the issuer offers.
func TestIssuerTokens(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			iss := authgatetest.NewIssuer(t, authgatetest.WithAlgorithm(alg))
			if iss.Algorithm() != alg || !strings.HasPrefix(iss.URL(), "http://127.0.0.1:") {
				t.Fatalf("issuer %s at %s", iss.Algorithm(), iss.URL())
			}
			var log authgatetest.Log
			send := route(t, iss, bearer.Discovery(), &log)
			cases := []struct {
				name   string
				opts   []authgatetest.TokenOption
				status int
				reason verifiers.Reason
			}{
				{"valid", nil, 200, ""},
				{"valid_with_claims", []authgatetest.TokenOption{authgatetest.Subject("alice"), authgatetest.Scopes("orders:read", "orders:write"), authgatetest.Claim("tenant", "acme")}, 200, ""},
				{"expired", []authgatetest.TokenOption{authgatetest.Expired()}, 401, verifiers.TokenExpired},
				{"expires_at", []authgatetest.TokenOption{authgatetest.ExpiresAt(time.Now().Add(-time.Hour))}, 401, verifiers.TokenExpired},
				{"not_before", []authgatetest.TokenOption{authgatetest.NotBefore(time.Now().Add(time.Hour))}, 401, verifiers.TokenNotYetValid},
				{"issued_in_future", []authgatetest.TokenOption{authgatetest.IssuedAt(time.Now().Add(time.Hour))}, 401, verifiers.TokenIssuedInFuture},
				{"other_audience", []authgatetest.TokenOption{authgatetest.Audience("https://other.authgatetest.example")}, 401, verifiers.TokenAudienceMismatch},
				{"audiences_with_ours", []authgatetest.TokenOption{authgatetest.Audience("https://other.authgatetest.example", iss.Audience())}, 200, ""},
				{"other_key", []authgatetest.TokenOption{authgatetest.OtherKey()}, 401, verifiers.TokenSignatureInvalid},
				{"unknown_key", []authgatetest.TokenOption{authgatetest.UnknownKey()}, 401, verifiers.TokenKeyUnknown},
				{"unknown_kid", []authgatetest.TokenOption{authgatetest.KeyID("nope")}, 401, verifiers.TokenKeyUnknown},
				{"without_jti", []authgatetest.TokenOption{authgatetest.Claim("jti", nil)}, 401, verifiers.TokenClaimMissing},
				{"id_token_claim", []authgatetest.TokenOption{authgatetest.Claim("nonce", "n-1")}, 401, verifiers.TokenIsIDToken},
				{"typ_jwt", []authgatetest.TokenOption{authgatetest.Type("JWT")}, 401, verifiers.TokenTypeMismatch},
				{"no_typ", []authgatetest.TokenOption{authgatetest.Type("")}, 401, verifiers.TokenTypeMismatch},
			}
			for _, tc := range cases {
				log.Reset()
				tok := iss.Token(t, tc.opts...)
				if got := send(tok); got != tc.status {
					t.Errorf("%s: status %d, want %d; log %s", tc.name, got, tc.status, log.String())
				}
				want := []string{string(tc.reason)}
				if tc.reason == "" {
					want = nil
				}
				if got := log.Reasons(t); !slices.Equal(got, want) {
					t.Errorf("%s: logged reasons %q, want %q", tc.name, got, want)
				}
			}
		})
	}
}

// TestIssuerRotation: a rotated key signs new tokens while the old one
// stays published; once retired, its tokens are refused as
// token_key_unknown after the verifier fetches the set again.
func TestIssuerRotation(t *testing.T) {
	t.Parallel()
	iss := authgatetest.NewIssuer(t, authgatetest.WithKeyID("old"))
	var log authgatetest.Log
	send := route(t, iss, bearer.JWKSURL(iss.JWKSURL()), &log)
	oldTok := iss.Token(t)
	fetched := iss.JWKSFetches()
	if kid := iss.Rotate(t, ""); kid != "key-2" || iss.KeyID() != kid {
		t.Fatalf("rotated to kid %q, KeyID %q; want key-2", kid, iss.KeyID())
	}
	newTok := iss.Token(t)
	time.Sleep(5 * time.Millisecond) // past WithUnknownKeyRefresh
	if a, b := send(oldTok), send(newTok); a != 200 || b != 200 {
		t.Fatalf("after Rotate: old token %d, new token %d; want both 200: %s", a, b, log.String())
	}
	if iss.JWKSFetches() <= fetched {
		t.Error("the new kid did not make the verifier fetch the set again")
	}
	iss.RetireOldKeys()
	if s := string(iss.JWKS()); strings.Contains(s, `"old"`) || !strings.Contains(s, `"key-2"`) {
		t.Errorf("JWKS after RetireOldKeys: %s", s)
	}
	// A verifier that fetches the set now no longer knows the old key.
	log.Reset()
	send = route(t, iss, bearer.JWKSURL(iss.JWKSURL()), &log)
	if got := send(oldTok); got != 401 || !slices.Equal(log.Reasons(t), []string{string(verifiers.TokenKeyUnknown)}) {
		t.Errorf("token of a retired key: %d %q", got, log.Reasons(t))
	}
	if got := send(newTok); got != 200 {
		t.Errorf("token of the current key after RetireOldKeys: %d", got)
	}
}

// TestIssuerStaticIdentifier: WithIdentifier names the issuer for a
// verifier that holds the keys as a static set.
func TestIssuerStaticIdentifier(t *testing.T) {
	t.Parallel()
	const id = "https://issuer.authgatetest.example"
	iss := authgatetest.NewIssuer(t, authgatetest.WithIdentifier(id), authgatetest.WithAudience("https://api.example.test"), authgatetest.WithKeyID("k1"))
	if iss.URL() != id || iss.Audience() != "https://api.example.test" || iss.KeyID() != "k1" {
		t.Fatalf("URL %q, Audience %q, KeyID %q", iss.URL(), iss.Audience(), iss.KeyID())
	}
	var log authgatetest.Log
	send := route(t, iss, bearer.JWKS(iss.JWKS()), &log)
	if got := send(iss.Token(t)); got != 200 {
		t.Fatalf("status %d: %s", got, log.String())
	}
	if n := iss.JWKSFetches(); n != 0 {
		t.Errorf("a static set was fetched %d times", n)
	}
}

// TestIssuerDiscovery checks the two metadata documents.
func TestIssuerDiscovery(t *testing.T) {
	t.Parallel()
	iss := authgatetest.NewIssuer(t)
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		resp, err := http.Get(iss.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || doc.Issuer != iss.URL() || doc.JWKSURI != iss.JWKSURL() || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %+v, %v, %s", path, doc, err, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/jwk-set+json" || iss.JWKSFetches() != 1 {
		t.Errorf("JWKS: Content-Type %q, fetches %d", ct, iss.JWKSFetches())
	}
	// The published set holds public keys only.
	if s := string(iss.JWKS()); strings.Contains(s, `"d"`) {
		t.Errorf("the JWK set holds private key material: %s", s)
	}
}

// TestIssuerRefusesWhatItCannotDo: an unknown algorithm and a duplicate
// kid fail the test rather than mint something else.
func TestIssuerRefusesWhatItCannotDo(t *testing.T) {
	t.Parallel()
	if msg := fatal(func(tb testing.TB) { authgatetest.NewIssuer(tb, authgatetest.WithAlgorithm("HS256")) }); !strings.Contains(msg, `algorithm "HS256" is not one of ES256, RS256, EdDSA`) {
		t.Errorf("HS256: %q", msg)
	}
	iss := authgatetest.NewIssuer(t, authgatetest.WithKeyID("k1"))
	if msg := fatal(func(tb testing.TB) { iss.Rotate(tb, "k1") }); !strings.Contains(msg, `already has a key with kid "k1"`) {
		t.Errorf("duplicate kid: %q", msg)
	}
}
