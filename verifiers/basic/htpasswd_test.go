package basic

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/authgate/authgate/verifiers"
)

func TestLoadFile(t *testing.T) {
	t.Parallel()
	alice := bcryptHash(t, "alicepw", bcrypt.MinCost)
	bob := bcryptHash(t, "bobpw", bcrypt.MinCost)
	good := "# admins\nalice:" + alice + "\n\n   \nbob:" + bob + "\n"
	p := writeFile(t, "users.htpasswd", good)
	f, err := LoadFile(p)
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

func TestLoadFile_formats(t *testing.T) {
	t.Parallel()
	bc := bcryptHash(t, "pw", bcrypt.MinCost)
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
		{name: "duplicate_user", content: "a:" + bc + "\nb:" + bc + "\na:" + bc + "\n", wantMsg: `user "a" is listed again (first on line 1)`, wantLine: ":3:"},
		{name: "empty_user", content: ":" + bc + "\n", wantMsg: "empty user name", wantLine: ":1:"},
		{name: "user_with_control", content: "a\x01b:" + bc + "\n", wantMsg: "control character", wantLine: ":1:"},
		{name: "user_invalid_utf8", content: "a\xffb:" + bc + "\n", wantMsg: "not valid UTF-8", wantLine: ":1:"},
		{name: "user_too_long", content: strings.Repeat("u", 256) + ":" + bc + "\n", wantMsg: "longer than 255 bytes", wantLine: ":1:"},
		{name: "line_too_long", content: "a:" + bc + "\n" + strings.Repeat("x", 5000) + "\n", wantMsg: "line longer than 4096 bytes", wantLine: ":2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "users.htpasswd", tc.content)
			f, err := LoadFile(p)
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
			var le *LoadError
			if !errors.As(err, &le) || le.Path != p {
				t.Fatalf("error %v is not a *LoadError for %s", err, p)
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

func TestLoadFile_missing(t *testing.T) {
	t.Parallel()
	_, err := LoadFile("/nonexistent/users.htpasswd")
	var le *LoadError
	if !errors.As(err, &le) || le.Line != 0 || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "basic: /nonexistent/users.htpasswd: ") {
		t.Errorf("error %q", got)
	}
}

func TestLoadFile_too_large(t *testing.T) {
	t.Parallel()
	_, err := parseHtpasswd("big", strings.NewReader(strings.Repeat("# comment line\n", MaxFileSize/15+1)), 1)
	if err == nil || !strings.Contains(err.Error(), "basic: big: file larger than") {
		t.Fatalf("error %v", err)
	}
}

func TestFile_Reload(t *testing.T) {
	t.Parallel()
	old := bcryptHash(t, "old", bcrypt.MinCost)
	neu := bcryptHash(t, "new", bcrypt.MinCost)
	p := writeFile(t, "users.htpasswd", "alice:"+old+"\n")
	f, err := LoadFile(p)
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

func TestFile_decoy(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "users.htpasswd", "a:"+bcryptHash(t, "x", 4)+"\nb:"+bcryptHash(t, "x", 6)+"\nc:"+bcryptHash(t, "x", 5)+"\n")
	f, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if d := f.Decoy(); d.alg != AlgBcrypt || d.Params() != "cost 6" {
		t.Errorf("decoy %s %s, want bcrypt cost 6", d.alg, d.Params())
	}
}
