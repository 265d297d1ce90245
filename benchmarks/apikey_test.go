package benchmarks

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// apiKeys holds 10,000 generated keys: keys[0] belongs to testSub and is
// the one sent; unknown is well formed but in no store.
type apiKeys struct {
	keys    []apikey.Key
	unknown apikey.Key
}

var getAPIKeys = sync.OnceValue(func() *apiKeys {
	k := &apiKeys{}
	for range 10000 {
		key, err := apikey.Generate(apikey.DefaultPrefix, "live")
		if err != nil {
			panic(err)
		}
		k.keys = append(k.keys, key)
	}
	var err error
	if k.unknown, err = apikey.Generate(apikey.DefaultPrefix, "live"); err != nil {
		panic(err)
	}
	return k
})

func subjectOf(i int) string {
	if i == 0 {
		return testSub
	}
	return fmt.Sprintf("service-%d", i)
}

// authgateAPIKey is authgate's API key verifier over n keys in a
// MemoryStore, on a chi route.
func authgateAPIKey(tb testing.TB, n int) http.Handler { return authgateAPIKeyGate(tb, newGate(), n) }

// authgateAPIKeyGate is authgateAPIKey behind gate g.
func authgateAPIKeyGate(tb testing.TB, g *middleware.Gate, n int) http.Handler {
	ks := getAPIKeys()
	recs := make([]*apikey.Record, n)
	for i := range n {
		recs[i] = ks.keys[i].Record(subjectOf(i), []string{"reports:read"}, time.Time{})
	}
	store, err := apikey.NewMemoryStore(recs...)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		tb.Fatal(err)
	}
	return chiRoute(g.Require(v), authgateHandler)
}

// echoKeyAuth is echo's key-auth middleware on echo's router, with a
// validator as a careful user writes it for many keys: keys stored as
// their SHA-256, looked up in a map (no plaintext key kept, no
// comparison that leaks timing).
func echoKeyAuth(n int) http.Handler { return echoKeyAuthCarry(n, true) }

// echoKeyAuthCarry is echoKeyAuth; without carry, its validator does not
// hand the subject on (no c.Set) and the handler does not look for it
// (BenchmarkPairedCarry pairs the two).
func echoKeyAuthCarry(n int, carry bool) http.Handler {
	byHash := keyHashes(n)
	e := echo.New()
	e.GET("/x", func(c echo.Context) error {
		if carry && c.Get("subject") != testSub {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusNoContent)
	}, echomw.KeyAuthWithConfig(echomw.KeyAuthConfig{
		KeyLookup: "header:X-API-Key",
		Validator: func(key string, c echo.Context) (bool, error) {
			sub, ok := byHash[sha256.Sum256([]byte(key))]
			if ok && carry {
				c.Set("subject", sub)
			}
			return ok, nil
		},
	}))
	return e
}

// subjectKey is the context key of netHTTPKeyAuth's subject.
type subjectKey struct{}

// keyHashes maps the SHA-256 of the first n keys to their subjects, as
// echoKeyAuth's validator keeps them.
func keyHashes(n int) map[[sha256.Size]byte]string {
	ks := getAPIKeys()
	byHash := make(map[[sha256.Size]byte]string, n)
	for i := range n {
		byHash[sha256.Sum256([]byte(ks.keys[i].Reveal()))] = subjectOf(i)
	}
	return byHash
}

// netHTTPKeyAuth is echoKeyAuth's key check written as plain net/http
// middleware on chi, as a careful user writes it: the header read by its
// canonical name (as echo's extractor and authgate read it), the same
// SHA-256 map lookup, a bare 401 for a missing or unknown key. With
// carry, it hands the subject to the handler the net/http way, a context
// value on a copy of the request (context.WithValue, r.WithContext), as
// authgate's gate does too, and the handler checks it as echoKeyAuth's
// does. Without carry it lets the request through unchanged and passes
// nothing on (BenchmarkPairedCarry pairs the two).
func netHTTPKeyAuth(n int, carry bool) http.Handler {
	byHash := keyHashes(n)
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := r.Header["X-Api-Key"]
			if len(v) == 0 {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			sub, ok := byHash[sha256.Sum256([]byte(v[0]))]
			if !ok {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if carry {
				r = r.WithContext(context.WithValue(r.Context(), subjectKey{}, sub))
			}
			next.ServeHTTP(w, r)
		})
	}
	return chiRoute(mw, func(w http.ResponseWriter, r *http.Request) {
		if carry && r.Context().Value(subjectKey{}) != testSub {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// echoCheck is echoKeyAuth's check as an authgate verifier: the key from
// X-API-Key, its SHA-256 looked up in a map, an identity made beforehand.
// Behind authgate's gate, it leaves the gate's own part of a success: the
// difference with the API key verifier is that verifier's (format,
// checksum, record checks).
type echoCheck map[[sha256.Size]byte]*verifiers.Identity

func newEchoCheck(n int) echoCheck {
	c := make(echoCheck, n)
	for h, sub := range keyHashes(n) {
		c[h] = &verifiers.Identity{Subject: sub, Scheme: verifiers.SchemeAPIKey, Source: verifiers.Source{In: verifiers.InHeader, Name: "X-API-Key"}}
	}
	return c
}

func (c echoCheck) Challenge() challenge.Challenge { return challenge.Challenge{Scheme: "APIKey"} }

func (c echoCheck) Verify(r *http.Request) (*verifiers.Identity, error) {
	v := r.Header["X-Api-Key"]
	if len(v) == 0 {
		return nil, verifiers.ErrNoCredentials
	}
	id, ok := c[sha256.Sum256([]byte(v[0]))]
	if !ok {
		return nil, verifiers.Reject(verifiers.APIKeyUnknown, "the key is not known")
	}
	return id, nil
}

// BenchmarkAPIKey: an API key in X-API-Key, with 1 and 10,000 keys known,
// through authgate on chi and echo's key-auth on echo. Paths: the right
// key, a well-formed key that is not known, and no key at all (echo
// answers 400 to that, authgate 401 with its challenge).
func BenchmarkAPIKey(b *testing.B) {
	ks := getAPIKeys()
	for _, n := range []int{1, 10000} {
		impls := []struct {
			name    string
			h       http.Handler
			missing int
		}{
			{"authgate", authgateAPIKey(b, n), http.StatusUnauthorized},
			{"echo-keyauth", echoKeyAuth(n), http.StatusBadRequest},
		}
		for _, p := range []struct {
			name string
			req  func() *http.Request
		}{
			{"success", func() *http.Request { return newRequest("X-API-Key", ks.keys[0].Reveal()) }},
			{"unknown", func() *http.Request { return newRequest("X-API-Key", ks.unknown.Reveal()) }},
			{"missing", func() *http.Request { return newRequest("", "") }},
		} {
			for _, im := range impls {
				want := http.StatusNoContent
				switch p.name {
				case "unknown":
					want = http.StatusUnauthorized
				case "missing":
					want = im.missing
				}
				b.Run(fmt.Sprintf("keys=%d/path=%s/impl=%s", n, p.name, im.name), func(b *testing.B) {
					serve(b, im.h, p.req(), want)
				})
			}
		}
	}
}
