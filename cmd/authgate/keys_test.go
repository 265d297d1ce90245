package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestKeysCreate: the key is printed once, alone on stdout, and works
// through apikey.New and the store with the subject and scopes given.
func TestKeysCreate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		k := b.create(t, "--subject", "billing", "--scopes", "invoices:read, invoices:write")
		if k.Environment() != "live" {
			t.Errorf("environment %q, want live (the default)", k.Environment())
		}
		id, reason := b.verify(t, k.Reveal())
		if reason != "" {
			t.Fatalf("the printed key is refused: %s", reason)
		}
		if id.Subject != "billing" || !slices.Equal(id.Scopes, []string{"invoices:read", "invoices:write"}) {
			t.Errorf("identity %s %v, want billing [invoices:read invoices:write]", id.Subject, id.Scopes)
		}

		// Another environment's key is created for it, and refused by a
		// live server as such.
		tk := b.create(t, "--subject", "ci", "--environment", "test", "--expires-in", "1h")
		if _, reason := b.verify(t, tk.Reveal()); reason != verifiers.APIKeyWrongEnv {
			t.Errorf("test key on a live server: %q, want apikey_wrong_environment", reason)
		}
		r := keysRun(t, nil, append([]string{"list", "--json"}, b.flags...)...)
		var keys []keyJSON
		if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil || len(keys) != 2 {
			t.Fatalf("list --json: %v: %s", err, r)
		}
		if keys[1].ID != tk.ID() {
			keys[0], keys[1] = keys[1], keys[0] // created in the same second: by id
		}
		exp := keys[1].Expires
		if keys[1].ID != tk.ID() || exp == nil || time.Until(*exp) > time.Hour || time.Until(*exp) < 58*time.Minute {
			t.Errorf("--expires-in 1h: listed %+v", keys[1])
		}
	})
}

// TestKeysRevoke: a revoked key is refused with apikey_revoked; a
// revocation at a future time leaves it working until then; an earlier
// revocation stays; the whole key is accepted as the argument, and never
// printed.
func TestKeysRevoke(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		k := b.create(t, "--subject", "svc")
		later := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		r := keysRun(t, nil, append([]string{"revoke", k.ID(), "--at", later.Format(time.RFC3339)}, b.flags...)...)
		if r.code != 0 || r.stdout != "key "+k.ID()+" will be revoked at "+later.Format(time.RFC3339)+"\n" {
			t.Fatalf("revoke --at later: %s", r)
		}
		if _, reason := b.verify(t, k.Reveal()); reason != "" {
			t.Fatalf("a key revoked in 48h is refused now: %s", reason)
		}
		// The whole key as the argument: its id is revoked, now.
		r = keysRun(t, nil, append([]string{"revoke", k.Reveal()}, b.flags...)...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "key "+k.ID()+" revoked at ") {
			t.Fatalf("revoke KEY: %s", r)
		}
		noSecret(t, r.stdout+r.stderr, k)
		if _, reason := b.verify(t, k.Reveal()); reason != verifiers.APIKeyRevoked {
			t.Fatalf("revoked key: %q, want apikey_revoked", reason)
		}
		// Revoking again, later, keeps the earlier time.
		r = keysRun(t, nil, append([]string{"revoke", k.ID(), "--at", later.Format(time.RFC3339)}, b.flags...)...)
		if r.code != 0 || !strings.Contains(r.stderr, "was already revoked at") || strings.Contains(r.stdout, later.Format(time.RFC3339)) {
			t.Fatalf("revoke an already revoked key later: %s", r)
		}
		if _, reason := b.verify(t, k.Reveal()); reason != verifiers.APIKeyRevoked {
			t.Fatalf("revoked key after a later revoke: %q, want apikey_revoked", reason)
		}

		r = keysRun(t, nil, append([]string{"revoke", "NoSuchKey123"}, b.flags...)...)
		if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "authgate keys revoke: no key with id NoSuchKey123 in ") {
			t.Fatalf("revoke an unknown id: %s", r)
		}
	})
}

// TestKeysList: ids, subjects, scopes, environments and states, as text
// and JSON; never a secret or a hash (canary: windows of the secret and
// of the hash of every key are searched for in everything printed).
func TestKeysList(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		active := b.create(t, "--subject", "active-svc", "--scopes", "a,b")
		expiring := b.create(t, "--subject", "expiring-svc", "--expires-in", "2h", "--environment", "test")
		revoked := b.create(t, "--subject", "revoked-svc")
		revoking := b.create(t, "--subject", "revoking-svc")
		if r := keysRun(t, nil, append([]string{"revoke", revoked.ID()}, b.flags...)...); r.code != 0 {
			t.Fatal(r)
		}
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
		if r := keysRun(t, nil, append([]string{"revoke", revoking.ID(), "--at", at}, b.flags...)...); r.code != 0 {
			t.Fatal(r)
		}

		text := keysRun(t, nil, append([]string{"list"}, b.flags...)...)
		js := keysRun(t, nil, append([]string{"list", "--json"}, b.flags...)...)
		if text.code != 0 || js.code != 0 {
			t.Fatalf("list: %s\n%s", text, js)
		}
		for _, k := range []apikey.Key{active, expiring, revoked, revoking} {
			noSecret(t, text.stdout+text.stderr+js.stdout+js.stderr, k)
		}
		lines := strings.Split(strings.TrimSuffix(text.stdout, "\n"), "\n")
		if len(lines) != 5 || !regexp.MustCompile(`^ID +SUBJECT +SCOPES +ENVIRONMENT +CREATED +STATE$`).MatchString(lines[0]) {
			t.Fatalf("list:\n%s", text.stdout)
		}
		ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
		want := map[string]string{
			active.ID():   `^` + active.ID() + ` +active-svc +a,b +live +` + ts + ` +active$`,
			expiring.ID(): `^` + expiring.ID() + ` +expiring-svc +- +test +` + ts + ` +expiring at ` + ts + `$`,
			revoked.ID():  `^` + revoked.ID() + ` +revoked-svc +- +live +` + ts + ` +revoked at ` + ts + `$`,
			revoking.ID(): `^` + revoking.ID() + ` +revoking-svc +- +live +` + ts + ` +revoking at ` + regexp.QuoteMeta(at) + `$`,
		}
		var order []string
		for i, line := range lines[1:] {
			fields := strings.Fields(line)
			id := fields[0]
			order = append(order, fields[4]+" "+id) // created, id
			if w, ok := want[id]; !ok || !regexp.MustCompile(w).MatchString(line) {
				t.Errorf("line %d\n%q\ndoes not match\n%s", i+2, line, w)
			}
		}
		if !slices.IsSortedFunc(order, strings.Compare) {
			t.Errorf("keys are not listed oldest first, then by id: %v", order)
		}
		if text.stderr != "4 keys in "+strings.Join(b.where(), " ")+"\n" {
			t.Errorf("list stderr %q", text.stderr)
		}

		var keys []map[string]any
		if err := json.Unmarshal([]byte(js.stdout), &keys); err != nil || len(keys) != 4 {
			t.Fatalf("list --json: %v\n%s", err, js.stdout)
		}
		states := map[string]string{active.ID(): "active", expiring.ID(): "expiring", revoked.ID(): "revoked", revoking.ID(): "revoking"}
		byID := map[string]map[string]any{}
		for _, k := range keys {
			id, _ := k["id"].(string)
			byID[id] = k
			if k["state"] != states[id] {
				t.Errorf("key %s state %v, want %s", id, k["state"], states[id])
			}
			for name := range k {
				if !slices.Contains([]string{"id", "subject", "scopes", "environment", "created", "expires", "revoked", "state", "state_at"}, name) {
					t.Errorf("list --json has field %q", name)
				}
			}
		}
		a := byID[active.ID()]
		if a["subject"] != "active-svc" || a["environment"] != "live" || len(a["scopes"].([]any)) != 2 || a["state_at"] != nil ||
			byID[revoking.ID()]["state_at"] != at || byID[expiring.ID()]["environment"] != "test" {
			t.Errorf("list --json: %s", js.stdout)
		}
	})
}

// where is how the command names b's store in its messages.
func (b backend) where() []string {
	if b.name == "file" {
		return []string{b.flags[1]}
	}
	return []string{"schema", b.flags[3], "on", "127.0.0.1:5432"}
}

// TestKeysRotate: the new key is printed once and works at once, with
// the old key's subject, scopes and environment; the old key keeps
// working until the expiry printed, which an earlier one overrides; a
// revoked key is not rotated.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		old := b.create(t, "--subject", "reports", "--scopes", "reports:read", "--expires-in", "720h")
		r := keysRun(t, nil, append([]string{"rotate", old.ID(), "--expire-old-in", "90m"}, b.flags...)...)
		if r.code != 0 {
			t.Fatalf("rotate: %s", r)
		}
		next := onlyKey(t, r)
		noSecret(t, r.stderr, old)
		oldExp := regexp.MustCompile(`the old key ` + old.ID() + ` expires at (\S+)\n$`).FindStringSubmatch(r.stderr)
		if oldExp == nil {
			t.Fatalf("rotate does not print the old key's expiry: %s", r)
		}
		if exp, err := time.Parse(time.RFC3339, oldExp[1]); err != nil || time.Until(exp) > 90*time.Minute || time.Until(exp) < 88*time.Minute {
			t.Errorf("old key expires at %s, want in 90m", oldExp[1])
		}
		for _, k := range []apikey.Key{old, next} {
			id, reason := b.verify(t, k.Reveal())
			if reason != "" || id.Subject != "reports" || !slices.Equal(id.Scopes, []string{"reports:read"}) {
				t.Fatalf("key %s after rotation: %v %q", k.ID(), id, reason)
			}
		}
		js := keysRun(t, nil, append([]string{"list", "--json"}, b.flags...)...)
		var keys []keyJSON
		if err := json.Unmarshal([]byte(js.stdout), &keys); err != nil || len(keys) != 2 {
			t.Fatalf("list --json: %v: %s", err, js)
		}
		for _, k := range keys {
			if k.ID == next.ID() && (k.Expires == nil || time.Until(*k.Expires) < 719*time.Hour) {
				t.Errorf("the new key expires at %v, want the old key's lifetime (720h) from now", k.Expires)
			}
			if k.ID == old.ID() && (k.Expires == nil || k.Expires.UTC().Format(time.RFC3339) != oldExp[1]) {
				t.Errorf("the old key expires at %v, want %s", k.Expires, oldExp[1])
			}
		}

		// Rotating the new key with a later old expiry keeps the earlier one.
		at := time.Now().Add(2000 * time.Hour).UTC().Format(time.RFC3339)
		r = keysRun(t, nil, append([]string{"rotate", next.ID(), "--at", at, "--expires", at}, b.flags...)...)
		third := onlyKey(t, r)
		if strings.Contains(r.stderr, "the old key "+next.ID()+" expires at "+at) {
			t.Errorf("the old key's earlier expiry was not kept: %s", r)
		}
		if !strings.Contains(r.stderr, "expires at "+at+")") {
			t.Errorf("--expires %s not applied to the new key: %s", at, r)
		}
		if _, reason := b.verify(t, third.Reveal()); reason != "" {
			t.Fatalf("third key: %s", reason)
		}

		if r := keysRun(t, nil, append([]string{"revoke", third.ID()}, b.flags...)...); r.code != 0 {
			t.Fatal(r)
		}
		r = keysRun(t, nil, append([]string{"rotate", third.ID()}, b.flags...)...)
		if r.code != 1 || r.stdout != "" || r.stderr != "authgate keys rotate: key "+third.ID()+" is revoked or expired: rotating it would give its owner access again; create a new key deliberately instead\n" {
			t.Fatalf("rotate a revoked key: %s", r)
		}
		r = keysRun(t, nil, append([]string{"rotate", "NoSuchKey123"}, b.flags...)...)
		if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "authgate keys rotate: no key with id NoSuchKey123 in ") {
			t.Fatalf("rotate an unknown id: %s", r)
		}
	})
}

// TestKeysMigrate: migrate may run again; a store that was not migrated
// is a failure (1) that says how to migrate.
func TestKeysMigrate(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		r := keysRun(t, nil, append([]string{"migrate"}, b.flags...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "is ready") {
			t.Fatalf("migrate again: %s", r)
		}
		b.create(t, "--subject", "x")
		r = keysRun(t, nil, append([]string{"migrate"}, b.flags...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "(1 keys)") && b.name == "file" {
			t.Fatalf("migrate with a key: %s", r)
		}
		if _, reason := b.verify(t, b.create(t, "--subject", "y").Reveal()); reason != "" {
			t.Fatal(reason)
		}
	})
	t.Run("postgres not migrated", func(t *testing.T) {
		t.Parallel()
		needDB(t)
		r := keysRun(t, nil, "list", "--postgres", testDSN(), "--schema", "cli_never_migrated")
		if r.code != 1 || !strings.Contains(r.stderr, `relation "cli_never_migrated.api_keys" does not exist`) || !strings.Contains(r.stderr, "authgate keys migrate") {
			t.Fatalf("list on a schema never migrated: %s", r)
		}
	})
}
