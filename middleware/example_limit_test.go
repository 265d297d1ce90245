package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/basic"
)

// Failed-attempt limiting: after 3 wrong passwords for one user from one
// address, that pair gets 429 (without a password hash being spent on
// it), while the same user from another address still gets in. Behind
// your own proxies, the client address comes from X-Forwarded-For.
func ExampleWithFailureLimit() {
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	users, _ := basic.NewMemoryStore(map[string]string{"admin": string(hash)})
	admins, _ := basic.New(users, basic.WithRealm("admin"))

	gate := middleware.New(
		middleware.WithLogger(zerolog.Nop()),
		middleware.WithFailureLimit(middleware.FailureLimit{
			PerIP:        20,               // any credentials, per client address
			PerPrincipal: 3,                // per user name and client address
			Window:       15 * time.Minute, // counted from the first failure
		}),
		// Our load balancers' subnet, and nothing else: a client inside a
		// trusted prefix would share the balancer's address.
		middleware.WithClientIPHeader("X-Forwarded-For", netip.MustParsePrefix("10.0.0.0/28")),
	)
	h := gate.Require(admins)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "welcome")
	}))

	try := func(client, password string) {
		r := httptest.NewRequest("GET", "/admin", nil)
		r.RemoteAddr = "10.0.0.2:443" // our load balancer
		r.Header.Set("X-Forwarded-For", client)
		r.SetBasicAuth("admin", password)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if ra := w.Header().Get("Retry-After"); ra != "" {
			fmt.Println(client, w.Code, "Retry-After:", ra)
			return
		}
		fmt.Println(client, w.Code)
	}
	for range 3 {
		try("203.0.113.7", "guess")
	}
	try("203.0.113.7", "correct horse")  // blocked: the pair failed 3 times
	try("198.51.100.4", "correct horse") // the real admin, elsewhere
	// Output:
	// 203.0.113.7 401
	// 203.0.113.7 401
	// 203.0.113.7 401
	// 203.0.113.7 429 Retry-After: 900
	// 198.51.100.4 200
}
