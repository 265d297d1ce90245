package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/verifiers"
	"github.com/authgate/authgate/verifiers/apikey"
)

// TestKeysFileConcurrentCreates: commands creating keys in one file at
// once each add their line; none is lost to another's rewrite (the
// lock), and every printed key works.
func TestKeysFileConcurrentCreates(t *testing.T) {
	t.Parallel()
	b := fileBackend(t)
	const n = 24
	keys := make([]apikey.Key, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i] = b.create(t, "--subject", "svc") })
	}
	wg.Wait()
	s := b.open(t).(*apikey.FileStore)
	if s.Len() != n {
		t.Fatalf("%d keys in the file after %d concurrent creates", s.Len(), n)
	}
	for _, k := range keys {
		if _, reason := b.verify(t, k.Reveal()); reason != "" {
			t.Fatalf("key %s: %s", k.ID(), reason)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(b.flags[1]), ".*tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestKeysFileRewrite: a change keeps the file's mode, its comments and
// other lines, and a symbolic link; a new file is made 0600 with the
// header line; a file the server would refuse is not touched.
func TestKeysFileRewrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.txt")
	k0, _ := apikey.Generate("", "live")
	line0, _ := apikey.FormatFileLine(k0.Record("hand-written", nil, time.Now().AddDate(1, 0, 0)))
	orig := "# our keys\n" + line0 + "\n\n# end\n"
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "current.txt")
	if err := os.Symlink("keys.txt", link); err != nil {
		t.Fatal(err)
	}
	b := backend{name: "file", flags: []string{"--file", link}}
	k := b.create(t, "--subject", "new")
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), orig) || strings.Count(string(data), "\n") != 5 || !strings.HasPrefix(strings.Split(string(data), "\n")[4], k.ID()+" ") {
		t.Fatalf("file after create:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after create, want 0640 kept", st.Mode().Perm())
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	s, err := apikey.OpenFileStore(link, apikey.WithFileLogger(zerolog.Nop()))
	if err != nil || s.Len() != 2 {
		t.Fatalf("the server reads %v, %v", s, err)
	}

	fresh := filepath.Join(dir, "fresh.txt")
	if r := keysRun(t, nil, "migrate", "--file", fresh); r.code != 0 || r.stdout != "key file "+fresh+" is ready (0 keys)\n" {
		t.Fatalf("migrate --file: %s", r)
	}
	if data, _ := os.ReadFile(fresh); string(data) != apikey.FileHeader+"\n" {
		t.Errorf("new file %q", data)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v, want 0600", st.Mode().Perm())
	}

	bad := filepath.Join(dir, "bad.txt")
	badText := "# keys\n" + k0.ID() + " nothex billing - live - - -\n"
	_ = os.WriteFile(bad, []byte(badText), 0o600)
	r := keysRun(t, nil, "create", "--file", bad, "--subject", "x")
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "authgate keys create: apikey: "+bad+":2: invalid key record: field 2 (hash)") ||
		!strings.HasSuffix(r.stderr, "(fix the line by hand first; nothing was changed)\n") {
		t.Fatalf("create in a bad file: %s", r)
	}
	if data, _ := os.ReadFile(bad); string(data) != badText {
		t.Errorf("the bad file was changed:\n%s", data)
	}
	r = keysRun(t, nil, "revoke", "--file", filepath.Join(dir, "missing.txt"), k0.ID())
	if r.code != 1 || !strings.Contains(r.stderr, "missing.txt does not exist") {
		t.Fatalf("revoke in a missing file: %s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("revoke created the missing file")
	}
	r = keysRun(t, nil, "list", "--file", filepath.Join(dir, "missing.txt"))
	if r.code != 1 || r.stderr != "authgate keys list: key file "+filepath.Join(dir, "missing.txt")+" does not exist (authgate keys create or migrate --file makes one)\n" {
		t.Fatalf("list a missing file: %s", r)
	}
	r = keysRun(t, nil, "create", "--subject", "x", "--file", filepath.Join(dir, "no", "such", "dir", "keys.txt"))
	if r.code != 1 || !strings.HasSuffix(r.stderr, "keys.txt: its directory does not exist\n") {
		t.Fatalf("create in a missing directory: %s", r)
	}
}

// TestKeysFileConcurrentProcesses: the same with the real binary, one
// process per create, revokes among them: the lock holds across
// processes, and every change is in the file at the end.
func TestKeysFileConcurrentProcesses(t *testing.T) {
	t.Parallel()
	bin := authgateBinary(t)
	b := fileBackend(t)
	first := b.create(t, "--subject", "first")
	const n = 16
	keys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out, err := exec.Command(bin, "keys", "create", "--file", b.flags[1], "--subject", "proc").Output()
			if err != nil {
				t.Errorf("create %d: %v", i, err)
			}
			keys[i] = strings.TrimSuffix(string(out), "\n")
		})
	}
	wg.Go(func() {
		if out, err := exec.Command(bin, "keys", "revoke", "--file", b.flags[1], first.ID()).CombinedOutput(); err != nil {
			t.Errorf("revoke: %v\n%s", err, out)
		}
	})
	wg.Wait()
	if t.Failed() {
		return
	}
	if s := b.open(t).(*apikey.FileStore); s.Len() != n+1 {
		t.Fatalf("%d keys in the file after %d concurrent creates and a revoke, want %d", s.Len(), n, n+1)
	}
	for _, k := range keys {
		if _, reason := b.verify(t, k); reason != "" {
			t.Fatalf("a key created concurrently: %s", reason)
		}
	}
	if _, reason := b.verify(t, first.Reveal()); reason != verifiers.APIKeyRevoked {
		t.Fatalf("the key revoked among the creates: %q, want apikey_revoked", reason)
	}
}
