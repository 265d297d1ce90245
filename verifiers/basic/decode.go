package basic

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/authgate/authgate/verifiers"
)

// MaxCredentialsLength bounds the base64 credentials of a Basic
// Authorization field, in bytes, checked before decoding. Longer ones are
// rejected with reason credentials_too_large (431). 1024 bytes of base64
// carry 768 bytes of user-id and password, far more than any real one.
const MaxCredentialsLength = 1024

// MaxUserLength bounds user names in a store (htpasswd's own limit is 255
// bytes); longer names are refused at load.
const MaxUserLength = 255

// Hints given with a rejection, server-side only (and in the client's body
// in the gate's development mode).
const (
	hintUserPassword = "the value must be base64 of user:password"
	hintBearer       = "a Bearer token was sent with the Basic scheme: send it as Authorization: Bearer <token>"
	hintNotEncoded   = "the value must be base64 of user:password; it looks like user:password sent without base64 encoding"
	hintBase64URL    = "Basic uses standard base64 (RFC 4648 §4, with + and /), not base64url (- and _)"
	hintPadding      = "the value must be padded base64: its length a multiple of 4, ending in = or == as needed (RFC 4648 §4)"
	hintUTF8         = "the client must send user-id and password as UTF-8 (the challenge says charset=\"UTF-8\", RFC 7617 §2.1); a client using ISO-8859-1 sends invalid UTF-8"
	hintEmpty        = "the Authorization field holds only the scheme name: the client sent Basic with no user:password after it"
	hintEmptyUser    = "the user-id before the colon is empty"
	hintShellCommand = "the shell did not run the command substitution because the header was in single quotes: write -H \"Authorization: Basic $(...)\" in double quotes, or let curl encode it with -u user:password"
	hintShellVar     = "the shell did not expand the variable because the header was in single quotes: write -H \"Authorization: Basic $VAR\" in double quotes, or let curl encode it with -u user:password"
)

// Details of unexpanded shell syntax; they never quote the value, which
// may hold a user and password in clear (`$(echo -n alice:pw | base64)`).
const (
	detailShellCommand = "Basic credentials are a literal shell command substitution ($(...) or `...`), not base64"
	detailShellVar     = "Basic credentials are a literal shell variable ($VAR or ${VAR}), not base64"
)

// unexpandedShell recognises credentials that are shell syntax sent as
// is: the classic curl -H 'Authorization: Basic $(echo -n user:pw |
// base64)' in single quotes, which the shell does not expand.
func unexpandedShell(creds string) (detail, hint string) {
	switch {
	case strings.HasPrefix(creds, "$("), strings.HasPrefix(creds, "`"):
		return detailShellCommand, hintShellCommand
	case strings.HasPrefix(creds, "${"):
		return detailShellVar, hintShellVar
	case len(creds) > 1 && creds[0] == '$' && (creds[1] == '_' || 'A' <= creds[1] && creds[1] <= 'Z' || 'a' <= creds[1] && creds[1] <= 'z'):
		return detailShellVar, hintShellVar
	}
	return "", ""
}

// decoded is the result of decoding Basic credentials.
type decoded struct {
	user, password string
}

// decodeBasic decodes the credentials part of a Basic Authorization field
// per RFC 7617 §2: strict padded standard base64 of user-id ":" password,
// split at the first colon (so the password may hold colons), UTF-8 with no
// control characters. Rejections never quote the credentials; they may
// carry the user-id (sanitized) as an Attr once it is known to be text.
//
// A user-id that looks like a credential (verifiers.LooksLikeCredential) is
// named in attributes by its fingerprint under fp, never as text.
func decodeBasic(creds string, fp *verifiers.Fingerprinter) (decoded, *verifiers.Rejection) {
	if creds == "" {
		return decoded{}, verifiers.Reject(verifiers.RequestMalformed, "Basic credentials are empty").WithHint(hintEmpty)
	}
	if len(creds) > MaxCredentialsLength {
		return decoded{}, verifiers.Reject(verifiers.CredentialsTooLarge,
			fmt.Sprintf("Basic credentials are %d bytes, over the limit of %d", len(creds), MaxCredentialsLength)).
			With(verifiers.AttrHeader, "Authorization")
	}
	if detail, hint := unexpandedShell(creds); detail != "" {
		return decoded{}, malformed(detail).WithHint(hint)
	}
	if looksLikeJWT(creds) {
		return decoded{}, malformed("Basic credentials are not base64: they are three dot-separated base64url segments, a JWT").WithHint(hintBearer)
	}
	if err := checkBase64(creds); err != nil {
		r := malformed("Basic credentials are not valid base64: " + err.msg)
		return decoded{}, r.WithHint(err.hint)
	}
	var buf [MaxCredentialsLength / 4 * 3]byte
	n, err := strictBase64.Decode(buf[:], []byte(creds))
	if err != nil {
		// checkBase64 let through only the alphabet and final padding, so
		// this is non-zero trailing bits: a non-canonical encoding.
		return decoded{}, malformed("Basic credentials are not canonical base64 (non-zero bits in the last character before the padding)").WithHint(hintUserPassword)
	}
	b := buf[:n]
	if looksLikeJWTBytes(b) {
		// Checked before the split: a JWT header holds colons.
		return decoded{}, malformed("decoded Basic credentials are a JWT or a JWT header, not user:password").WithHint(hintBearer)
	}
	colon := -1
	for i, c := range b {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return decoded{}, malformed("decoded Basic credentials have no colon separating user-id and password (RFC 7617 §2)").WithHint(hintUserPassword)
	}
	user, password := string(b[:colon]), string(b[colon+1:])
	if err := checkText(user, "the user-id"); err != nil {
		r := malformed("decoded Basic credentials: " + err.Error())
		if errors.Is(err, errNotUTF8) {
			r.WithHint(hintUTF8)
		}
		return decoded{}, nameUser(fp, user, password).with(r)
	}
	if err := checkText(password, "the password"); err != nil {
		// Say what is wrong with the password, not where: no offset, no
		// byte value.
		r := malformed("decoded Basic credentials: " + err.Error())
		if errors.Is(err, errNotUTF8) {
			r.WithHint(hintUTF8)
		}
		return decoded{}, nameUser(fp, user, password).with(r)
	}
	return decoded{user: user, password: password}, nil
}

// strictBase64 is RFC 4648 §4 base64 that refuses non-zero trailing bits.
// (It would still skip CR and LF; checkBase64 refuses them first.)
var strictBase64 = base64.StdEncoding.Strict()

func malformed(detail string) *verifiers.Rejection {
	return verifiers.Reject(verifiers.CredentialsMalformed, detail)
}

type base64Error struct{ msg, hint string }

// checkBase64 accepts exactly 1*(4 alphabet characters) with the last
// group ending in at most two '=': no whitespace, no line breaks (which
// encoding/base64 would otherwise skip), no base64url characters.
func checkBase64(s string) *base64Error {
	end := len(s)
	for end > 0 && s[end-1] == '=' {
		end--
	}
	for i := 0; i < end; i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			continue
		case c == '-' || c == '_':
			return &base64Error{fmt.Sprintf("byte %d is a base64url character", i), hintBase64URL}
		case c == ' ' || c == '\t':
			return &base64Error{fmt.Sprintf("byte %d is a space or tab inside the value", i), hintUserPassword}
		case c == '=':
			return &base64Error{fmt.Sprintf("byte %d is padding before the end", i), hintPadding}
		case c == ':':
			return &base64Error{fmt.Sprintf("byte %d is a colon, which base64 never holds", i), hintNotEncoded}
		case c < 0x20 || c == 0x7f:
			return &base64Error{fmt.Sprintf("byte %d is a control character", i), hintUserPassword}
		case c >= 0x80:
			return &base64Error{fmt.Sprintf("byte %d is not ASCII", i), hintUserPassword}
		default:
			return &base64Error{fmt.Sprintf("byte %d is outside the base64 alphabet", i), hintUserPassword}
		}
	}
	if pad := len(s) - end; pad > 2 {
		return &base64Error{fmt.Sprintf("it ends in %d padding characters, at most 2 are allowed", pad), hintPadding}
	}
	if len(s)%4 != 0 {
		return &base64Error{fmt.Sprintf("its length %d is not a multiple of 4 (padding missing or wrong)", len(s)), hintPadding}
	}
	return nil
}

// looksLikeJWT reports whether s is "eyJ" followed by three non-empty
// dot-separated base64url segments: a JWS compact token.
func looksLikeJWT(s string) bool {
	if !strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") != 2 {
		return false
	}
	for seg := range strings.SplitSeq(s, ".") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '=') {
				return false
			}
		}
	}
	return true
}

// looksLikeJWTBytes reports whether decoded credentials are a JWT header
// (`{"alg"...`, the client base64-encoded a token's first segment or sent
// a token segment as Basic) or a whole JWT (the client base64-encoded a
// token).
func looksLikeJWTBytes(b []byte) bool {
	s := string(b)
	if strings.HasPrefix(s, "{") {
		j := strings.TrimLeft(s[1:], " \t\r\n")
		return strings.HasPrefix(j, `"alg"`) || strings.HasPrefix(j, `"typ"`) || strings.HasPrefix(j, `"kid"`)
	}
	return looksLikeJWT(s)
}

var errNotUTF8 = errors.New("not valid UTF-8")

// checkText refuses invalid UTF-8 (RFC 7617 §2.1 with charset="UTF-8")
// and control characters: ASCII CTL and DEL (RFC 7617 §2, MUST NOT), and
// also the C1 controls U+0080..U+009F, which no real user-id or password
// holds. The error names the problem, never the content.
func checkText(s, what string) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return fmt.Errorf("%s contains a control character", what)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("%s is %w", what, errNotUTF8)
		}
		if 0x80 <= r && r <= 0x9f {
			return fmt.Errorf("%s contains a control character", what)
		}
		i += size
	}
	return nil
}

// maxLoggedUser bounds the user name put in logs and details, in bytes.
const maxLoggedUser = 64

// sanitizeUser makes a user-id safe to log: invalid UTF-8, control
// characters and invisible format characters (zero-width, bidirectional
// controls, line separators) become U+FFFD (replaced, not dropped, so that no user-id
// reads as another), and the result is cut to maxLoggedUser
// bytes at a character boundary, with "…" appended when cut.
func sanitizeUser(u string) string {
	clean := true
	for i := 0; i < len(u); i++ {
		if c := u[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean && len(u) <= maxLoggedUser {
		return u
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(u, "\uFFFD") {
		if r < 0x20 || (0x7f <= r && r <= 0x9f) || (r >= 0xad && unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)) {
			// Replaced, not dropped: "ad\x00min" must not log as
			// "admin", another user's name.
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > maxLoggedUser {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
