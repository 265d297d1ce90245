package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

// tokenStore is a TokenFunc over a map, counting its calls.
type tokenStore struct {
	calls  atomic.Int32
	tokens map[string]*verifiers.Identity
	down   bool
}

func (s *tokenStore) check(_ context.Context, tok string) (*verifiers.Identity, error) {
	s.calls.Add(1)
	if s.down {
		return nil, errors.New("token store: connection refused")
	}
	switch tok {
	case "revoked-token-abc":
		return nil, fmt.Errorf("token was revoked on 2026-11-01: %w", ErrTokenInvalid)
	case "custom-reject-xyz":
		return nil, verifiers.Reject(verifiers.TokenExpired, "introspection says inactive: expired")
	case "nil-nil-token":
		return nil, nil
	}
	id, ok := s.tokens[tok]
	if !ok {
		return nil, ErrTokenInvalid
	}
	return id, nil
}

func TestOpaque(t *testing.T) {
	t.Parallel()
	store := &tokenStore{tokens: map[string]*verifiers.Identity{
		"opaque-token-1":   {Subject: "alice", Scopes: []string{"read"}},
		"opaque~token+2/=": {Subject: "bob"},
	}}
	v, err := NewOpaque(store.check)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tok     string
		reason  verifiers.Reason
		unavail bool
		hint    string
	}{
		{name: "valid", tok: "opaque-token-1"},
		{name: "C7_b64token_chars", tok: "opaque~token+2/="},
		{name: "unknown", tok: "never-issued-token", reason: verifiers.TokenInvalid},
		{name: "revoked_wrapped_sentinel", tok: "revoked-token-abc", reason: verifiers.TokenInvalid},
		{name: "custom_rejection_passes_through", tok: "custom-reject-xyz", reason: verifiers.TokenExpired},
		{name: "C7_quotes", tok: `"opaque-token-1"`, reason: verifiers.TokenMalformed, hint: "quotes"},
		{name: "C7_padding_inside", tok: "abc=def", reason: verifiers.TokenMalformed},
		{name: "nil_identity_is_a_bug", tok: "nil-nil-token", unavail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(bearerReq(tc.tok))
			switch {
			case tc.unavail:
				if !errors.Is(err, verifiers.ErrUnavailable) {
					t.Fatalf("err = %v, want unavailable", err)
				}
			case tc.reason != "":
				rej := wantReject(t, err, tc.reason)
				if fp, ok := (&verifiers.Identity{Attrs: rej.Attrs}).Attr(verifiers.AttrFingerprint); !ok || len(fp) != 16 {
					t.Fatalf("no fingerprint in %v", rej.Attrs)
				}
				if strings.Contains(rej.Error(), tc.tok) {
					t.Fatalf("rejection holds the token: %v", rej)
				}
				if !strings.Contains(rej.Hint, tc.hint) {
					t.Fatalf("hint = %q", rej.Hint)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if id.Scheme != verifiers.SchemeBearer || id.Source.In != verifiers.InAuthorization {
					t.Fatalf("identity %+v", id)
				}
			}
		})
	}
	// The fingerprint of one token is stable, and differs between tokens.
	_, e1 := v.Verify(bearerReq("never-issued-token"))
	_, e2 := v.Verify(bearerReq("never-issued-token"))
	_, e3 := v.Verify(bearerReq("never-issued-token2"))
	fp := func(err error) string {
		var rej *verifiers.Rejection
		errors.As(err, &rej)
		s, _ := (&verifiers.Identity{Attrs: rej.Attrs}).Attr(verifiers.AttrFingerprint)
		return s
	}
	if fp(e1) != fp(e2) || fp(e1) == fp(e3) {
		t.Fatal("fingerprints not stable per token")
	}

	store.down = true
	_, err = v.Verify(bearerReq("opaque-token-1"))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Err.Error(), "connection refused") {
		t.Fatalf("store down: err = %v, want UnavailableError (503, never 401)", err)
	}
}

func TestOpaque_through_gate(t *testing.T) {
	t.Parallel()
	store := &tokenStore{tokens: map[string]*verifiers.Identity{"opaque-token-1": {Subject: "alice"}}}
	v, err := NewOpaque(store.check, WithRealm("files"))
	if err != nil {
		t.Fatal(err)
	}
	canary := "CANARY-opaque-5d1e8a"
	res := throughGate(t, v, bearerReq(canary))
	if res.status != 401 || res.header.Get("Www-Authenticate") != `Bearer realm="files", error="invalid_token", error_description="The access token is invalid."` {
		t.Fatalf("status %d %q", res.status, res.header.Get("Www-Authenticate"))
	}
	ev := res.refusal(t)
	if ev["reason"] != string(verifiers.TokenInvalid) || ev["fingerprint"] == nil {
		t.Fatalf("event %v", ev)
	}
	res.noSecret(t, canary)
	res = throughGate(t, v, bearerReq("opaque-token-1"))
	if res.status != http.StatusOK || res.body != "hello alice" {
		t.Fatalf("status %d body %q", res.status, res.body)
	}
}

func TestOpaque_cache(t *testing.T) {
	t.Parallel()
	clk := authgatetest.NewClock(t0)
	store := &tokenStore{tokens: map[string]*verifiers.Identity{
		"tok-a": {Subject: "a"},
		"tok-b": {Subject: "b"},
		"tok-c": {Subject: "c"},
		"tok-e": {Subject: "e", Claims: map[string]any{"exp": float64(t0.Add(70 * time.Second).Unix())}},
	}}
	v, err := NewOpaque(store.check, WithCache(2, time.Minute), WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	call := func(tok string) {
		t.Helper()
		if _, err := v.Verify(bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
	}
	call("tok-a")
	call("tok-a")
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("hit: calls = %d, want 1", n)
	}
	// Bounded: a, b, c evicts a (least recently used).
	call("tok-b")
	call("tok-c")
	call("tok-a")
	if n := store.calls.Load(); n != 4 {
		t.Fatalf("eviction: calls = %d, want 4", n)
	}
	// TTL.
	clk.Advance(time.Minute)
	call("tok-a")
	if n := store.calls.Load(); n != 5 {
		t.Fatalf("ttl: calls = %d, want 5", n)
	}
	// Never past the identity's exp.
	call("tok-e")
	clk.Advance(9 * time.Second)
	call("tok-e")
	if n := store.calls.Load(); n != 6 {
		t.Fatalf("before exp: calls = %d, want 6", n)
	}
	clk.Advance(time.Second)
	call("tok-e")
	if n := store.calls.Load(); n != 7 {
		t.Fatalf("at exp: calls = %d, want 7", n)
	}
	// Rejections are not cached.
	for range 2 {
		_, _ = v.Verify(bearerReq("unknown-tok"))
	}
	if n := store.calls.Load(); n != 9 {
		t.Fatalf("rejections: calls = %d, want 9", n)
	}
	// A cached identity keeps the source of each request.
	r := bearerReq("tok-c")
	id, _ := v.Verify(r)
	if id.Source.In != verifiers.InAuthorization {
		t.Fatal("source")
	}
}

func TestOpaque_options(t *testing.T) {
	t.Parallel()
	f := func(context.Context, string) (*verifiers.Identity, error) { return nil, nil }
	for _, tc := range []struct {
		opts []OpaqueOption
		want string
	}{
		{[]OpaqueOption{WithCache(0, time.Second)}, "must be positive"},
		{[]OpaqueOption{nil}, "nil Option"},
		{[]OpaqueOption{SharedOption(nil)}, "nil Option"},
		{[]OpaqueOption{WithRealm("")}, "empty realm"},
	} {
		if _, err := NewOpaque(f, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	if _, err := NewOpaque(nil); err == nil {
		t.Error("nil TokenFunc accepted")
	}
}

func TestOpaque_shared_rejection_not_mutated(t *testing.T) {
	t.Parallel()
	shared := verifiers.Reject(verifiers.TokenInvalid, "inactive")
	v, err := NewOpaque(func(context.Context, string) (*verifiers.Identity, error) { return nil, shared })
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := v.Verify(bearerReq("some-token"))
		rej := wantReject(t, err, verifiers.TokenInvalid)
		if len(rej.Attrs) != 1 || rej.Attrs[0].Key != verifiers.AttrFingerprint {
			t.Fatalf("attrs %v", rej.Attrs)
		}
	}
	if len(shared.Attrs) != 0 {
		t.Fatalf("the TokenFunc's Rejection was modified: %v", shared.Attrs)
	}
}
