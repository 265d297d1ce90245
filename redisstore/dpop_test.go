package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgate/authgate/redisstore"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/bearer"
)

// ReplayStore is the bearer verifier's ReplayStore.
var _ bearer.ReplayStore = (*redisstore.ReplayStore)(nil)

var b64 = base64.RawURLEncoding.EncodeToString

// es256 signs a compact JWS with key.
func es256(key *ecdsa.PrivateKey, hdr, claims map[string]any) string {
	h, _ := json.Marshal(hdr)
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	d := sha256.Sum256([]byte(in))
	r, s, _ := ecdsa.Sign(rand.Reader, key, d[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

func publicJWK(key *ecdsa.PrivateKey) map[string]any {
	p, _ := key.PublicKey.Bytes()
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(p[1:33]), "y": b64(p[33:])}
}

// TestDPoPReplayAcrossInstances: two verifiers (two instances) share one
// Redis replay store; a proof accepted by one is a replay at the other,
// and with Redis cut the verifier answers 503, never a pass.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	px := newProxy(t)
	issuerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ij := publicJWK(issuerKey)
	ij["kid"], ij["alg"] = "k1", "ES256"
	jwks, _ := json.Marshal(map[string]any{"keys": []any{ij}})
	cj := publicJWK(clientKey)
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + cj["x"].(string) + `","y":"` + cj["y"].(string) + `"}`))
	now := time.Now()
	token := es256(issuerKey, map[string]any{"alg": "ES256", "kid": "k1"}, map[string]any{
		"iss": "https://login.example.com/", "aud": "https://api.example.com", "sub": "alice",
		"exp": now.Add(time.Hour).Unix(), "cnf": map[string]any{"jkt": b64(sum[:])},
	})
	ath := sha256.Sum256([]byte(token))
	proof := func(jti string) string {
		return es256(clientKey, map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": cj}, map[string]any{
			"jti": jti, "htm": "GET", "htu": "https://api.example.com/orders", "iat": time.Now().Unix(), "ath": b64(ath[:]),
		})
	}
	instance := func(store bearer.ReplayStore) *bearer.DPoPVerifier {
		v, err := bearer.New(context.Background(), "https://api.example.com",
			[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}},
			bearer.WithDPoP(bearer.DPoPOptions{Replay: store}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		return v.DPoP()
	}
	a := instance(d.replayStore(t, newClient(t, testAddr())))
	b := instance(d.replayStore(t, newClient(t, testAddr())))
	cut := instance(d.replayStore(t, newClient(t, px.Addr())))
	verify := func(v *bearer.DPoPVerifier, p string) error {
		r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", p)
		_, err := v.Verify(r)
		return err
	}
	p := proof("jti-1")
	if err := verify(a, p); err != nil {
		t.Fatalf("instance a: %v", err)
	}
	var rej *verifiers.Rejection
	if err := verify(b, p); !errors.As(err, &rej) || rej.Reason != verifiers.DPoPProofReplayed {
		t.Fatalf("the same proof at instance b: %v, want dpop_proof_replayed", err)
	}
	if err := verify(b, proof("jti-2")); err != nil {
		t.Fatalf("a fresh proof at b: %v", err)
	}
	px.Cut()
	if err := verify(cut, proof("jti-3")); !errors.Is(err, verifiers.ErrUnavailable) || !errors.Is(err, redisstore.ErrReplayStoreUnavailable) {
		t.Fatalf("Redis cut: %v, want an UnavailableError (503)", err)
	}
}
