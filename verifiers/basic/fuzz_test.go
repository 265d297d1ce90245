package basic

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authgate/authgate/verifiers"
)

// decodeDetails are every detail decodeBasic writes, with N for numbers.
// A detail outside this set would mean that bytes of the input reached it.
var decodeDetails = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range []string{
		"Basic credentials are empty",
		"Basic credentials are N bytes, over the limit of N",
		"Basic credentials are not base64: they are three dot-separated base64url segments, a JWT",
		"Basic credentials are not valid base64: byte N is a base64url character",
		"Basic credentials are not valid base64: byte N is a space or tab inside the value",
		"Basic credentials are not valid base64: byte N is padding before the end",
		"Basic credentials are not valid base64: byte N is a colon, which base64 never holds",
		"Basic credentials are not valid base64: byte N is a control character",
		"Basic credentials are not valid base64: byte N is not ASCII",
		"Basic credentials are not valid base64: byte N is outside the base64 alphabet",
		"Basic credentials are not valid base64: it ends in N padding characters, at most N are allowed",
		"Basic credentials are not valid base64: its length N is not a multiple of N (padding missing or wrong)",
		"Basic credentials are not canonical base64 (non-zero bits in the last character before the padding)",
		"decoded Basic credentials are a JWT or a JWT header, not user:password",
		"decoded Basic credentials have no colon separating user-id and password (RFC 7617 §2)",
		"decoded Basic credentials: the user-id contains a control character",
		"decoded Basic credentials: the user-id is not valid UTF-8",
		"decoded Basic credentials: the password contains a control character",
		"decoded Basic credentials: the password is not valid UTF-8",
		detailShellCommand,
		detailShellVar,
	} {
		m[digits.ReplaceAllString(d, "N")] = true
	}
	return m
}()

var decodeHints = map[string]bool{
	"": true, hintUserPassword: true, hintBearer: true, hintNotEncoded: true,
	hintBase64URL: true, hintPadding: true, hintUTF8: true, hintEmpty: true,
	hintShellCommand: true, hintShellVar: true,
	hintUserAPIKey: true, hintUserJWT: true, hintUserHighEntropy: true,
}

var digits = regexp.MustCompile(`[0-9]+`)

// FuzzDecodeBasic checks decodeBasic on any input: it never panics; what
// it accepts is the canonical base64 of user ":" password with a user-id
// free of colons and both parts valid UTF-8 without controls; what it
// rejects gets one of its three reasons, a detail and hint from a closed
// set (so no input byte reaches them), and at most the sanitized user-id
// as an attribute.
func FuzzDecodeBasic(f *testing.F) {
	for _, s := range []string{
		b64("alice:pw"), b64("a:b:c"), b64(":"), b64("jürgen:pässwörd"), "", "YQ==", "YR==",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "alice:pw", "YWxp Y2U6", "YWxpY2U6cHc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, creds string) {
		d, rej := decodeBasic(creds, testFP)
		if rej == nil {
			if len(creds) > MaxCredentialsLength {
				t.Fatalf("accepted %d bytes", len(creds))
			}
			if strings.Contains(d.user, ":") {
				t.Fatalf("user-id %q holds a colon", d.user)
			}
			if checkText(d.user, "u") != nil || checkText(d.password, "p") != nil {
				t.Fatalf("accepted control characters or invalid UTF-8: %q %q", d.user, d.password)
			}
			if got := base64.StdEncoding.EncodeToString([]byte(d.user + ":" + d.password)); got != creds {
				t.Fatalf("accepted non-canonical base64 %q (canonical %q)", creds, got)
			}
			return
		}
		switch rej.Reason {
		case verifiers.RequestMalformed, verifiers.CredentialsTooLarge, verifiers.CredentialsMalformed:
		default:
			t.Fatalf("reason %s", rej.Reason)
		}
		if !decodeDetails[digits.ReplaceAllString(rej.Detail, "N")] {
			t.Fatalf("detail %q is not one of decodeBasic's", rej.Detail)
		}
		if !decodeHints[rej.Hint] {
			t.Fatalf("hint %q is not one of decodeBasic's", rej.Hint)
		}
		if len(rej.Params) != 0 {
			t.Fatalf("params %v", rej.Params)
		}
		for _, a := range rej.Attrs {
			if a.Key == verifiers.AttrHeader && rej.Reason == verifiers.CredentialsTooLarge {
				// The 431 names the oversized header field.
				if a.Value != "Authorization" {
					t.Fatalf("header attr %q", a.Value)
				}
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(creds)
			user, password, ok := strings.Cut(string(raw), ":")
			if err != nil || !ok {
				t.Fatalf("attr %q=%q without a user-id", a.Key, a.Value)
			}
			_, credential := verifiers.LooksLikeCredential(user)
			switch {
			case a.Key == verifiers.AttrFingerprint && credential:
				// A user-id that looks like a key is named by fingerprint.
				if a.Value != testFP.Fingerprint(user) {
					t.Fatalf("fingerprint attr %q is not the user-id's fingerprint", a.Value)
				}
				continue
			case a.Key != verifiers.AttrUser || credential:
				t.Fatalf("attr %q for user-id %q", a.Key, user)
			}
			if a.Value != safeUser(user, password) {
				t.Fatalf("user attr %q is not the sanitized user-id", a.Value)
			}
			if len(password) >= minRedacted && strings.Contains(a.Value, password) {
				t.Fatalf("user attr %q holds the password", a.Value)
			}
			if len(a.Value) > maxLoggedUser+len("…") || !utf8.ValidString(a.Value) {
				t.Fatalf("user attr %q not sanitized", a.Value)
			}
		}
	})
}
