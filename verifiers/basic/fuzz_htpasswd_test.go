package basic

import (
	"bytes"
	"strings"
	"testing"
)

// fixedErrorText is text the parser's errors hold whatever the input: a
// hash field that happens to be part of it is not quoted.
const fixedErrorText = "$argon2id$v=19$m=M,t=T,p=P$salt$digest \"$2y$\" bcrypt ($2y$) or argon2id (htpasswd -B)"

// FuzzParseHtpasswd feeds arbitrary htpasswd files to the parser: it
// never panics, every user it accepts has a name the verifier can match
// (checkUserName) and a hash, and an error never quotes a hash field
// (the part after the user's colon, where a pasted password would end up).
func FuzzParseHtpasswd(f *testing.F) {
	f.Add([]byte("alice:$2y$05$O8cH1ZQ8VjVx8Vq9cTt8E.3u7Gm9Tn3N9yCzG6FfTjA2wZrG3hF4u\n"))
	f.Add([]byte("# users\n\nbob:$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"))
	f.Add([]byte("carol:plaintext-password-here\n"))
	f.Add([]byte("dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\neve:$apr1$abc$def\n"))
	f.Add([]byte("alice:$2y$05$O8cH1ZQ8VjVx8Vq9cTt8E.3u7Gm9Tn3N9yCzG6FfTjA2wZrG3hF4u\nalice:x\n"))
	f.Add([]byte("no colon\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		users, err := parseHtpasswd("users.htpasswd", bytes.NewReader(data), 1)
		if err != nil {
			msg := err.Error()
			for _, line := range strings.Split(string(data), "\n") {
				user, enc, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
				enc, _, _ = strings.Cut(enc, ":")
				if !ok || len(enc) < 8 || strings.Contains(user, enc) || strings.Count(string(data), enc) > 1 || strings.Contains(fixedErrorText, enc) {
					continue
				}
				if strings.Contains(msg, enc) {
					t.Fatalf("error %q quotes the hash field %q", msg, enc)
				}
			}
			return
		}
		for user, h := range users {
			if checkUserName(user) != nil {
				t.Fatalf("accepted user name %q that checkUserName refuses", user)
			}
			if h == nil || h.Algorithm() == "" {
				t.Fatalf("user %q has no usable hash", user)
			}
		}
	})
}
