package benchmarks

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/basic"
)

const basicPassword = "correct horse battery staple"

// basicUsers is testSub with its own bcrypt hash at cost 10
// (bcrypt.DefaultCost) and 999 other users. The others share one cost-10
// hash: what they hold does not change the cost of looking a user up, and
// 999 more bcrypt runs would only slow the set-up down.
type basicUsers struct {
	hash, otherHash string
}

var getBasicUsers = sync.OnceValue(func() *basicUsers {
	h, err := bcrypt.GenerateFromPassword([]byte(basicPassword), bcrypt.DefaultCost)
	if err != nil {
		panic(err)
	}
	o, err := bcrypt.GenerateFromPassword([]byte("another password"), bcrypt.DefaultCost)
	if err != nil {
		panic(err)
	}
	return &basicUsers{hash: string(h), otherHash: string(o)}
})

// usersMap is n users, testSub first.
func usersMap(n int) map[string]string {
	u := getBasicUsers()
	m := map[string]string{testSub: u.hash}
	for i := 1; i < n; i++ {
		m[fmt.Sprintf("user-%05d", i)] = u.otherHash
	}
	return m
}

// authgateBasic is authgate's Basic verifier over n users in memory, on a
// chi route.
func authgateBasic(tb testing.TB, n int, opts ...basic.Option) http.Handler {
	return authgateBasicGate(tb, newGate(), n, opts...)
}

// authgateBasicGate is authgateBasic behind gate g.
func authgateBasicGate(tb testing.TB, g *middleware.Gate, n int, opts ...basic.Option) http.Handler {
	users, err := basic.NewMemoryStore(usersMap(n))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := basic.New(users, append([]basic.Option{basic.WithRealm("admin")}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return chiRoute(g.Require(v), authgateHandler)
}

// echoBasic is echo's basic-auth middleware on echo's router with a
// validator over the same bcrypt hashes. echo has no cache: every request
// runs bcrypt, and an unknown user is refused at once, which tells an
// attacker by the timing which user names exist.
func echoBasic(n int) http.Handler {
	hashes := map[string][]byte{}
	for u, h := range usersMap(n) {
		hashes[u] = []byte(h)
	}
	e := echo.New()
	e.GET("/x", func(c echo.Context) error {
		if c.Get("subject") != testSub {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusNoContent)
	}, echomw.BasicAuth(func(user, pass string, c echo.Context) (bool, error) {
		h, ok := hashes[user]
		if !ok || bcrypt.CompareHashAndPassword(h, []byte(pass)) != nil {
			return false, nil
		}
		c.Set("subject", user)
		return true, nil
	}))
	return e
}

func basicRequest(user, pass string) *http.Request {
	return newRequest("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
}

// BenchmarkBasic: HTTP Basic with bcrypt at cost 10. authgate's
// success_cached is a cache hit (the same credentials seen before);
// success_uncached runs bcrypt on every request (authgate with its cache
// off; echo always). wrong_password and unknown_user are never cached.
// With 1,000 users only the cache hit is measured again: everything else
// is bcrypt, whose tens of milliseconds would hide any lookup cost.
func BenchmarkBasic(b *testing.B) {
	good := basicRequest(testSub, basicPassword)
	wrong := basicRequest(testSub, "wrong horse battery staple")
	unknown := basicRequest("mallory", basicPassword)
	type row struct {
		name string
		h    http.Handler
		req  *http.Request
		want int
	}
	ag, agNoCache, ec := authgateBasic(b, 1), authgateBasic(b, 1, basic.WithCache(0, 0)), echoBasic(1)
	rows := []row{
		{"users=1/path=success_cached/impl=authgate", ag, good, http.StatusNoContent},
		{"users=1/path=success_uncached/impl=authgate", agNoCache, good, http.StatusNoContent},
		{"users=1/path=success_uncached/impl=echo-basicauth", ec, good, http.StatusNoContent},
		{"users=1/path=wrong_password/impl=authgate", ag, wrong, http.StatusUnauthorized},
		{"users=1/path=wrong_password/impl=echo-basicauth", ec, wrong, http.StatusUnauthorized},
		{"users=1/path=unknown_user/impl=authgate", ag, unknown, http.StatusUnauthorized},
		{"users=1/path=unknown_user/impl=echo-basicauth", ec, unknown, http.StatusUnauthorized},
		{"users=1000/path=success_cached/impl=authgate", authgateBasic(b, 1000), good, http.StatusNoContent},
	}
	for _, r := range rows {
		b.Run(r.name, func(b *testing.B) { serve(b, r.h, r.req, r.want) })
	}
	// The floor of the bcrypt rows: one bcrypt check at cost 10, alone.
	b.Run("users=1/path=bcrypt/impl=floor-bcrypt", func(b *testing.B) {
		h := []byte(getBasicUsers().hash)
		b.ReportAllocs()
		for b.Loop() {
			if err := bcrypt.CompareHashAndPassword(h, []byte(basicPassword)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
