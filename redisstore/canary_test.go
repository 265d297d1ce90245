package redisstore_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/middleware"
)

// TestCanaryRedisHoldsNoIdentifiers: after guesses, successes and
// replays through the stores, no key name or value in Redis holds a user
// name, a password, the secret, a client address or a proof identifier,
// in any form we know of; values are counts (or the replay mark).
func TestCanaryRedisHoldsNoIdentifiers(t *testing.T) {
	t.Parallel()
	d := newRDB(t)
	fl := middleware.FailureLimit{PerIP: 50, PerPrincipal: 3, Window: time.Minute}
	fleet := []*instance{
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
		newInstance(t, fl, d.failureStore(t, newClient(t, testAddr()))),
	}
	addrs := []string{"192.0.2.77:4000", "[2001:db8:cafe:1::5]:4000"}
	for i, a := range addrs {
		for u, pw := range users {
			for n := range 4 {
				fleet[(i+n)%2].do(a, u, pw+"-wrong-"+strconv.Itoa(n))
			}
			fleet[i%2].do(a, u, pw)
		}
	}
	jti := "jti-canary-" + randHex(8)
	rs := d.replayStore(t, newClient(t, testAddr()))
	if _, err := rs.Use(context.Background(), jti, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	var forbidden []string
	for u, pw := range users {
		forbidden = append(forbidden, u)
		forbidden = append(forbidden, authgatetest.CredentialForms(pw)...)
		forbidden = append(forbidden, authgatetest.CredentialForms(u+":"+pw)...)
		forbidden = append(forbidden, hex.EncodeToString([]byte(u)))
	}
	forbidden = append(forbidden, authgatetest.CredentialForms(string(testSecret))...)
	forbidden = append(forbidden, hex.EncodeToString(testSecret), jti, hex.EncodeToString([]byte(jti)), base64.RawURLEncoding.EncodeToString([]byte(jti)))
	for _, a := range addrs {
		ap := netip.MustParseAddrPort(a)
		ip := ap.Addr()
		b16 := ip.As16()
		forbidden = append(forbidden, ip.String(), ip.StringExpanded(), hex.EncodeToString(b16[:]), hex.EncodeToString(b16[:8]), "ip:", "pair:")
		if ip.Is4() {
			b4 := ip.As4()
			forbidden = append(forbidden, hex.EncodeToString(b4[:]))
		}
	}

	ctx := context.Background()
	keys := d.keys(t)
	if len(keys) < 2*len(users)+2 {
		t.Fatalf("only %d keys under the test's prefix: the scenario did not write what it should", len(keys))
	}
	for _, k := range keys {
		v, err := d.direct.Get(ctx, k).Result()
		if err != nil {
			t.Fatalf("reading %s: %v", k, err)
		}
		name := strings.TrimPrefix(k, d.prefix)
		if len(name) != 64 || strings.Trim(name, "0123456789abcdef") != "" {
			t.Errorf("key %q: the name after the prefix is not a hex HMAC-SHA256", k)
		}
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			t.Errorf("key %s holds %q, not a count", k, v)
		}
		lk, lv := strings.ToLower(name), strings.ToLower(v)
		for _, f := range forbidden {
			if f = strings.ToLower(f); len(f) >= 3 && (strings.Contains(lk, f) || strings.Contains(lv, f)) {
				t.Errorf("key %s (value %q) holds %q", k, v, f)
			}
		}
		if ttl := d.direct.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no expiry (%v)", k, ttl)
		}
	}
	// Each store kind's secret check set holds the fingerprint of the
	// one secret, a hex HMAC-SHA256, and expires.
	for _, set := range []string{d.checkKey(), d.replayCheckKey()} {
		prints, err := d.direct.ZRange(ctx, set, 0, -1).Result()
		if err != nil || len(prints) != 1 {
			t.Fatalf("%s holds %q (%v), want one fingerprint", set, prints, err)
		}
		if p := prints[0]; len(p) != 64 || strings.Trim(p, "0123456789abcdef") != "" {
			t.Errorf("fingerprint %q is not a hex HMAC-SHA256", p)
		}
		for _, f := range forbidden {
			if f = strings.ToLower(f); len(f) >= 3 && strings.Contains(prints[0], f) {
				t.Errorf("the fingerprint holds %q", f)
			}
		}
		if ttl := d.direct.PTTL(ctx, set).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry (%v)", set, ttl)
		}
	}
}
