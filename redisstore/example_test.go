package redisstore_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/redisstore"
	"github.com/authgate/authgate/verifiers/basic"
)

// Every instance of a service gives its gate a FailureStore on the same
// Redis with the same secret: a client's failed attempts then count
// against one budget whichever instance they reach. With Redis down the
// store counts locally, so the example prints the same either way.
func ExampleNewFailureStore() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true, // required: the store bounds each call by its context
	})
	defer rdb.Close()
	// In production: 32 random bytes made once, read from a secret file,
	// the same on every instance.
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	failures, err := redisstore.NewFailureStore(rdb, secret, redisstore.WithPrefix("myapp:fail:"),
		// Each run of this example makes a new secret, which the store
		// would report as another fleet's under the same prefix.
		redisstore.WithLogger(zerolog.Nop()))
	if err != nil {
		log.Fatal(err)
	}
	gate := middleware.New(
		middleware.WithFailureLimit(middleware.FailureLimit{PerIP: 20, PerPrincipal: 3, Window: 10 * time.Minute}),
		middleware.WithFailureStore(failures),
		middleware.WithLogger(zerolog.Nop()),
	)

	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	accounts, _ := basic.NewMemoryStore(map[string]string{"alice": string(hash)})
	users, err := basic.New(accounts)
	if err != nil {
		log.Fatal(err)
	}
	h := gate.Require(users)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))

	for _, pw := range []string{"guess1", "guess2", "guess3", "correct horse"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "203.0.113.9:5555"
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:"+pw)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}
	// Output:
	// 401
	// 401
	// 401
	// 429
}
