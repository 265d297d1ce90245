package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKeyFileWithTheCommand: the key-file workflow of the README's
// "Managing keys", end to end: keys made, rotated and revoked with the
// authgate binary in the file a running server reads, which picks each
// change up on SIGHUP.
func TestKeyFileWithTheCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/authgate")
	}
	cli := cliBinary(t)
	path := filepath.Join(t.TempDir(), "keys.txt")
	keys := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, append(append([]string{"keys"}, args...), "--file", path)...).Output()
		if err != nil {
			t.Fatalf("authgate keys %v: %v", args, err)
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	first := keys("create", "--subject", "reports-service", "--scopes", "reports:read")
	s := start(t, "-apikeys", path, "-log-level", "info")
	f := &fleet{client: newClient(t)}
	reloads := 0
	hup := func() {
		t.Helper()
		reloads++
		if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); len(s.events(t, "reloaded")) < reloads; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no reload logged after SIGHUP %d", reloads)
			}
		}
	}
	if code, reason := f.get(t, s, first); code != 200 {
		t.Fatalf("the key made before the start: %d %s", code, reason)
	}
	next := keys("rotate", strings.Split(first, "_")[2], "--expire-old-in", "1h")
	if code, reason := f.get(t, s, next); code != 401 || reason != "credentials_invalid" {
		t.Fatalf("the rotated key before SIGHUP: %d %s, want 401 credentials_invalid (apikey_unknown)", code, reason)
	}
	hup()
	for _, k := range []string{first, next} {
		if code, reason := f.get(t, s, k); code != 200 {
			t.Fatalf("after the rotation and SIGHUP: %d %s, want both keys working", code, reason)
		}
	}
	keys("revoke", first)
	hup()
	if code, reason := f.get(t, s, first); code != 401 || reason != "apikey_revoked" {
		t.Fatalf("the revoked key after SIGHUP: %d %s, want 401 apikey_revoked", code, reason)
	}
	if code, _ := f.get(t, s, next); code != 200 {
		t.Fatalf("the new key after the old one's revocation: %d", code)
	}
	log := s.stderr.String()
	for _, k := range []string{first, next} {
		if strings.Contains(log, k[len(k)-28:]) {
			t.Fatal("the server logged a key's secret")
		}
	}
}
