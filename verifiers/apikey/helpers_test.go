package apikey_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

func mustKey(t testing.TB, env string) apikey.Key {
	t.Helper()
	k, err := apikey.Generate("", env)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fixture is a store with one key in every state, and a verifier over it.
type fixture struct {
	store *apikey.MemoryStore
	// keys by name: good, revoked, expired, test (tagged test), envrec
	// (tagged live, record says test), unknown (not stored), foreign
	// (stored, not in our format), foreignUnknown.
	keys map[string]string
	ids  map[string]string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{keys: map[string]string{}, ids: map[string]string{}}
	var recs []*apikey.Record
	add := func(name string, k apikey.Key, mod func(r *apikey.Record)) {
		r := k.Record("svc-"+name, []string{"reports:read", "orders:write"}, time.Time{})
		if mod != nil {
			mod(r)
		}
		recs = append(recs, r)
		f.keys[name], f.ids[name] = k.Reveal(), k.ID()
	}
	add("good", mustKey(t, "live"), nil)
	add("revoked", mustKey(t, "live"), func(r *apikey.Record) { r.Revoked = t0.Add(-72 * time.Hour) })
	add("expired", mustKey(t, "live"), func(r *apikey.Record) { r.Expires = t0.Add(-2 * time.Hour) })
	add("scheduled", mustKey(t, "live"), func(r *apikey.Record) {
		r.Revoked = t0.Add(time.Hour) // revocation scheduled in the future: still valid
		r.Expires = t0.Add(24 * time.Hour)
	})
	add("test", mustKey(t, "test"), nil)
	add("envrec", mustKey(t, "live"), func(r *apikey.Record) { r.Environment = "test" })
	unknown := mustKey(t, "live")
	f.keys["unknown"], f.ids["unknown"] = unknown.Reveal(), unknown.ID()

	foreign := "legacy-" + strings.Repeat("Q", 4) + mustKey(t, "x").ID() + mustKey(t, "x").ID()
	fid, fh := apikey.ForeignKey(foreign)
	recs = append(recs, &apikey.Record{ID: fid, Hash: fh, Subject: "svc-legacy", Scopes: []string{"reports:read"}, Environment: "live"})
	f.keys["foreign"], f.ids["foreign"] = foreign, fid
	f.keys["foreignUnknown"] = "legacy-" + mustKey(t, "x").ID() + mustKey(t, "x").ID()

	s, err := apikey.NewMemoryStore(recs...)
	if err != nil {
		t.Fatal(err)
	}
	f.store = s
	return f
}

// mismatch returns the good key with its secret changed and the checksum
// recomputed: id found, secret wrong.
func (f *fixture) mismatch(t testing.TB) string {
	t.Helper()
	return withSecret(t, f.keys["good"], strings.Repeat("A", apikey.SecretLength))
}

// withSecret replaces the secret of key and fixes its checksum.
func withSecret(t testing.TB, key, secret string) string {
	t.Helper()
	i := strings.LastIndexByte(key, '_')
	return withChecksum(key[:i+1] + secret)
}

// withChecksum appends the checksum of body, as Generate does.
func withChecksum(body string) string {
	return body + apikey.ChecksumForTest(body)
}

// typo changes one character of key's secret (keeping base62).
func typo(key string) string {
	b := []byte(key)
	i := len(b) - apikey.ChecksumLength - 3
	if b[i] == 'x' {
		b[i] = 'y'
	} else {
		b[i] = 'x'
	}
	return string(b)
}

func newVerifier(t testing.TB, s apikey.Store, opts ...apikey.Option) *apikey.Verifier {
	t.Helper()
	opts = append([]apikey.Option{apikey.WithEnvironment("live"), apikey.WithClock(clock)}, opts...)
	v, err := apikey.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// downStore fails every lookup, as a database that is down.
type downStore struct{}

var errDown = errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")

func (downStore) Lookup(context.Context, string) (*apikey.Record, error) { return nil, errDown }

// nilStore returns neither a record nor an error: a buggy Store.
type nilStore struct{}

func (nilStore) Lookup(context.Context, string) (*apikey.Record, error) { return nil, nil }

// wrappedNotFound returns ErrNotFound wrapped, as a database Store might.
type wrappedNotFound struct{}

func (wrappedNotFound) Lookup(_ context.Context, id string) (*apikey.Record, error) {
	return nil, errors.Join(errors.New("sql: no rows"), apikey.ErrNotFound)
}

func get(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

// attr returns the value of key in attrs.
func attr(attrs []verifiers.Attr, key string) (string, bool) {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// events returns the events of lb of level other than debug.
func events(t *testing.T, lb *authgatetest.Log) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range lb.Events(t) {
		if m["level"] != "debug" {
			out = append(out, m)
		}
	}
	return out
}
