package authgatetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// DefaultAudience is the audience of an Issuer's tokens unless WithAudience
// says otherwise. Give it (or Issuer.Audience) to bearer.New as the
// resource's audience.
const DefaultAudience = "https://api.authgatetest.example"

// Issuer is a token issuer on loopback for tests: an httptest.Server that
// serves an OpenID Connect discovery document at
// /.well-known/openid-configuration, the same document at RFC 8414's
// /.well-known/oauth-authorization-server, and its public keys as a JWK set
// at /jwks. It mints signed access tokens with Token. Make one with
// NewIssuer; it is closed when the test ends. It is safe for concurrent use.
type Issuer struct {
	srv      *httptest.Server
	id       string // the issuer identifier: iss, and the discovery's issuer
	audience string
	alg      string
	fetches  atomic.Int64

	mu        sync.Mutex
	keys      []*signingKey // published; the last one signs
	generated int           // keys made so far, for generated kids
	outsider  *signingKey   // made on first use: signs OtherKey and UnknownKey tokens
}

// signingKey is one key of an Issuer.
type signingKey struct {
	kid    string
	signer crypto.Signer
	public jwk.Key
}

// IssuerOption configures an Issuer.
type IssuerOption func(*issuerConfig)

type issuerConfig struct {
	alg, audience, kid, id string
}

// WithAlgorithm sets the signing algorithm of the issuer's keys: "ES256"
// (the default, a P-256 key), "RS256" (a 2048-bit RSA key) or "EdDSA" (an
// Ed25519 key).
func WithAlgorithm(alg string) IssuerOption { return func(c *issuerConfig) { c.alg = alg } }

// WithAudience sets the aud of the issuer's tokens (DefaultAudience by
// default): the audience your bearer.Verifier is configured with.
func WithAudience(aud string) IssuerOption { return func(c *issuerConfig) { c.audience = aud } }

// WithKeyID sets the kid of the issuer's first key ("key-1" by default).
// Two issuers with the same kid stand for two environments whose keys
// share an id, as they often do.
func WithKeyID(kid string) IssuerOption { return func(c *issuerConfig) { c.kid = kid } }

// WithIdentifier sets the issuer identifier, the iss of the tokens and the
// issuer of the discovery document, instead of the server's URL: for a
// verifier configured with a fixed issuer name and the keys as a static
// set (Issuer.JWKS) or a set URL (Issuer.JWKSURL). Discovery of such an
// issuer does not work: there is no server at the identifier.
func WithIdentifier(iss string) IssuerOption { return func(c *issuerConfig) { c.id = iss } }

// NewIssuer starts an Issuer with one key, configured by opts, and closes
// it when t ends (t.Cleanup). It fails t on an unknown algorithm.
func NewIssuer(t testing.TB, opts ...IssuerOption) *Issuer {
	t.Helper()
	c := issuerConfig{alg: "ES256", audience: DefaultAudience}
	for _, o := range opts {
		o(&c)
	}
	if _, err := algorithm(c.alg); err != nil {
		t.Fatal(err)
	}
	i := &Issuer{alg: c.alg, audience: c.audience}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveMetadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", i.serveMetadata)
	mux.HandleFunc("GET /jwks", i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	t.Cleanup(i.srv.Close)
	i.id = c.id
	if i.id == "" {
		i.id = i.srv.URL
	}
	i.Rotate(t, c.kid)
	return i
}

// URL returns the issuer identifier: the server's URL (http://127.0.0.1:port,
// without a trailing slash), or the one given with WithIdentifier. It is
// the iss of the tokens; give it to bearer.New as the Issuer's URL.
func (i *Issuer) URL() string { return i.id }

// JWKSURL returns the URL of the issuer's JWK set, for bearer.JWKSURL.
func (i *Issuer) JWKSURL() string { return i.srv.URL + "/jwks" }

// Audience returns the aud of the issuer's tokens.
func (i *Issuer) Audience() string { return i.audience }

// Algorithm returns the alg of the issuer's tokens, such as "ES256".
func (i *Issuer) Algorithm() string { return i.alg }

// KeyID returns the kid of the key that signs the issuer's tokens now.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].kid
}

// JWKSFetches returns how many times the JWK set was requested: to check
// that a verifier caches it, or fetched it again after a rotation.
func (i *Issuer) JWKSFetches() int { return int(i.fetches.Load()) }

// JWKS returns the public JWK set the issuer publishes now, as JSON: for
// bearer.JWKS, or a key-set file.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	defer i.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range i.keys {
		_ = set.AddKey(k.public) // distinct kids, by construction
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("authgatetest: marshalling a JWK set: " + err.Error()) // jwx marshals the keys it imported
	}
	return b
}

// Rotate adds a new key with kid (a generated one, "key-N", when kid is
// empty) that signs the issuer's tokens from now on. The previous keys stay
// in the JWK set, as an issuer keeps publishing them while their tokens are
// in use; RetireOldKeys removes them. It returns the new key's kid, and
// fails t if the issuer already has a key with that kid.
func (i *Issuer) Rotate(t testing.TB, kid string) string {
	t.Helper()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.generated++
	if kid == "" {
		kid = fmt.Sprintf("key-%d", i.generated)
	}
	for _, k := range i.keys {
		if k.kid == kid {
			t.Fatalf("authgatetest: the issuer already has a key with kid %q", kid)
		}
	}
	k, err := newSigningKey(i.alg, kid)
	if err != nil {
		t.Fatal(err)
	}
	i.keys = append(i.keys, k)
	return kid
}

// RetireOldKeys removes every key but the one that signs now from the JWK
// set: tokens signed by the others are then signed by a key the set does
// not hold (token_key_unknown once a verifier has fetched the set again).
func (i *Issuer) RetireOldKeys() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = i.keys[len(i.keys)-1:]
}

func (i *Issuer) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.id,
		"jwks_uri":                              i.JWKSURL(),
		"id_token_signing_alg_values_supported": []string{i.alg},
	})
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.fetches.Add(1)
	w.Header().Set("Content-Type", "application/jwk-set+json") // RFC 7517 §8.5.1
	_, _ = w.Write(i.JWKS())
}

// current returns the signing key.
func (i *Issuer) current() *signingKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1]
}

// outsiderKey returns the issuer's unpublished key, made on first use.
func (i *Issuer) outsiderKey() (*signingKey, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.outsider == nil {
		k, err := newSigningKey(i.alg, "unpublished")
		if err != nil {
			return nil, err
		}
		i.outsider = k
	}
	return i.outsider, nil
}

// algorithm returns the jwa algorithm named alg, one of those NewIssuer
// supports.
func algorithm(alg string) (jwa.SignatureAlgorithm, error) {
	switch alg {
	case "ES256":
		return jwa.ES256(), nil
	case "RS256":
		return jwa.RS256(), nil
	case "EdDSA":
		return jwa.EdDSA(), nil
	}
	return jwa.SignatureAlgorithm{}, fmt.Errorf("authgatetest: algorithm %q is not one of ES256, RS256, EdDSA", alg)
}

// newSigningKey generates a key for alg and its public JWK, with kid, alg
// and use "sig".
func newSigningKey(alg, kid string) (*signingKey, error) {
	var signer crypto.Signer
	var err error
	switch alg {
	case "ES256":
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, signer, err = ed25519.GenerateKey(rand.Reader)
	default:
		_, err = algorithm(alg)
	}
	if err != nil {
		return nil, fmt.Errorf("authgatetest: generating an %s key: %w", alg, err)
	}
	a, _ := algorithm(alg)
	pub, err := jwk.Import(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("authgatetest: importing an %s key: %w", alg, err)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: a, jwk.KeyUsageKey: "sig"} {
		if err := pub.Set(name, v); err != nil {
			return nil, fmt.Errorf("authgatetest: setting %s of a JWK: %w", name, err)
		}
	}
	return &signingKey{kid: kid, signer: signer, public: pub}, nil
}
