package apikey_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers/apikey"
)

// Generating a key: show Reveal's value to the key's owner once, and
// store only the line FormatFileLine writes, which holds a hash.
func ExampleGenerate() {
	k, err := apikey.Generate("ak", "live")
	if err != nil {
		panic(err)
	}
	line, err := apikey.FormatFileLine(k.Record("billing", []string{"invoices:read"}, time.Time{}))
	if err != nil {
		panic(err)
	}
	key := k.Reveal() // print this once, for the key's owner; never log it
	fields := strings.Fields(line)

	fmt.Println("key length:", len(key), "starts with ak_live_:", strings.HasPrefix(key, "ak_live_"))
	fmt.Println("safe to log:", k.String() == "ak_live_"+k.ID()+"_[redacted]")
	fmt.Println("file line fields:", len(fields), "id first:", fields[0] == k.ID(), "secret absent:", !strings.Contains(line, key[21:]))
	// Output:
	// key length: 49 starts with ak_live_: true
	// safe to log: true
	// file line fields: 8 id first: true secret absent: true
}

// A key file line, written for a record with known values.
func ExampleFormatFileLine() {
	k, _ := apikey.ParseKey("ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf", "ak")
	r := k.Record("billing", []string{"invoices:read", "invoices:write"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	r.Created = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	line, _ := apikey.FormatFileLine(r)
	fmt.Println(apikey.FileHeader)
	fmt.Println(line)
	// Output:
	// # id hash subject scopes environment created expires revoked
	// Zx81bQ0aLm3c 5a90be281e02b6b6d09c50768bdb5f7245e0bfeb60b291704d3890d34044235d billing invoices:read,invoices:write live 2026-11-28T10:00:00Z 2027-01-01T00:00:00Z -
}

// exampleStore holds the documentation key and a test key.
func exampleStore() (store *apikey.MemoryStore, live, test string) {
	live = "ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf"
	k, _ := apikey.ParseKey(live, "")
	tk, _ := apikey.Generate("", "test")
	store, _ = apikey.NewMemoryStore(
		k.Record("billing", []string{"invoices:read"}, time.Time{}),
		tk.Record("billing", []string{"invoices:read"}, time.Time{}),
	)
	return store, live, tk.Reveal()
}

func send(h http.Handler, target, header, value string) {
	r := httptest.NewRequest("GET", target, nil)
	if header != "" {
		r.Header.Set(header, value)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Values("WWW-Authenticate"), w.Header().Values("Cache-Control"), w.Header().Values("Vary"), strings.TrimSpace(w.Body.String()))
}

// Per-route configuration in chi: the invoices routes need an API key of
// the live environment, the health check does not.
func ExampleNew_chi() {
	store, live, test := exampleStore()
	keys, err := apikey.New(store, apikey.WithEnvironment("live"))
	if err != nil {
		panic(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	r.With(gate.Require(keys)).Get("/invoices", func(w http.ResponseWriter, r *http.Request) {
		id, _ := middleware.IdentityFrom(r.Context())
		fmt.Fprint(w, "invoices of ", id.Subject)
	})

	send(r, "/healthz", "", "")
	send(r, "/invoices", "X-API-Key", live)
	send(r, "/invoices", "", "")
	send(r, "/invoices", "X-API-Key", test)
	// Output:
	// 200 [] [] [] ok
	// 200 [] [private] [X-API-Key] invoices of billing
	// 401 [APIKey realm="api", header="X-API-Key"] [no-store] [] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"Authentication is required.","reason":"credentials_missing"}
	// 401 [APIKey realm="api", header="X-API-Key"] [no-store] [] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The API key belongs to another environment.","reason":"apikey_wrong_environment"}
}

// Per-route configuration on a net/http ServeMux with Go 1.22 patterns:
// reports accept the key in the X-API-Key header or as
// "Authorization: APIKey <key>", and need the invoices:read scope.
func ExampleNew_serveMux() {
	store, live, _ := exampleStore()
	keys, err := apikey.New(store,
		apikey.WithEnvironment("live"),
		apikey.WithRealm("billing"),
		apikey.WithHeader("X-API-Key"),
		apikey.WithAuthorization("APIKey"),
	)
	if err != nil {
		panic(err)
	}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	mux := http.NewServeMux()
	mux.Handle("GET /reports/{id}", gate.Require(keys)(gate.RequireScopes("invoices:read")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "report ", r.PathValue("id")) }))))
	mux.Handle("DELETE /reports/{id}", gate.Require(keys)(gate.RequireScopes("invoices:write")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))))

	send(mux, "/reports/7", "Authorization", "APIKey "+live)
	send(mux, "/reports/7", "X-API-Key", live[:len(live)-1])
	req := httptest.NewRequest("DELETE", "/reports/7", nil)
	req.Header.Set("X-API-Key", live)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Values("WWW-Authenticate"))
	// Output:
	// 200 [] [] [] report 7
	// 401 [APIKey realm="billing", header="X-API-Key", authorization="APIKey"] [no-store] [] {"type":"about:blank","title":"Unauthorized","status":401,"detail":"The API key is mistyped or truncated.","reason":"apikey_checksum_invalid"}
	// 403 []
}

// A key file reloaded without a restart, as a server does on SIGHUP:
//
//	hup := make(chan os.Signal, 1)
//	signal.Notify(hup, syscall.SIGHUP)
//	go func() {
//		for range hup {
//			if err := store.Reload(); err != nil {
//				logger.Error().Err(err).Msg("key file not reloaded; the previous keys stay in use")
//			}
//		}
//	}()
func ExampleFileStore_Reload() {
	dir, _ := os.MkdirTemp("", "keys")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keys.txt")

	k, _ := apikey.Generate("ak", "live")
	line, _ := apikey.FormatFileLine(k.Record("billing", nil, time.Time{}))
	_ = os.WriteFile(path, []byte(apikey.FileHeader+"\n"), 0o600)

	store, err := apikey.OpenFileStore(path)
	if err != nil {
		panic(err)
	}
	fmt.Println("keys:", store.Len())

	_ = os.WriteFile(path, []byte(apikey.FileHeader+"\n"+line+"\n"), 0o600)
	fmt.Println("reload:", store.Reload(), "keys:", store.Len())

	_ = os.WriteFile(path, []byte(line+"\nnot a key line\n"), 0o600)
	err = store.Reload()
	fmt.Println("bad reload:", strings.TrimPrefix(err.Error(), "apikey: "+dir+"/"), "keys:", store.Len())
	// Output:
	// keys: 0
	// reload: <nil> keys: 1
	// bad reload: keys.txt:2: invalid key record: 4 fields, want 8 (id hash subject scopes environment created expires revoked) keys: 1
}
