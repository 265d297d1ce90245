package pgstore_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestCanary puts keys through every path that logs or returns an error
// (gate refusals, an outage and its recovery with the store logging at
// debug level, admin errors, stale lookups) and checks that no key, no
// secret and no prefix of 8 characters of a stored hash (hex or base64)
// appears in any log line or error.
func TestCanary(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	f := newFixture(t, d)
	ctx := context.Background()
	p := newProxy(t)
	storeLog := &authgatetest.Log{}
	clock := authgatetest.NewClock(time.Now())
	s := d.open(t, p.pool(t, "pgstore-test"), fast, pgstore.WithClock(clock.Now), pgstore.WithMaxStaleness(time.Minute),
		pgstore.WithLogger(storeLog.Logger().Level(zerolog.DebugLevel)))
	g, lb := testGate()
	h := g.Require(newVerifier(t, s))(whoami)
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}

	for _, name := range []string{"good", "revoked", "expired", "test", "envrec", "unknown", "foreign", "foreignUnknown"} {
		serve(t, h, lb, get("X-API-Key", f.keys[name]))
	}
	serve(t, h, lb, get("X-API-Key", mismatch(t, f.keys["good"])))
	note(d.admin.Create(ctx, f.recs["good"])) // exists
	_, err := d.admin.Rotate(ctx, f.ids["revoked"], mustKey(t, "live"), t0)
	note(err)
	p.Cut()
	eventually(2*time.Second, func() bool { return !pgstore.Healthy(s) })
	_, err = s.Lookup(ctx, f.ids["unknown"])
	note(err)
	clock.Advance(2 * time.Minute)
	serve(t, h, lb, get("X-API-Key", f.keys["good"]))
	_, err = s.Lookup(ctx, f.ids["good"])
	note(err)
	note(s.Ready(ctx))
	p.Restore()
	eventually(3*time.Second, func() bool { return pgstore.Healthy(s) })

	if len(errs) < 4 {
		t.Fatalf("only %d errors collected", len(errs))
	}
	haystack := storeLog.String() + "\n" + lb.String() + "\n" + strings.Join(errs, "\n")
	if !strings.Contains(storeLog.String(), "lost the key store database") || !strings.Contains(lb.String(), "verifier_unavailable") {
		t.Fatalf("the outage was not logged; the canary would prove nothing:\n%s", haystack)
	}
	for name, key := range f.keys {
		forms := authgatetest.CredentialForms(key)
		if i := strings.LastIndexByte(key, '_'); i > 0 && strings.HasPrefix(key, "ak_") {
			forms = append(forms, key[i+1:len(key)-apikey.ChecksumLength]) // the secret alone
		}
		if r, ok := f.recs[name]; ok {
			for _, enc := range []string{hex.EncodeToString(r.Hash[:]), base64.StdEncoding.EncodeToString(r.Hash[:]), base64.RawURLEncoding.EncodeToString(r.Hash[:])} {
				forms = append(forms, enc[:8])
			}
		}
		for _, form := range forms {
			if strings.Contains(haystack, form) {
				t.Errorf("%s: %q found in the logs or errors", name, form)
			}
		}
	}
}
