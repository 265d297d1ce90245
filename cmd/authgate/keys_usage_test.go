package main

import (
	"strings"
	"testing"
)

// TestKeysUsage: a bad command line is exit status 2 with one precise
// error on stderr and nothing on stdout; nothing quotes what may be a
// key.
func TestKeysUsage(t *testing.T) {
	t.Parallel()
	f := []string{"--file", t.TempDir() + "/keys.txt"}
	key := "ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgf"
	mistyped := "ak_live_Zx81bQ0aLm3c_5yX0Kq2hTf9RbLw7Pe3NmA27Qbgx"
	cases := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no subcommand", nil, nil, "authgate keys: no subcommand given"},
		{"unknown subcommand", nil, []string{"delete"}, `authgate keys: unknown subcommand "delete": create, revoke, list, rotate or migrate`},
		{"no store", nil, []string{"list"}, "authgate keys list: no store: give --file PATH or --postgres URL (or set AUTHGATE_POSTGRES)"},
		{"two stores", nil, append([]string{"list", "--postgres", "postgres://x"}, f...), "authgate keys list: --file and --postgres: give one store"},
		{"schema with a file", nil, append([]string{"list", "--schema", "s"}, f...), "authgate keys list: --schema is for --postgres, not --file"},
		{"create without subject", nil, append([]string{"create"}, f...), "authgate keys create: --subject is required: the key's owner, such as billing-service"},
		{"flag of another subcommand", nil, append([]string{"list", "--subject", "x"}, f...), "authgate keys list: --subject is not a flag of list"},
		{"revoke without id", nil, append([]string{"revoke"}, f...), "authgate keys revoke: revoke takes one key id, got 0 arguments"},
		{"revoke two ids", nil, append([]string{"revoke", "a", "b"}, f...), "authgate keys revoke: revoke takes one key id, got 2 arguments"},
		{"bad id", nil, append([]string{"revoke", "a b"}, f...), "authgate keys revoke: the argument (3 characters) is not a key id: id has byte 0x20 at offset 1, outside A-Z a-z 0-9 _.~:-"},
		{"mistyped key as id", nil, append([]string{"revoke", mistyped}, f...), "authgate keys revoke: the argument (49 characters) looks like an API key but does not parse as one; give the key's id (authgate keys list shows them)"},
		{"bad time", nil, append([]string{"revoke", "abc", "--at", "tomorrow"}, f...), `authgate keys revoke: --at: "tomorrow" is not an RFC 3339 time such as 2026-12-24T18:00:00Z`},
		{"past expiry", nil, append([]string{"create", "--subject", "x", "--expires", "2020-01-01T00:00:00Z"}, f...), "authgate keys create: --expires: 2020-01-01T00:00:00Z is not in the future"},
		{"two expiries", nil, append([]string{"create", "--subject", "x", "--expires", "2030-01-01T00:00:00Z", "--expires-in", "1h"}, f...), "authgate keys create: --expires-in and --expires: give one"},
		{"negative expires-in", nil, append([]string{"create", "--subject", "x", "--expires-in", "-1h"}, f...), "authgate keys create: --expires-in: -1h0m0s is not positive"},
		{"two old expiries", nil, append([]string{"rotate", "abc", "--at", "2030-01-01T00:00:00Z", "--expire-old-in", "1h"}, f...), "authgate keys rotate: --expire-old-in and --at: give one"},
		{"bad environment", nil, append([]string{"create", "--subject", "x", "--environment", "Prod"}, f...), `authgate keys create: apikey: invalid name: environment 'Prod' must be 1 to 16 characters a-z0-9`},
		{"bad subject", nil, append([]string{"create", "--subject", "a b"}, f...), "authgate keys create: key "},
		{"bad scope", nil, append([]string{"create", "--subject", "x", "--scopes", `a"b`}, f...), "authgate keys create: key "},
		{"list takes no argument", nil, append([]string{"list", "x"}, f...), "authgate keys list: list takes no argument, got 1"},
		{"unknown flag", nil, append([]string{"list", "--force"}, f...), "authgate keys list: flag provided but not defined: -force"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := keysRun(t, c.vars, c.args...)
			if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, c.want) && !strings.Contains(r.stderr, "\n"+c.want) {
				t.Fatalf("want exit 2 and %q\n%s", c.want, r)
			}
			if strings.Contains(r.stderr, key[21:]) || strings.Contains(r.stderr, mistyped[21:]) {
				t.Fatalf("stderr quotes the key: %s", r.stderr)
			}
		})
	}
	// The program's usage lists the command.
	if r := keysRun(t, nil, "--help"); r.code != 0 {
		t.Errorf("keys --help: %s", r)
	}
	var out, errb strings.Builder
	if code := run(t.Context(), env{stdout: &out, stderr: &errb}, nil); code != 2 || !strings.Contains(errb.String(), "  keys     create, revoke, list and rotate API keys") {
		t.Errorf("authgate without a command: exit %d\n%s", code, errb.String())
	}
	// -h is not an error.
	if r := keysRun(t, nil, "-h"); r.code != 0 || !strings.Contains(r.stderr, "Usage: authgate keys") {
		t.Errorf("keys -h: %s", r)
	}
	if r := keysRun(t, nil, "create", "-h"); r.code != 0 || !strings.Contains(r.stderr, "-expire-old-in") {
		t.Errorf("keys create -h: %s", r)
	}
}

// TestKeysStoreChoice: --file wins over AUTHGATE_POSTGRES, which stands
// for --postgres only when no store flag is given.
func TestKeysStoreChoice(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/keys.txt"
	vars := map[string]string{"AUTHGATE_POSTGRES": "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"}
	if r := keysRun(t, vars, "migrate", "--file", path); r.code != 0 || r.stdout != "key file "+path+" is ready (0 keys)\n" {
		t.Fatalf("--file with AUTHGATE_POSTGRES set: %s", r)
	}
	if r := keysRun(t, vars, "list"); r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Fatalf("AUTHGATE_POSTGRES alone: %s", r)
	}
}
