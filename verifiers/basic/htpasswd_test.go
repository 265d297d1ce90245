package basic

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/authgate/authgate/authgatetest"
	"github.com/authgate/authgate/verifiers"
)

func TestOpenFileStore(t *testing.T) {
	t.Parallel()
	alice := authgatetest.PasswordHash(t, "alicepw")
	bob := authgatetest.PasswordHash(t, "bobpw")
	good := "# admins\nalice:" + alice + "\n\n   \nbob:" + bob + "\n"
	p := writeFile(t, "users.htpasswd", good)
	f, err := OpenFileStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 2 || f.Path() != p || f.String() != "htpasswd file "+p {
		t.Errorf("Len %d Path %q String %q", f.Len(), f.Path(), f.String())
	}
	v := newVerifier(t, f)
	for user, pw := range map[string]string{"alice": "alicepw", "bob": "bobpw"} {
		if _, err := v.Verify(basicReq(user, pw)); err != nil {
			t.Errorf("%s: %v", user, err)
		}
	}
	_, err = v.Verify(basicReq("carol", "x"))
	if rej := rejection(t, err); rej.Reason != verifiers.UserUnknown || !strings.Contains(rej.Detail, "htpasswd file "+p) {
		t.Errorf("unknown user: %v", rej)
	}
}

func TestOpenFileStore_formats(t *testing.T) {
	t.Parallel()
	bc := authgatetest.PasswordHash(t, "pw")
	ar := argonHash("pw", 64, 1, 1)
	tests := []struct {
		name     string
		content  string
		wantErr  error  // errors.Is, when set
		wantMsg  string // substring; "" means the file loads
		wantLine string // ":N:" expected in the message
		wantLen  int
	}{
		{name: "bcrypt_2y_2a_2b", content: "a:$2y$" + bc[4:] + "\nb:$2a$" + bc[4:] + "\nc:$2b$" + bc[4:] + "\n", wantLen: 3},
		{name: "argon2id", content: "a:" + ar + "\n", wantLen: 1},
		{name: "CRLF_line_ends", content: "a:" + bc + "\r\nb:" + ar + "\r\n", wantLen: 2},
		{name: "no_final_newline", content: "a:" + bc, wantLen: 1},
		{name: "extra_fields_ignored", content: "a:" + bc + ":admins:Alice A.\n", wantLen: 1},
		{name: "comments_and_blank_lines", content: "#x:plain\n\n\t\na:" + bc + "\n# end\n", wantLen: 1},
		{name: "empty_file", content: "", wantLen: 0},
		{name: "insecure_plain_text", content: "a:" + bc + "\nbob:hunter2-plain!\n", wantErr: ErrInsecureHash, wantMsg: "plain text", wantLine: ":2:"},
		{name: "insecure_crypt", content: "# c\nbob:rl0uE7e0LTz/U\n", wantErr: ErrInsecureHash, wantMsg: "DES crypt", wantLine: ":2:"},
		{name: "insecure_apr1", content: "bob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n", wantErr: ErrInsecureHash, wantMsg: "MD5 ($apr1$)", wantLine: ":1:"},
		{name: "insecure_md5_crypt", content: "\n\nbob:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/\n", wantErr: ErrInsecureHash, wantMsg: "MD5-crypt", wantLine: ":3:"},
		{name: "insecure_SHA", content: "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", wantErr: ErrInsecureHash, wantMsg: "SHA-1 ({SHA})", wantLine: ":1:"},
		{name: "insecure_SSHA", content: "bob:{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9gxyz==\n", wantErr: ErrInsecureHash, wantMsg: "salted SHA-1", wantLine: ":1:"},
		{name: "unsupported_sha512crypt", content: "bob:$6$salt$abc\n", wantErr: ErrUnsupportedHash, wantMsg: "SHA-512-crypt", wantLine: ":1:"},
		{name: "malformed_bcrypt", content: "bob:" + bc[:50] + "\n", wantErr: ErrMalformedHash, wantMsg: "60 in all", wantLine: ":1:"},
		{name: "trailing_space_after_hash", content: "bob:" + bc + " \n", wantErr: ErrMalformedHash, wantLine: ":1:"},
		{name: "empty_hash", content: "bob:\n", wantErr: ErrMalformedHash, wantMsg: "empty", wantLine: ":1:"},
		{name: "no_colon", content: "a:" + bc + "\nbob\n", wantMsg: "no colon", wantLine: ":2:"},
		{name: "duplicate_user", content: "a:" + bc + "\nb:" + bc + "\na:" + bc + "\n", wantMsg: `user 'a' is listed again (first on line 1)`, wantLine: ":3:"},
		{name: "empty_user", content: ":" + bc + "\n", wantMsg: "empty user name", wantLine: ":1:"},
		{name: "user_with_control", content: "a\x01b:" + bc + "\n", wantMsg: "control character", wantLine: ":1:"},
		{name: "user_invalid_utf8", content: "a\xffb:" + bc + "\n", wantMsg: "not valid UTF-8", wantLine: ":1:"},
		{name: "user_too_long", content: strings.Repeat("u", 256) + ":" + bc + "\n", wantMsg: "longer than 255 bytes", wantLine: ":1:"},
		{name: "too_expensive_bcrypt_cost_15", content: "a:" + bc + "\nbob:$2y$15$" + bc[7:] + "\n", wantErr: ErrHashTooExpensive, wantMsg: `user 'bob': password hash too expensive to check: bcrypt cost 15 is over the maximum of 14`, wantLine: ":2:"},
		{name: "too_expensive_bcrypt_cost_31", content: "# c\n\nbob:$2y$31$" + bc[7:] + "\n", wantErr: ErrHashTooExpensive, wantMsg: "bcrypt cost 31 is over the maximum of 14 (MaxBcryptCost)", wantLine: ":3:"},
		{name: "too_expensive_argon2id_1GiB", content: "a:" + bc + "\nb:" + ar + "\ncarol:" + strings.Replace(ar, "m=64", "m=1048576", 1) + "\n", wantErr: ErrHashTooExpensive, wantMsg: `user 'carol': password hash too expensive to check: argon2id: m=1048576 KiB (1024 MiB) is over the maximum of 131072 KiB`, wantLine: ":3:"},
		{name: "line_too_long", content: "a:" + bc + "\n" + strings.Repeat("x", 5000) + "\n", wantMsg: "line longer than 4096 bytes", wantLine: ":2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "users.htpasswd", tc.content)
			f, err := OpenFileStore(p, WithFileLogger(zerolog.Nop()))
			if tc.wantMsg == "" && tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if f.Len() != tc.wantLen {
					t.Errorf("%d users, want %d", f.Len(), tc.wantLen)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded")
			}
			var le *FileError
			if !errors.As(err, &le) || le.Path != p {
				t.Fatalf("error %v is not a *FileError for %s", err, p)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "basic: "+p+tc.wantLine) {
				t.Errorf("error %q does not start with %q", err, "basic: "+p+tc.wantLine)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			// The error never quotes a hash, which may be a plain password.
			for _, secret := range []string{"hunter2-plain!", "rl0uE7e0LTz/U", "HqJZimcKQFAMYayBlzkrA", "W6ph5Mm5Pz8GgiULbPgzG37mj9g", bc[7:]} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes a hash", err)
				}
			}
		})
	}
}

func TestOpenFileStore_missing(t *testing.T) {
	t.Parallel()
	_, err := OpenFileStore("/nonexistent/users.htpasswd")
	var le *FileError
	if !errors.As(err, &le) || le.Line != 0 || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "basic: /nonexistent/users.htpasswd: ") {
		t.Errorf("error %q", got)
	}
}

func TestOpenFileStore_too_large(t *testing.T) {
	t.Parallel()
	_, err := parseHtpasswd("big", strings.NewReader(strings.Repeat("# comment line\n", MaxFileSize/15+1)), 1)
	if err == nil || !strings.Contains(err.Error(), "basic: big: file larger than") {
		t.Fatalf("error %v", err)
	}
}

func TestFileStore_Reload(t *testing.T) {
	t.Parallel()
	old := authgatetest.PasswordHash(t, "old")
	neu := authgatetest.PasswordHash(t, "new")
	p := writeFile(t, "users.htpasswd", "alice:"+old+"\n")
	f, err := OpenFileStore(p)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, f)
	if _, err := v.Verify(basicReq("alice", "old")); err != nil {
		t.Fatal(err)
	}

	// A good file replaces the old content.
	if err := os.WriteFile(p, []byte("alice:"+neu+"\nbob:"+old+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(basicReq("alice", "new")); err != nil {
		t.Errorf("new password after reload: %v", err)
	}
	_, err = v.Verify(basicReq("alice", "old"))
	if rej := rejection(t, err); rej.Reason != verifiers.PasswordMismatch {
		t.Errorf("old password after reload: %v", rej)
	}
	if _, err := v.Verify(basicReq("bob", "old")); err != nil {
		t.Errorf("added user after reload: %v", err)
	}

	// A bad file is refused, names file and line, and the old content stays.
	if err := os.WriteFile(p, []byte("alice:"+neu+"\ncarol:$apr1$x$y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = f.Reload()
	if !errors.Is(err, ErrInsecureHash) || !strings.HasPrefix(err.Error(), "basic: "+p+":2: ") {
		t.Fatalf("reload of a bad file: %v", err)
	}
	if f.Len() != 2 {
		t.Errorf("%d users after a failed reload, want the old 2", f.Len())
	}
	if _, err := v.Verify(basicReq("bob", "old")); err != nil {
		t.Errorf("old content not kept after a failed reload: %v", err)
	}

	// A vanished file is refused too.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := f.Reload(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reload of a missing file: %v", err)
	}
	if f.Len() != 2 {
		t.Errorf("%d users after a failed reload", f.Len())
	}
}

func TestFileStore_decoy(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "users.htpasswd", "a:"+bcryptHash(t, "x", 4)+"\nb:"+bcryptHash(t, "x", 6)+"\nc:"+bcryptHash(t, "x", 5)+"\n")
	f, err := OpenFileStore(p)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Decoy(); d.alg != AlgBcrypt || d.Params() != "cost 6" {
		t.Errorf("decoy %s %s, want bcrypt cost 6", d.alg, d.Params())
	}
}

// loadLogged loads the file at p with a logger into a buffer and returns
// the file and the log.
func loadLogged(t *testing.T, p string) (*FileStore, *authgatetest.Log) {
	t.Helper()
	buf := &authgatetest.Log{}
	f, err := OpenFileStore(p, WithFileLogger(buf.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	return f, buf
}

// TestOpenFileStore_warns_weak_and_mixed_costs: a file whose users have costs
// below 10, or cheaper than its strongest hash, loads, and OpenFileStore logs
// one warning naming those users with their costs and saying what it
// costs; Reload logs it again, once.
func TestOpenFileStore_warns_weak_and_mixed_costs(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "users.htpasswd", "alice:"+bcryptHash(t, "x", 6)+"\nbob:"+bcryptHash(t, "x", 4)+"\ncarol:"+bcryptHash(t, "x", 6)+"\n")
	f, buf := loadLogged(t, p)
	evs := buf.Events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events: %s", len(evs), buf)
	}
	ev := evs[0]
	want := "basic: the htpasswd file has 3 users with a weak hash (below bcrypt cost 10, or argon2id below m=19456,t=2 or its equivalents): a stolen copy of the file cracks each bcrypt one 2^(10-cost) times faster than at cost 10 (32 times at cost 5); re-hash them with htpasswd -B -C 10 or more; and 1 user whose hash is cheaper than the file's strongest (bcrypt cost 6) or of the other algorithm: each check of theirs also runs decoy work up to bcrypt cost 6, so that timing does not tell users apart; they cost that much CPU per login while their hash protects them only as well as its own cost does; re-hash them like the strongest"
	if ev["level"] != "warn" || ev["message"] != want || ev["path"] != p || ev["strongest"] != "bcrypt cost 6" {
		t.Errorf("event %v\nwant message %q", ev, want)
	}
	if got := fmt.Sprint(ev["weak_users"]); got != "[alice (bcrypt cost 6) bob (bcrypt cost 4) carol (bcrypt cost 6)]" {
		t.Errorf("weak_users %s", got)
	}
	if got := fmt.Sprint(ev["cheaper_users"]); got != "[bob (bcrypt cost 4)]" {
		t.Errorf("cheaper_users %s", got)
	}
	buf.Reset()
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := len(buf.Events(t)); n != 1 {
		t.Errorf("%d events on Reload, want 1", n)
	}
}

// TestOpenFileStore_no_warning_for_uniform_strong_costs: cost 10 for everyone
// is what the warning asks for: nothing is logged.
func TestOpenFileStore_no_warning_for_uniform_strong_costs(t *testing.T) {
	t.Parallel()
	h := bcryptHash(t, "x", 10)
	_, buf := loadLogged(t, writeFile(t, "users.htpasswd", "alice:"+h+"\nbob:$2y$"+h[4:]+"\n"))
	if buf.String() != "" {
		t.Errorf("logged %s", buf)
	}
}

// TestOpenFileStore_warns_mixed_algorithms: a file mixing bcrypt and argon2id
// names the users of the minority algorithm.
func TestOpenFileStore_warns_mixed_algorithms(t *testing.T) {
	t.Parallel()
	b := bcryptHash(t, "x", 10)
	a := argonHash("x", 40000, 1, 1)
	_, buf := loadLogged(t, writeFile(t, "users.htpasswd", "alice:"+b+"\nbob:"+b+"\ncarol:"+a+"\n"))
	evs := buf.Events(t)
	if len(evs) != 1 || fmt.Sprint(evs[0]["cheaper_users"]) != "[carol (argon2id m=40000,t=1,p=1)]" ||
		evs[0]["strongest"] != "bcrypt cost 10 plus argon2id m=40000,t=1,p=1" || evs[0]["weak_users"] != nil {
		t.Errorf("events %v", evs)
	}
}

// TestOpenFileStore_warns_empty: a file without users (empty, or only comments
// and blank lines) loads with a warning.
func TestOpenFileStore_warns_empty(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", "# no users yet\n\n   \n"} {
		f, buf := loadLogged(t, writeFile(t, "users.htpasswd", content))
		evs := buf.Events(t)
		if f.Len() != 0 || len(evs) != 1 || evs[0]["level"] != "warn" ||
			evs[0]["message"] != "basic: the htpasswd file holds no users (it is empty or only comments): every Basic login checked against it is refused" {
			t.Errorf("%q: events %v", content, evs)
		}
	}
}
