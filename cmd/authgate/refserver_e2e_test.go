package main

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReferenceServerBinary runs the real reference server
// (examples/server, demo mode) and gives the doctor the very arguments of
// the curl commands the demo prints: the doctor takes curl's flags, and
// names the cause of each scenario.
func TestReferenceServerBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds examples/server")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "-C", "../../examples/server", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the reference server: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-log-level", "error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	var banner []string
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening on ") {
				close(ready)
				break
			}
			banner = append(banner, sc.Text())
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the reference server did not start")
	}

	// The demo's scenario titles, and the cause the doctor must name.
	want := map[string]string{
		"API key accepted":                                  "authorized",
		"Basic user accepted":                               "authorized",
		"Bearer token accepted":                             "authorized",
		"no credentials: both challenges, Bearer first":     "no_credentials",
		"wrong scheme: Basic on an API key route":           "wrong_scheme",
		"expired token: the log says when and how long ago": "invalid_credential",
		"token for another audience: the log shows both":    "other_environment",
		"token without scope orders:write":                  "insufficient_scope",
		"API key with a typo: caught by its checksum":       "invalid_credential",
		"a test key sent to this live server":               "other_environment",
		"wrong password":                                    "invalid_credential",
		"bad credentials on the catalog are still rejected": "invalid_credential",
	}
	expectRE := regexp.MustCompile(`^# (.+) -> expect `)
	secretRE := regexp.MustCompile(`(X-API-Key: |Bearer |admin:)([^' ]+)`)
	seen := 0
	for i := 0; i+1 < len(banner); i++ {
		m := expectRE.FindStringSubmatch(banner[i])
		if m == nil {
			continue
		}
		cause, ok := want[m[1]]
		if !ok {
			continue
		}
		seen++
		line := banner[i+1]
		args := shellSplit(t, strings.TrimPrefix(line, "curl -si "))
		var secrets []string
		for _, sm := range secretRE.FindAllStringSubmatch(line, -1) {
			secrets = append(secrets, sm[2])
		}
		t.Run(m[1], func(t *testing.T) {
			r := doctorRun(t, append([]string{"--timeout", "3s"}, args...)...)
			code := 1
			if cause == "authorized" {
				code = 0
			}
			expect(t, r, code, cause, "", secrets...)
		})
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d demo scenarios in the banner", seen, len(want))
	}
}

// shellSplit splits a command line quoted by examples/server's shellQuote
// (words, and '...' with '\” for a quote).
func shellSplit(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	in, inWord := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && !in:
			in, inWord = true, true
		case c == '\'' && in:
			in = false
		case c == '\\' && !in && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ' ' && !in:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if in {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
