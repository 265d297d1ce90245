package main

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// TestKeysPostgresPasswordNeverPrinted: the password of the connection
// string is in no output, whether the server is unreachable, the string
// does not parse, or all goes well; AUTHGATE_POSTGRES stands for
// --postgres.
func TestKeysPostgresPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	const pw = "Canary-Pw-7f3a91c2"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	cases := []struct {
		name, dsn string
		code      int
		want      string
	}{
		{"unreachable", "postgres://authgate:" + pw + "@" + closed + "/test?sslmode=disable&connect_timeout=2", 1, "authgate keys list: pgstore: list keys: failed to connect to `user=authgate database=test`"},
		{"unparsable", "postgres://authgate:" + pw + "@127.0.0.1:5432/te st", 1, "authgate keys list: --postgres: cannot parse `postgres://authgate:xxxxx@127.0.0.1:5432/te st`"},
		{"keyword form unreachable", "host=127.0.0.1 port=" + strings.Split(closed, ":")[1] + " user=authgate password=" + pw + " dbname=test connect_timeout=2", 1, "authgate keys list: pgstore: list keys: failed to connect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range []keysResult{
				keysRun(t, nil, "list", "--postgres", c.dsn),
				keysRun(t, map[string]string{"AUTHGATE_POSTGRES": c.dsn}, "list"),
			} {
				if r.code != c.code || !strings.HasPrefix(r.stderr, c.want) {
					t.Errorf("want exit %d and %q\n%s", c.code, c.want, r)
				}
				if strings.Contains(r.stdout+r.stderr, pw) {
					t.Fatalf("the password is printed:\n%s", r)
				}
			}
		})
	}
	t.Run("reachable", func(t *testing.T) {
		t.Parallel()
		b := pgBackend(t)
		u, err := url.Parse(testDSN())
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), pw) // the test server trusts, and ignores it
		flags := []string{"--postgres", u.String(), "--schema", b.flags[3]}
		var out string
		for _, args := range [][]string{{"create", "--subject", "x"}, {"list"}, {"list", "--json"}, {"migrate"}} {
			r := keysRun(t, nil, append(args, flags...)...)
			if r.code != 0 {
				t.Fatalf("%v: %s", args, r)
			}
			out += r.stdout + r.stderr
		}
		if strings.Contains(out, pw) {
			t.Fatalf("the password is printed:\n%s", out)
		}
	})
}
