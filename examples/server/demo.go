package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
	"github.com/authgate/authgate/verifiers/basic"
	"github.com/authgate/authgate/verifiers/bearer"
)

const (
	demoIssuer   = "https://issuer.demo.authgate.test"
	demoAudience = "https://api.demo.authgate.test"
)

// scenario is one printed curl command and what it should produce.
type scenario struct {
	what   string
	status int
	reason string // logged reason, "" for success
	args   []string
}

// newDemoApp makes ephemeral credentials, builds the verifiers on them and
// prints the scenarios. Nothing printed here is ever logged per request.
func newDemoApp(cfg *config, logger zerolog.Logger, base string, stdout io.Writer) (*app, error) {
	// Bearer: an ephemeral ES256 key, published as a static JWK set.
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := jwk.Import(priv)
	if err != nil {
		return nil, err
	}
	_ = key.Set(jwk.KeyIDKey, "demo-1")
	_ = key.Set(jwk.AlgorithmKey, jwa.ES256())
	pub, err := key.PublicKey()
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	setJSON, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	bv, err := bearer.New(context.Background(), demoAudience,
		[]bearer.Issuer{{URL: demoIssuer, Keys: bearer.JWKS(setJSON)}},
		append([]bearer.Option{bearer.WithRealm("api"), bearer.WithLeeway(cfg.leeway), bearer.WithLogger(logger)}, cfg.obs.bearerOptions()...)...)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	mint := func(aud string, scope string, iat, exp time.Time) (string, error) {
		tok, err := jwt.NewBuilder().Issuer(demoIssuer).Subject("demo-client").Audience([]string{aud}).
			IssuedAt(iat).Expiration(exp).Claim("scope", scope).Claim("client_id", "demo-client").Build()
		if err != nil {
			return "", err
		}
		hdr := jws.NewHeaders()
		_ = hdr.Set(jws.TypeKey, "at+jwt")
		b, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), key, jws.WithProtectedHeaders(hdr)))
		return string(b), err
	}
	writer, err := mint(demoAudience, "orders:read orders:write", now, now.Add(time.Hour))
	if err != nil {
		return nil, err
	}
	reader, err := mint(demoAudience, "orders:read", now, now.Add(time.Hour))
	if err != nil {
		return nil, err
	}
	expired, err := mint(demoAudience, "orders:write", now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	otherAud, err := mint("https://billing.demo.authgate.test", "orders:write", now, now.Add(time.Hour))
	if err != nil {
		return nil, err
	}

	// API keys: one for this server's environment, one for the other.
	other := "test"
	if cfg.environment == "test" {
		other = "live"
	}
	live, err := apikey.Generate(apikey.DefaultPrefix, cfg.environment)
	if err != nil {
		return nil, err
	}
	wrongEnv, err := apikey.Generate(apikey.DefaultPrefix, other)
	if err != nil {
		return nil, err
	}
	store, err := apikey.NewMemoryStore(live.Record("reports-service", []string{"reports:read"}, time.Time{}))
	if err != nil {
		return nil, err
	}
	kv, err := apikey.New(store, apikey.WithEnvironment(cfg.environment))
	if err != nil {
		return nil, err
	}
	typo := []byte(live.Reveal())
	i := len(typo) - 10 // a character of the secret
	if typo[i] == 'x' {
		typo[i] = 'y'
	} else {
		typo[i] = 'x'
	}

	// Basic: one user with a random password.
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	password := base64.RawURLEncoding.EncodeToString(pw)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	users, err := basic.NewMemoryStore(map[string]string{"admin": string(hash)})
	if err != nil {
		return nil, err
	}
	uv, err := basic.New(users, basic.WithRealm("admin"))
	if err != nil {
		return nil, err
	}

	gopts, closeGate, err := gateOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	a := &app{logger: logger, gate: middleware.New(gopts...), apiKey: kv, basic: uv, bearer: bv, closers: []func(){closeGate}}
	h := func(name, value string) []string { return []string{"-H", name + ": " + value} }
	bearerH := func(tok string) []string { return h("Authorization", "Bearer "+tok) }
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	scenarios := []scenario{
		{"API key accepted", 200, "", cat([]string{base + "/v1/reports"}, h("X-API-Key", live.Reveal()))},
		{"Basic user accepted", 200, "", []string{"-u", "admin:" + password, base + "/admin/stats"}},
		{"Bearer token accepted", 200, "", cat([]string{base + "/v1/me"}, bearerH(writer))},
		{"Bearer token with scope orders:write places an order", 201, "", cat([]string{"-X", "POST", base + "/v1/orders"}, bearerH(writer))},
		{"anonymous catalog, not personalised", 200, "", []string{base + "/v1/catalog"}},
		{"no credentials: both challenges, Bearer first", 401, "credentials_missing", []string{base + "/v1/me"}},
		{"wrong scheme: Basic on an API key route", 401, "scheme_not_accepted", []string{"-u", "admin:" + password, base + "/v1/reports"}},
		{"expired token: the log says when and how long ago", 401, "token_expired", cat([]string{base + "/v1/me"}, bearerH(expired))},
		{"token for another audience: the log shows both", 401, "token_audience_mismatch", cat([]string{base + "/v1/me"}, bearerH(otherAud))},
		{"token without scope orders:write", 403, "scope_insufficient", cat([]string{"-X", "POST", base + "/v1/orders"}, bearerH(reader))},
		{"API key with a typo: caught by its checksum", 401, "apikey_checksum_invalid", cat([]string{base + "/v1/reports"}, h("X-API-Key", string(typo)))},
		{"a " + other + " key sent to this " + cfg.environment + " server", 401, "apikey_wrong_environment", cat([]string{base + "/v1/reports"}, h("X-API-Key", wrongEnv.Reveal()))},
		{"wrong password", 401, "password_mismatch", []string{"-u", "admin:not-the-password", base + "/admin/stats"}},
		{"bad credentials on the catalog are still rejected", 401, "token_expired", cat([]string{base + "/v1/catalog"}, bearerH(expired))},
	}
	printScenarios(stdout, base, scenarios)
	return a, nil
}

func printScenarios(w io.Writer, base string, ss []scenario) {
	fmt.Fprintf(w, "authgate demo on %s: demo credentials are printed here once and never logged.\n", base)
	fmt.Fprintf(w, "Each command's comment gives the status and the logged reason to expect; watch the log on stderr.\n\n")
	for _, s := range ss {
		expect := fmt.Sprintf("%d", s.status)
		if s.reason != "" {
			expect += " " + s.reason
		}
		fmt.Fprintf(w, "# %s -> expect %s\ncurl -si", s.what, expect)
		for _, a := range s.args {
			fmt.Fprintf(w, " %s", shellQuote(a))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}
