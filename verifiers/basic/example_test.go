package basic_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/basic"
)

// show sends GET target with an optional Basic user:password and prints
// the status, the challenges and the body.
func show(h http.Handler, target string, userpass string) {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if userpass != "" {
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(userpass)))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Values("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
}

// mustHash hashes a password the way `htpasswd -B` does (bcrypt). Real
// deployments use bcrypt.DefaultCost (10) or more; the examples use the
// minimum cost to run fast.
func mustHash(password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		log.Fatal(err)
	}
	return string(h)
}

// Per-route configuration on an http.ServeMux with Go 1.22 patterns: the
// admin pages need Basic credentials, the health check does not.
func ExampleNew() {
	users, err := basic.NewMemoryStore(map[string]string{"admin": mustHash("s3cret")})
	if err != nil {
		log.Fatal(err)
	}
	v, err := basic.New(users, basic.WithRealm("admin"))
	if err != nil {
		log.Fatal(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /admin/{page}", gate.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprintf(w, "%s sees %s", id.Subject, r.PathValue("page"))
	})))

	show(mux, "/healthz", "")
	show(mux, "/admin/stats", "")
	show(mux, "/admin/stats", "admin:s3cret")
	show(mux, "/admin/stats", "admin:guess")
	// Output:
	// 200 [] ok
	// 401 [Basic realm="admin", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}
	// 200 [] admin sees stats
	// 401 [Basic realm="admin", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The credentials are invalid.","reason":"credentials_invalid"}
}

// Per-route configuration in chi with users from an htpasswd file: only
// /metrics needs credentials.
func ExampleOpenFileStore() {
	dir, _ := os.MkdirTemp("", "htpasswd")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.htpasswd")
	_ = os.WriteFile(path, []byte("# scrapers\nprometheus:"+mustHash("scrape-me")+"\n"), 0o600)

	users, err := basic.OpenFileStore(path)
	if err != nil {
		log.Fatal(err) // names the file and line of a bad entry
	}
	v, err := basic.New(users, basic.WithRealm("metrics"))
	if err != nil {
		log.Fatal(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "home") })
	r.With(gate.Require(v)).Get("/metrics", func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprint(w, "metrics for ", id.Subject)
	})

	show(r, "/", "")
	show(r, "/metrics", "prometheus:scrape-me")
	show(r, "/metrics", "")
	// Output:
	// 200 [] home
	// 200 [] metrics for prometheus
	// 401 [Basic realm="metrics", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}
}

// Insecure hash formats are refused when the file is loaded, with the file
// and line in the error.
func ExampleOpenFileStore_insecure() {
	dir, _ := os.MkdirTemp("", "htpasswd")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.htpasswd")
	_ = os.WriteFile(path, []byte("alice:"+mustHash("pw")+"\nbob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n"), 0o600)

	_, err := basic.OpenFileStore(path)
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// Output:
	// basic: DIR/users.htpasswd:2: user 'bob': insecure password hash format: MD5 ($apr1$); re-hash the password with bcrypt (htpasswd -B) or argon2id
}

// OpenFileStore warns, through the logger given with WithFileLogger, about
// users whose hashes are weak or cheaper than the file's strongest; the
// file still loads.
func ExampleWithFileLogger() {
	dir, _ := os.MkdirTemp("", "htpasswd")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.htpasswd")
	_ = os.WriteFile(path, []byte("alice:"+mustHash("pw")+"\n"), 0o600) // bcrypt cost 4

	var buf bytes.Buffer
	users, err := basic.OpenFileStore(path, basic.WithFileLogger(zerolog.New(&buf)))
	if err != nil {
		log.Fatal(err)
	}
	var warning struct {
		Level     string   `json:"level"`
		WeakUsers []string `json:"weak_users"`
	}
	_ = json.Unmarshal(buf.Bytes(), &warning)
	fmt.Println(users.Len(), warning.Level, warning.WeakUsers)
	// Output:
	// 1 warn [alice (bcrypt cost 4)]
}

// Reload the file on SIGHUP. A file with an error is refused and the old
// users stay in effect:
//
//	hup := make(chan os.Signal, 1)
//	signal.Notify(hup, syscall.SIGHUP)
//	go func() {
//		for range hup {
//			if err := users.Reload(); err != nil {
//				logger.Error().Err(err).Msg("htpasswd reload failed; keeping the old users")
//			}
//		}
//	}()
func ExampleFileStore_Reload() {
	dir, _ := os.MkdirTemp("", "htpasswd")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "users.htpasswd")
	_ = os.WriteFile(path, []byte("alice:"+mustHash("old")+"\n"), 0o600)
	users, err := basic.OpenFileStore(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(users.Len(), "user")

	_ = os.WriteFile(path, []byte("alice:"+mustHash("new")+"\nbob:"+mustHash("pw")+"\n"), 0o600)
	fmt.Println(users.Reload(), users.Len(), "users")

	_ = os.WriteFile(path, []byte("carol:plain-text\n"), 0o600)
	fmt.Println(users.Reload() != nil, users.Len(), "users")
	// Output:
	// 1 user
	// <nil> 2 users
	// true 2 users
}

// Users from your own database: the function returns the stored hash, or
// basic.ErrNotFound. Any other error answers 503.
func ExampleNewFuncStore() {
	db := map[string]string{"carol": mustHash("hunter2")} // stands in for a users table

	users, err := basic.NewFuncStore(func(ctx context.Context, user string) (string, error) {
		h, ok := db[user] // SELECT password_hash FROM users WHERE name = $1
		if !ok {
			return "", basic.ErrNotFound
		}
		return h, nil
	}, db["carol"]) // a hash like those in the database sets the decoy's cost
	if err != nil {
		log.Fatal(err)
	}
	v, _ := basic.New(users)
	h := middleware.New(middleware.WithLogger(zerolog.Nop())).Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "welcome")
	}))
	show(h, "/", "carol:hunter2")
	show(h, "/", "dave:hunter2")
	// Output:
	// 200 [] welcome
	// 401 [Basic realm="restricted", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The credentials are invalid.","reason":"credentials_invalid"}
}

// The client gets the same answer for an unknown user and a wrong
// password; the server log tells them apart and names the user, never the
// password.
func Example_logging() {
	users, _ := basic.NewMemoryStore(map[string]string{"alice": mustHash("right")})
	v, _ := basic.New(users)
	gate := middleware.New(middleware.WithLogger(zerolog.New(os.Stdout)))
	h := gate.Require(v)(http.NotFoundHandler())

	show(h, "/", "mallory:right")
	show(h, "/", "alice:wrong")
	// Output:
	// {"level":"warn","reason":"user_unknown","status":401,"scheme":"Basic","method":"GET","path":"/","route":"","remote_ip":"192.0.2.1","request_id":"","detail":"no such user in in-memory user list","user":"mallory","message":"authgate: request refused"}
	// 401 [Basic realm="restricted", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The credentials are invalid.","reason":"credentials_invalid"}
	// {"level":"warn","reason":"password_mismatch","status":401,"scheme":"Basic","method":"GET","path":"/","route":"","remote_ip":"192.0.2.1","request_id":"","detail":"the password does not match the user's stored bcrypt hash (cost 4) in in-memory user list","user":"alice","message":"authgate: request refused"}
	// 401 [Basic realm="restricted", charset="UTF-8"] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The credentials are invalid.","reason":"credentials_invalid"}
}
