package bearer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/internal/nettest"
	"github.com/authgate/authgate/verifiers"
)

// switchDialer sends every connection of the verifier's HTTP client to
// the address it holds now: the key server, a closed loopback port
// (connection refused), or a listener that accepts and resets.
type switchDialer struct{ addr atomic.Pointer[string] }

func (d *switchDialer) to(addr string) { d.addr.Store(&addr) }

func (d *switchDialer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true, // every fetch dials again
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, network, *d.addr.Load())
		},
	}}
}

// closedPort returns a loopback address where connections are refused,
// held for the test (nettest.RefusedAddr) so that no parallel test's
// server takes its port.
func closedPort(t *testing.T) string { return nettest.RefusedAddr(t) }

// resettingListener accepts connections and resets them at once.
func resettingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// TestRemote_E12_outage_during_rotation_is_503: a token whose kid the
// cached set lacks, while the key set cannot be fetched, gets 503
// verifier_unavailable with Retry-After saying when the next fetch is
// allowed, never 401 token_key_unknown (which would tell the client to
// throw a valid token away); tokens of cached keys keep working; the
// first fetch allowed after the outage recovers the rotated key; and 401
// token_key_unknown comes back only after a fetch succeeded without the
// kid. Once for each kind of failure.
func TestRemote_E12_outage_during_rotation_is_503(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name  string
		brk   func(ks *keyServer, d *switchDialer)
		error string // in the logged error ("|" separates alternatives)
	}{
		{"connection_refused", func(ks *keyServer, d *switchDialer) { d.to(closedPort(t)) }, "connection refused"},
		// The reset reaches the client as a failed read, or as a failed
		// write when it is still sending the request (EPIPE).
		{"connection_reset", func(ks *keyServer, d *switchDialer) { d.to(resettingListener(t)) }, "connection reset by peer|EOF|broken pipe"},
		{"status_502", func(ks *keyServer, d *switchDialer) {
			ks.set(func(ks *keyServer) { ks.status = http.StatusBadGateway })
		}, "status 502 Bad Gateway"},
		{"set_not_json", func(ks *keyServer, d *switchDialer) {
			ks.set(func(ks *keyServer) { ks.raw = []byte("<html>maintenance</html>") })
		}, "not a JSON object"},
		{"set_refused_duplicate_kid", func(ks *keyServer, d *switchDialer) {
			ks.set(func(ks *keyServer) {
				ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256"), jwkOf(fx.ec2, "ec1", "ES256"), jwkOf(fx.ec2, "ec2", "ES256")}
			})
		}, `kid 'ec1' appears on two keys`},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
			d := &switchDialer{}
			d.to(ks.Listener.Addr().String())
			v, clk, logs := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithHTTPClient(d.client()))
			url := ks.URL + "/jwks"
			old := func(n int) string { return tokenFor(ks.URL, fx.ec, "ES256", "ec1", "jti", fmt.Sprint("old-", n)) }
			rotated := tokenFor(ks.URL, fx.ec2, "ES256", "ec2")

			// The issuer rotates to ec2 while its key server fails.
			clk.Advance(time.Minute)
			kind.brk(ks, d)
			res := throughGate(t, v, bearerReq(rotated))
			if res.status != 503 || res.header.Get("Retry-After") != "30" || res.header.Get("Www-Authenticate") != "" {
				t.Fatalf("during the outage: status %d, Retry-After %q, WWW-Authenticate %q; want 503, 30, none\n%s",
					res.status, res.header.Get("Retry-After"), res.header.Get("Www-Authenticate"), res.raw)
			}
			ev := res.refusal(t)
			hasErr := func(ev map[string]any) bool {
				for _, alt := range strings.Split(kind.error, "|") {
					if strings.Contains(fmt.Sprint(ev["error"]), alt) && strings.Contains(fmt.Sprint(ev["error"]), url) {
						return true
					}
				}
				return false
			}
			if ev["reason"] != string(verifiers.VerifierUnavailable) || ev["level"] != "error" || !hasErr(ev) {
				t.Fatalf("event: reason %v level %v error %q (want it to name %s and contain %q)", ev["reason"], ev["level"], ev["error"], url, kind.error)
			}
			detail := ev["detail"].(string)
			for _, want := range []string{
				`no key with kid 'ec2' in the cached key set of issuer '` + ks.URL + `' (1 key with kids 'ec1', fetched at 2026-11-28T10:00:00Z: ` + url + `)`,
				"the last successful fetch was at 2026-11-28T10:00:00Z (1m0s ago), and the latest fetch, at 2026-11-28T10:01:00Z, failed (",
				"the next fetch is allowed in 30s",
			} {
				if !strings.Contains(detail, want) {
					t.Errorf("detail = %q\nwant it to contain %q", detail, want)
				}
			}
			if strings.Contains(detail, "last fetched") {
				t.Errorf("detail says the set was last fetched, of a fetch that failed: %q", detail)
			}
			res.noSecret(t, rotated)
			// The fetch's own event names the last successful fetch.
			if !strings.Contains(logs.String(), `"fetched_at":"2026-11-28T10:00:00Z"`) || !strings.Contains(logs.String(), "fetched_at: its last successful fetch") {
				t.Errorf("fetch event: %s", logs.String())
			}
			hits := ks.jwksHits.Load()

			// Tokens of the cached key keep working.
			if res := throughGate(t, v, bearerReq(old(1))); res.status != 200 {
				t.Fatalf("cached key during the outage: %d %s", res.status, res.raw)
			}
			// Within the interval: still 503, Retry-After counting down to
			// the next allowed fetch, and no fetch.
			clk.Advance(10 * time.Second)
			if res := throughGate(t, v, bearerReq(rotated)); res.status != 503 || res.header.Get("Retry-After") != "20" ||
				!strings.Contains(res.refusal(t)["detail"].(string), "the next fetch is allowed in 20s") ||
				!hasErr(res.refusal(t)) {
				t.Fatalf("10 s on: status %d, Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.raw)
			}
			clk.Advance(19 * time.Second)
			if res := throughGate(t, v, bearerReq(rotated)); res.status != 503 || res.header.Get("Retry-After") != "1" {
				t.Fatalf("29 s on: status %d, Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.raw)
			}
			if n := ks.jwksHits.Load(); n != hits {
				t.Fatalf("%d fetches within the interval, want none", n-hits)
			}
			if res := throughGate(t, v, bearerReq(old(2))); res.status != 200 {
				t.Fatalf("cached key 29 s into the outage: %d", res.status)
			}

			// The issuer is back, with ec2: the very first fetch allowed
			// recovers the rotated key.
			ks.set(func(ks *keyServer) {
				ks.status, ks.raw = 0, nil
				ks.keys = []map[string]any{jwkOf(fx.ec, "ec1", "ES256"), jwkOf(fx.ec2, "ec2", "ES256")}
			})
			d.to(ks.Listener.Addr().String())
			clk.Advance(time.Second)
			if res := throughGate(t, v, bearerReq(rotated)); res.status != 200 {
				t.Fatalf("as soon as the next fetch is allowed: %d %s", res.status, res.raw)
			}

			// token_key_unknown only once a fetch succeeded without the kid.
			clk.Advance(time.Minute)
			unknown := tokenFor(ks.URL, fx.ec2, "ES256", "ec3")
			res = throughGate(t, v, bearerReq(unknown))
			if res.status != 401 || res.header.Get("Www-Authenticate") != invalidToken(verifiers.TokenKeyUnknown) {
				t.Fatalf("unknown kid after a successful fetch: %d %q", res.status, res.header.Get("Www-Authenticate"))
			}
			if d := res.refusal(t)["detail"].(string); !strings.Contains(d, "the set was fetched again just now") {
				t.Errorf("detail = %q", d)
			}
			_, err := v.Verify(bearerReq(unknown))
			rej := wantReject(t, err, verifiers.TokenKeyUnknown)
			if !strings.Contains(rej.Detail, "it was last fetched, successfully, 0s ago") {
				t.Errorf("rate-limited detail = %q", rej.Detail)
			}
		})
	}
}

// TestRemote_E12_outage_token_without_kid: a token without kid whose alg
// no cached key has, while the refetch fails, gets 503 too.
func TestRemote_E12_outage_token_without_kid(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.rsa, "rsa1", "RS256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	ks.set(func(ks *keyServer) { ks.status = http.StatusServiceUnavailable })
	clk.Advance(time.Minute)
	_, err := v.Verify(bearerReq(sign("ES256", fx.ec, nil, claims("iss", ks.URL))))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || ue.RetryAfter != 30*time.Second ||
		!strings.Contains(ue.Detail, "no key for this ES256 token (it has no kid) in the cached key set") {
		t.Fatalf("err = %v", err)
	}
}

// TestRemote_New_context_bounds_start_up_only: New's context is for the
// start-up; cancelling it right after New returns leaves the background
// refresh running, so a key the issuer rotates to later is accepted.
// After Close, a token whose key the verifier can no longer fetch gets
// 503, not 401.
func TestRemote_New_context_bounds_start_up_only(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	ks.cacheControl = "max-age=0"
	clk := authgatetest.NewClock(t0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	v, err := New(ctx, testAud, []Issuer{{URL: ks.URL, Keys: JWKSURL(ks.URL + "/jwks")}},
		WithClock(clk.Now), WithRefreshInterval(20*time.Millisecond, time.Second), quiet())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })

	// The issuer rotates to ec2; the background refresh picks it up
	// (no token asks for it: the clock stands still, so an unknown kid
	// could not trigger a fetch either).
	ks.set(func(ks *keyServer) { ks.keys = []map[string]any{jwkOf(fx.ec2, "ec2", "ES256")} })
	hits := ks.jwksHits.Load()
	deadline := time.Now().Add(3 * time.Second)
	for ks.jwksHits.Load() < hits+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2"))); err != nil {
		t.Fatalf("rotated key after New's context ended: %v (fetches after rotation: %d)", err, ks.jwksHits.Load()-hits)
	}

	v.Close()
	clk.Advance(time.Hour) // an unknown kid would be allowed a fetch
	n := ks.jwksHits.Load()
	unknown := tokenFor(ks.URL, fx.ec, "ES256", "ec3")
	res := throughGate(t, v, bearerReq(unknown))
	if res.status != 503 || res.header.Get("Www-Authenticate") != "" {
		t.Fatalf("closed verifier, unknown kid: %d %q, want 503", res.status, res.header.Get("Www-Authenticate"))
	}
	ev := res.refusal(t)
	if ev["reason"] != string(verifiers.VerifierUnavailable) || !strings.Contains(ev["detail"].(string), "the verifier is closed") {
		t.Fatalf("event %v", ev)
	}
	res.noSecret(t, unknown)
	if _, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2", "jti", "after-close"))); err != nil {
		t.Fatalf("a token of a cached key after Close: %v", err)
	}
	if m := ks.jwksHits.Load(); m != n {
		t.Fatalf("%d fetches after Close", m-n)
	}
}

// TestRemote_closed_before_any_set_is_503: an issuer whose set was never
// fetched, after Close, gets 503 saying the verifier is closed.
func TestRemote_closed_before_any_set_is_503(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t)
	ks.status = http.StatusInternalServerError
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"))
	v.Close()
	clk.Advance(time.Hour)
	_, err := v.Verify(bearerReq(tokenFor(ks.URL, fx.ec, "ES256", "ec1")))
	var ue *verifiers.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, errClosed) || !strings.Contains(ue.Detail, "closed") {
		t.Fatalf("err = %v", err)
	}
}

// TestRemote_E12_outage_short_interval: with an unknown-key interval under
// a second, the detail gives the real wait and Retry-After its whole
// second (the header counts seconds).
func TestRemote_E12_outage_short_interval(t *testing.T) {
	t.Parallel()
	ks := newKeyServer(t, jwkOf(fx.ec, "ec1", "ES256"))
	v, clk, _ := remoteVerifier(t, ks, JWKSURL(ks.URL+"/jwks"), WithUnknownKeyRefresh(500*time.Millisecond))
	ks.set(func(ks *keyServer) { ks.status = http.StatusBadGateway })
	clk.Advance(time.Minute)
	res := throughGate(t, v, bearerReq(tokenFor(ks.URL, fx.ec2, "ES256", "ec2")))
	if res.status != 503 || res.header.Get("Retry-After") != "1" || !strings.HasSuffix(res.refusal(t)["detail"].(string), "the next fetch is allowed in 500ms") {
		t.Fatalf("status %d, Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.raw)
	}
}
