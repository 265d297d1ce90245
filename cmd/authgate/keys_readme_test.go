package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

var (
	binOnce sync.Once
	binFile string
	binErr  error
)

// authgateBinary builds the command once for the tests that run it as a
// user would.
func authgateBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the authgate binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authgate-bin")
		if err != nil {
			binErr = err
			return
		}
		binFile = filepath.Join(dir, "authgate")
		if out, err := exec.Command("go", "build", "-o", binFile, ".").CombinedOutput(); err != nil {
			binErr = &buildErr{string(out)}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binFile
}

type buildErr struct{ out string }

func (e *buildErr) Error() string { return "building authgate:\n" + e.out }

// readmeBlocks returns the sh blocks of the README's "Managing keys".
func readmeBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Managing keys\n")
	if i < 0 {
		t.Fatal("README has no Managing keys section")
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n## "); j > 0 {
		s = s[:j]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// runScript runs script with bash in dir, the built authgate first in
// PATH, and fails t unless it succeeds.
func runScript(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	bin := authgateBinary(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README commands failed: %v\n%s\nscript:\n%s", err, out, script)
	}
	return string(out)
}

// adapt makes a README block runnable: the example id becomes the id of
// the key the block created, and jq, where missing, reads and prints
// nothing.
func adapt(block string) string {
	block = strings.ReplaceAll(block, "Zx81bQ0aLm3c", `"$(echo "$KEY" | cut -d_ -f3)"`)
	if _, err := exec.LookPath("jq"); err != nil {
		block = "jq() { cat >/dev/null; }\n" + block
	}
	return block
}

// TestReadmeManagingKeys runs the README's key-file commands and its
// PostgreSQL commands as they are printed (with the real key's id for the
// example's, and a schema of the test's own), then checks the stores.
func TestReadmeManagingKeys(t *testing.T) {
	t.Parallel()
	blocks := readmeBlocks(t)
	if len(blocks) < 2 {
		t.Fatalf("Managing keys has %d sh blocks, want the key file's and PostgreSQL's", len(blocks))
	}
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		script := adapt(blocks[0])
		script = strings.ReplaceAll(script, `kill -HUP "$SERVER_PID"`, `kill -0 "$SERVER_PID"`) // no server here: check the variable's process
		sleep := exec.Command("sleep", "60")
		if err := sleep.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
		runScript(t, dir, script+"\necho \"$KEY\" > key.out\n", "SERVER_PID="+strconv.Itoa(sleep.Process.Pid))
		key, _ := os.ReadFile(filepath.Join(dir, "key.out"))
		b := backend{name: "file", open: func(t testing.TB) apikey.Store { return openFile(t, filepath.Join(dir, "keys.txt")) }}
		if _, reason := b.verify(t, strings.TrimSpace(string(key))); reason != verifiers.APIKeyRevoked {
			t.Errorf("the README's key after its revoke: %q, want apikey_revoked", reason)
		}
		if n := openFile(t, filepath.Join(dir, "keys.txt")).Len(); n != 2 {
			t.Errorf("%d keys in the README's file, want 2 (created, rotated)", n)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		b := pgBackend(t)
		script := "authgate() { command authgate \"$@\" --schema " + b.flags[3] + "; }\n" + adapt(blocks[1])
		script = strings.Replace(script, "export AUTHGATE_POSTGRES='postgres://authgate@db.internal:5432/api'", "export AUTHGATE_POSTGRES='"+testDSN()+"'", 1)
		if !strings.Contains(script, testDSN()) {
			t.Fatal("the README's PostgreSQL block no longer sets AUTHGATE_POSTGRES as the test expects")
		}
		out := runScript(t, t.TempDir(), script+"\necho \"KEY=$KEY\"\n")
		m := regexp.MustCompile(`(?m)^KEY=(\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no key in the output:\n%s", out)
		}
		// The README schedules the key's revocation at a fixed time.
		id, reason := b.verify(t, m[1])
		if time.Now().Before(time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)) {
			if reason != "" || id.Subject != "reports" {
				t.Fatalf("the README's key before its scheduled revocation: %v %q", id, reason)
			}
		} else if reason != verifiers.APIKeyRevoked {
			t.Fatalf("the README's key after its scheduled revocation: %q, want apikey_revoked", reason)
		}
	})
}

func openFile(t testing.TB, path string) *apikey.FileStore {
	t.Helper()
	s, err := apikey.OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binFile != "" {
		os.RemoveAll(filepath.Dir(binFile))
	}
	os.Exit(code)
}
