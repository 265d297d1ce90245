package apikey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/challenge"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestChallenge checks the custom challenge for each configuration: valid
// RFC 9110 §11 syntax (A2), realm quoted (A4), one parameter per place in
// option order, and that it parses back.
func TestChallenge(t *testing.T) {
	t.Parallel()
	s, _ := apikey.NewMemoryStore()
	cases := []struct {
		name string
		opts []apikey.Option
		want string
	}{
		{"A4_default", nil, `APIKey realm="api", header="X-API-Key"`},
		{"A2_realm_escaped", []apikey.Option{apikey.WithRealm(`my "api"`)}, `APIKey realm="my \"api\"", header="X-API-Key"`},
		{"A2_authorization_only", []apikey.Option{apikey.WithAuthorization("APIKey")}, `APIKey realm="api", authorization="APIKey"`},
		{"A2_all_places_in_order", []apikey.Option{apikey.WithQuery("api_key"), apikey.WithCookie("ck"), apikey.WithHeader("X-Key"), apikey.WithAuthorization("Key")},
			`APIKey realm="api", query="api_key", cookie="ck", header="X-Key", authorization="Key"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := apikey.New(s, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Challenge().Format()
			if err != nil || got != c.want {
				t.Fatalf("challenge = %q, %v; want %q", got, err, c.want)
			}
			parsed, err := challenge.Parse(got)
			if err != nil || len(parsed) != 1 || !parsed[0].Is("APIKey") {
				t.Fatalf("Parse(%q) = %v, %v", got, parsed, err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	s, _ := apikey.NewMemoryStore()
	cases := []struct {
		name  string
		store apikey.Store
		opts  []apikey.Option
		msg   string
	}{
		{"nil_store", nil, nil, "store is nil"},
		{"header_twice", s, []apikey.Option{apikey.WithHeader("A"), apikey.WithHeader("B")}, "header given twice"},
		{"bad_header", s, []apikey.Option{apikey.WithHeader("X Key")}, "not a valid field name"},
		{"header_authorization", s, []apikey.Option{apikey.WithHeader("authorization")}, "use WithAuthorization"},
		{"header_cookie", s, []apikey.Option{apikey.WithHeader("Cookie")}, "use WithAuthorization or WithCookie"},
		{"bad_scheme", s, []apikey.Option{apikey.WithAuthorization("")}, "Authorization scheme"},
		{"bad_cookie", s, []apikey.Option{apikey.WithCookie("a;b")}, "cookie name"},
		{"bad_query", s, []apikey.Option{apikey.WithQuery("a%20b")}, "query parameter name"},
		{"bad_env", s, []apikey.Option{apikey.WithEnvironment("Live")}, "environment"},
		{"bad_prefix", s, []apikey.Option{apikey.WithPrefix("a_b")}, "prefix"},
		{"bad_max", s, []apikey.Option{apikey.WithMaxKeyLength(0)}, "max key length"},
		{"nil_clock", s, []apikey.Option{apikey.WithClock(nil)}, "clock is nil"},
		{"empty_realm", s, []apikey.Option{apikey.WithRealm("")}, "realm is empty"},
		{"A5_realm_crlf", s, []apikey.Option{apikey.WithRealm("a\r\nSet-Cookie: x")}, "invalid value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := apikey.New(c.store, c.opts...)
			if !errors.Is(err, apikey.ErrInvalidConfig) || v != nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("New = %v, %v; want ErrInvalidConfig with %q", v, err, c.msg)
			}
		})
	}
	if _, err := apikey.New(s, apikey.WithClock(time.Now), apikey.WithPrefix("acme"), apikey.WithEnvironment("eu1")); err != nil {
		t.Fatal(err)
	}
}
