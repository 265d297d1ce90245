package verifiers_test

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// deviceVerifier is a custom verifier: devices send "X-Device-Token". It
// shows the four outcomes a Verifier answers with.
type deviceVerifier struct {
	tokens map[string][32]byte // device id -> SHA-256 of its token
	down   bool                // simulates the device registry being unreachable
}

func (d *deviceVerifier) Challenge() challenge.Challenge {
	return challenge.Challenge{Scheme: "DeviceToken", Params: []challenge.Param{{Name: "realm", Value: "devices"}}}
}

func (d *deviceVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	id, tok := r.Header.Get("X-Device-Id"), r.Header.Get("X-Device-Token")
	if tok == "" {
		return nil, verifiers.ErrNoCredentials // not ours: the gate asks the next verifier
	}
	if d.down {
		return nil, verifiers.Unavailable("device registry unreachable", nil) // 503, not the client's fault
	}
	want, ok := d.tokens[id]
	sum := sha256.Sum256([]byte(tok))
	if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
		// Never put tok into the detail: it is the credential.
		return nil, verifiers.Reject(verifiers.CredentialsInvalid, "device token does not match").
			With("device_id", id).WithHint("the device may have been re-provisioned")
	}
	return &verifiers.Identity{
		Subject: id, Scheme: "DeviceToken",
		Source: verifiers.Source{In: verifiers.InHeader, Name: "X-Device-Token"},
	}, nil
}

func call(h http.Handler, target string, hdr ...string) {
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Values("WWW-Authenticate"), w.Header().Values("Vary"))
}

// A custom verifier mounted per route in chi.
func ExampleVerifier_chi() {
	v := &deviceVerifier{tokens: map[string][32]byte{"thermo-1": sha256.Sum256([]byte("t0ken"))}}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	r := chi.NewRouter()
	r.With(gate.Require(v)).Get("/telemetry", func(w http.ResponseWriter, r *http.Request) {})
	r.Get("/status", func(w http.ResponseWriter, r *http.Request) {})

	call(r, "/telemetry", "X-Device-Id", "thermo-1", "X-Device-Token", "t0ken")
	call(r, "/telemetry", "X-Device-Id", "thermo-1", "X-Device-Token", "wrong")
	call(r, "/telemetry")
	call(r, "/status")
	// Output:
	// 200 [] [X-Device-Token]
	// 401 [DeviceToken realm="devices"] []
	// 401 [DeviceToken realm="devices"] []
	// 200 [] []
}

// The same verifier on a net/http ServeMux, and what happens when the
// service it depends on is down.
func ExampleVerifier_servemux() {
	v := &deviceVerifier{down: true}
	gate := middleware.New(middleware.WithLogger(zerolog.Nop()))

	mux := http.NewServeMux()
	mux.Handle("GET /telemetry", gate.Require(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	call(mux, "/telemetry", "X-Device-Id", "thermo-1", "X-Device-Token", "t0ken")
	// Output:
	// 503 [] []
}

// ExampleAsRejection: a step in front of a verifier (here, one that
// counts refusals by reason) reads the Rejection from its error, wrapped
// or not, without errors.As's allocation when it is the Rejection itself.
func ExampleAsRejection() {
	refused := map[verifiers.Reason]int{}
	count := func(err error) {
		if rej, ok := verifiers.AsRejection(err); ok {
			refused[rej.Reason]++
		}
	}
	count(verifiers.Reject(verifiers.TokenExpired, "the token expired 2m ago"))
	count(fmt.Errorf("device check: %w", verifiers.Reject(verifiers.TokenExpired, "the token expired 5m ago")))
	count(verifiers.Unavailable("the key store did not answer", nil))
	fmt.Println(refused[verifiers.TokenExpired], len(refused))
	// Output: 2 1
}
