package main

import (
	"encoding/json"
	"testing"
	"time"
)

// TestKeysRotateKeepsScheduledRevocation: a key whose revocation is
// scheduled, once rotated, hands the same revocation time to the new key
// on both stores; a rotation never undoes a revocation.
func TestKeysRotateKeepsScheduledRevocation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		old := b.create(t, "--subject", "reports", "--scopes", "reports:read")
		at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		if r := keysRun(t, nil, append([]string{"revoke", old.ID(), "--at", at.Format(time.RFC3339)}, b.flags...)...); r.code != 0 {
			t.Fatalf("revoke --at: %s", r)
		}
		r := keysRun(t, nil, append([]string{"rotate", old.ID()}, b.flags...)...)
		if r.code != 0 {
			t.Fatalf("rotate: %s", r)
		}
		next := onlyKey(t, r)
		js := keysRun(t, nil, append([]string{"list", "--json"}, b.flags...)...)
		var keys []keyJSON
		if err := json.Unmarshal([]byte(js.stdout), &keys); err != nil {
			t.Fatalf("list --json: %v: %s", err, js)
		}
		found := false
		for _, k := range keys {
			if k.ID != next.ID() {
				continue
			}
			found = true
			if k.Revoked == nil || !k.Revoked.Equal(at) {
				t.Errorf("the new key's revocation is %v, want the old key's scheduled %s", k.Revoked, at)
			}
		}
		if !found {
			t.Fatalf("the new key %s is not listed: %s", next.ID(), js)
		}
	})
}
