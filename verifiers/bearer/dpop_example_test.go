package bearer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/bearer"
)

// A DPoP client for the example: its P-256 key, the thumbprint its tokens
// are bound to (RFC 7638), and a function making one proof per request.
func exampleDPoPClient() (jkt string, proof func(method, url, token string) string) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	pub, _ := key.PublicKey.Bytes()
	x, y := b64(pub[1:33]), b64(pub[33:])
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	jkt = b64(sum[:])
	n := 0
	proof = func(method, url, token string) string {
		n++
		ath := sha256.Sum256([]byte(token))
		h, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "ES256",
			"jwk": map[string]string{"kty": "EC", "crv": "P-256", "x": x, "y": y}})
		c, _ := json.Marshal(map[string]any{"jti": fmt.Sprint("proof-", n), "htm": method, "htu": url,
			"iat": time.Now().Unix(), "ath": b64(ath[:])})
		input := b64(h) + "." + b64(c)
		d := sha256.Sum256([]byte(input))
		r, s, _ := ecdsa.Sign(rand.Reader, key, d[:])
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return input + "." + b64(sig)
	}
	return jkt, proof
}

// DPoP (RFC 9449) beside Bearer: the route lists the DPoP verifier and
// the Bearer verifier, so a 401 offers both challenges. A token bound to
// the client's key (cnf.jkt) is accepted with a fresh proof per request
// only: sent as Bearer, or with a proof used before, it is refused.
func ExampleWithDPoP() {
	jwks, mint := exampleIssuer()
	v, err := bearer.New(context.Background(), "https://api.example.com",
		[]bearer.Issuer{{URL: "https://login.example.com/", Keys: bearer.JWKS(jwks)}},
		bearer.WithDPoP(bearer.DPoPOptions{Algs: []string{"ES256", "EdDSA"}}))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	gate := middleware.New(middleware.WithLogger(zerolog.New(io.Discard)))
	h := v.DPoP().Nonces(gate.Require(v.DPoP(), v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "hello %s (%s)", id.Subject, id.Scheme)
	})))

	jkt, proof := exampleDPoPClient()
	c := claimsFor("https://api.example.com", time.Now().Add(time.Hour), "orders:read")
	c["cnf"] = map[string]any{"jkt": jkt}
	token := mint(c)
	const url = "https://api.example.com/orders"
	do := func(scheme, dpop string) {
		r := httptest.NewRequest("GET", url, nil)
		if scheme != "" {
			r.Header.Set("Authorization", scheme+" "+token)
		}
		if dpop != "" {
			r.Header.Set("DPoP", dpop)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			fmt.Println(w.Code, strings.Join(w.Header().Values("WWW-Authenticate"), " | "))
			return
		}
		fmt.Println(w.Code, w.Body)
	}
	do("", "")       // no credentials: both challenges
	do("Bearer", "") // a bound token sent as Bearer
	p := proof("GET", url, token)
	do("DPoP", p)                         // token and proof
	do("DPoP", p)                         // the same proof again
	do("DPoP", proof("POST", url, token)) // a proof for another method
	// Output:
	// 401 DPoP realm="api", algs="ES256 EdDSA" | Bearer realm="api"
	// 401 DPoP realm="api", algs="ES256 EdDSA" | Bearer realm="api", error="invalid_token", error_description="A DPoP-bound access token must be sent with the DPoP scheme."
	// 200 hello alice (DPoP)
	// 401 DPoP realm="api", algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof was already used." | Bearer realm="api"
	// 401 DPoP realm="api", algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof is for another method or URL." | Bearer realm="api"
}
