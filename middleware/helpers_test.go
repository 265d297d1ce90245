package middleware_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/middleware"
	"github.com/authgate/authgate/verifiers"
)

// fakeVerifier reads a credential from the Authorization scheme or the
// header it is given and looks the credential up in outcomes. It is a test
// double for the gate: the real verifiers have their own tests.
type fakeVerifier struct {
	ch       challenge.Challenge
	scheme   string // Authorization scheme read, or ""
	header   string // other header read, or ""
	outcomes map[string]func() (*verifiers.Identity, error)
}

func (f *fakeVerifier) Challenge() challenge.Challenge { return f.ch }

func (f *fakeVerifier) Verify(r *http.Request) (*verifiers.Identity, error) {
	var cred string
	var src verifiers.Source
	switch {
	case f.scheme != "":
		c, ok := verifiers.Authorization(r, f.scheme)
		if !ok {
			return nil, verifiers.ErrNoCredentials
		}
		cred = c
	default:
		cred = r.Header.Get(f.header)
		if cred == "" {
			return nil, verifiers.ErrNoCredentials
		}
		src = verifiers.Source{In: verifiers.InHeader, Name: f.header}
	}
	if cred == "" {
		return nil, verifiers.Reject(verifiers.RequestMalformed, "empty credentials")
	}
	o, ok := f.outcomes[cred]
	if !ok {
		return nil, verifiers.Reject(verifiers.CredentialsInvalid, "credential not in the test table")
	}
	id, err := o()
	if id != nil {
		cp := *id
		cp.Source = src
		id = &cp
	}
	return id, err
}

func bearerV(outcomes map[string]func() (*verifiers.Identity, error)) *fakeVerifier {
	ch, err := challenge.Bearer(challenge.BearerParams{Realm: "api"})
	if err != nil {
		panic(err)
	}
	return &fakeVerifier{ch: ch, scheme: "Bearer", outcomes: outcomes}
}

func basicV(outcomes map[string]func() (*verifiers.Identity, error)) *fakeVerifier {
	ch, err := challenge.Basic("admin")
	if err != nil {
		panic(err)
	}
	return &fakeVerifier{ch: ch, scheme: "Basic", outcomes: outcomes}
}

func apikeyV(outcomes map[string]func() (*verifiers.Identity, error)) *fakeVerifier {
	ch := challenge.Challenge{Scheme: "APIKey", Params: []challenge.Param{{Name: "realm", Value: "api"}, {Name: "header", Value: "X-API-Key"}}}
	return &fakeVerifier{ch: ch, header: "X-API-Key", outcomes: outcomes}
}

func ident(scheme, sub string, scopes ...string) func() (*verifiers.Identity, error) {
	return func() (*verifiers.Identity, error) {
		return &verifiers.Identity{Subject: sub, Scheme: scheme, Scopes: scopes}, nil
	}
}

func reject(reason verifiers.Reason, detail string) func() (*verifiers.Identity, error) {
	return func() (*verifiers.Identity, error) { return nil, verifiers.Reject(reason, detail) }
}

// logBuf collects the gate's log lines; safe for concurrent writes.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// testGate returns a gate logging to a buffer, without sampling.
func testGate(opts ...middleware.Option) (*middleware.Gate, *logBuf) {
	lb := &logBuf{}
	opts = append([]middleware.Option{middleware.WithLogger(zerolog.New(lb)), middleware.WithLogSampling(0, 0)}, opts...)
	return middleware.New(opts...), lb
}

// okHandler answers 200 with the identity's subject and scheme.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := middleware.IdentityFrom(r.Context())
	if !ok {
		_, _ = w.Write([]byte("anonymous"))
		return
	}
	_, _ = w.Write([]byte(id.Scheme + ":" + id.Subject))
})

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func get(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

// one returns the single rejection event (debug events of successful
// authentications aside), failing if there is not exactly one.
func one(t *testing.T, lb *logBuf) map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, ev := range lb.events(t) {
		if ev["level"] != "debug" {
			evs = append(evs, ev)
		}
	}
	if len(evs) != 1 {
		t.Fatalf("want exactly 1 log event, got %d:\n%s", len(evs), lb.String())
	}
	return evs[0]
}

func wantChallenges(t *testing.T, w *httptest.ResponseRecorder, want ...string) {
	t.Helper()
	got := w.Result().Header.Values("WWW-Authenticate")
	if len(got) != len(want) {
		t.Fatalf("WWW-Authenticate = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("WWW-Authenticate[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}

func zerologTo(lb *logBuf) zerolog.Logger { return zerolog.New(lb) }

// middlewareDev turns development mode on, so canary tests also cover the
// hints shown to clients.
func middlewareDev() middleware.Option { return middleware.WithDevelopmentMode() }
