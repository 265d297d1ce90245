package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authgate/authgate/verifiers/apikey"
)

// The secret of a key is written to stdout exactly once, by create and
// rotate, alone on its line; every other line goes to stderr, so that
// KEY=$(authgate keys create ...) holds the key and nothing else.

func keysCreate(ctx context.Context, e env, kf *keysFlags, s keyStore) error {
	k, err := apikey.Generate(kf.prefix, kf.env)
	if err != nil {
		return &keysUsageErr{err.Error()}
	}
	r := k.Record(kf.subject, splitScopes(kf.scopes), kf.expiresAt)
	r.Created = kf.now
	if err := r.Validate(); err != nil {
		return &keysUsageErr{strings.TrimPrefix(err.Error(), apikey.ErrInvalidRecord.Error()+": ")}
	}
	if err := s.create(ctx, r); err != nil {
		return explain(err, r.ID, s)
	}
	fmt.Fprintln(e.stdout, k.Reveal())
	fmt.Fprintf(e.stderr, "created key %s for %s (%s) in %s; the key above is shown once: give it to its owner now\n",
		r.ID, r.Subject, describe(r), s.where())
	return nil
}

func keysRevoke(ctx context.Context, e env, kf *keysFlags, s keyStore) error {
	r, earlier, err := s.revoke(ctx, kf.id, kf.atTime)
	if err != nil {
		return explain(err, kf.id, s)
	}
	what := "revoked"
	if r.Revoked.After(kf.now) {
		what = "will be revoked"
	}
	fmt.Fprintf(e.stdout, "key %s %s at %s\n", r.ID, what, r.Revoked.UTC().Format(time.RFC3339))
	if earlier {
		fmt.Fprintf(e.stderr, "key %s was already revoked at %s; the earlier time stays\n", r.ID, r.Revoked.UTC().Format(time.RFC3339))
	}
	return nil
}

func keysRotate(ctx context.Context, e env, kf *keysFlags, s keyStore) error {
	gen := func(oldEnv string) (apikey.Key, error) {
		if oldEnv == "" {
			oldEnv = kf.env
		}
		return apikey.Generate(kf.prefix, oldEnv)
	}
	expSet := kf.expires != "" || kf.expiresIn > 0
	k, rec, old, err := s.rotate(ctx, kf.id, gen, kf.expiresAt, expSet, kf.atTime)
	if err != nil {
		return explain(err, kf.id, s)
	}
	fmt.Fprintln(e.stdout, k.Reveal())
	fmt.Fprintf(e.stderr, "rotated key %s: the new key %s above (%s) is shown once; the old key %s expires at %s\n",
		old.ID, rec.ID, describe(rec), old.ID, old.Expires.UTC().Format(time.RFC3339))
	return nil
}

func keysMigrate(ctx context.Context, e env, _ *keysFlags, s keyStore) error {
	msg, err := s.migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, msg)
	return nil
}

// keyJSON is one key in list --json: never a hash, never a secret.
type keyJSON struct {
	ID          string     `json:"id"`
	Subject     string     `json:"subject"`
	Scopes      []string   `json:"scopes"`
	Environment string     `json:"environment"` // "" for any
	Created     *time.Time `json:"created,omitempty"`
	Expires     *time.Time `json:"expires,omitempty"`
	Revoked     *time.Time `json:"revoked,omitempty"`
	State       string     `json:"state"`              // active, expiring, revoking, expired, revoked
	StateAt     *time.Time `json:"state_at,omitempty"` // when the state began or begins
}

func keysList(ctx context.Context, e env, kf *keysFlags, s keyStore) error {
	recs, err := s.list(ctx)
	if err != nil {
		return explain(err, "", s)
	}
	// Oldest first, then by id, whatever the store's order.
	slices.SortStableFunc(recs, func(a, b *apikey.Record) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if kf.json {
		out := make([]keyJSON, 0, len(recs))
		for _, r := range recs {
			st, at := state(r, kf.now)
			scopes := r.Scopes
			if scopes == nil {
				scopes = []string{}
			}
			out = append(out, keyJSON{ID: r.ID, Subject: r.Subject, Scopes: scopes, Environment: r.Environment,
				Created: opt(r.Created), Expires: opt(r.Expires), Revoked: opt(r.Revoked), State: st, StateAt: opt(at)})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBJECT\tSCOPES\tENVIRONMENT\tCREATED\tSTATE")
	for _, r := range recs {
		created := "-"
		if !r.Created.IsZero() {
			created = r.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Subject, dashIf(strings.Join(r.Scopes, ",")), dashIf(r.Environment), created, stateText(r, kf.now))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d keys in %s\n", len(recs), s.where())
	return nil
}

// state is r's state at now, as the verifier would see it (revocation
// first), and when it began or begins: active (no time), expiring and
// revoking (in the future), expired and revoked (in the past).
func state(r *apikey.Record, now time.Time) (string, time.Time) {
	rev, exp := r.Revoked, r.Expires
	switch {
	case !rev.IsZero() && !now.Before(rev):
		return "revoked", rev
	case !exp.IsZero() && !now.Before(exp):
		return "expired", exp
	case !rev.IsZero() && (exp.IsZero() || !exp.Before(rev)):
		return "revoking", rev
	case !exp.IsZero():
		return "expiring", exp
	}
	return "active", time.Time{}
}

func stateText(r *apikey.Record, now time.Time) string {
	st, at := state(r, now)
	if at.IsZero() {
		return st
	}
	return st + " at " + at.UTC().Format(time.RFC3339)
}

// describe sums up a new record for the message after create or rotate.
func describe(r *apikey.Record) string {
	exp := "never expires"
	if !r.Expires.IsZero() {
		exp = "expires at " + r.Expires.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("environment %s, scopes %s, %s", dashIf(r.Environment), dashIf(strings.Join(r.Scopes, ",")), exp)
}

func splitScopes(s string) []string {
	var out []string
	for _, sc := range strings.Split(s, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			out = append(out, sc)
		}
	}
	return out
}

func dashIf(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
