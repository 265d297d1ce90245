package verifiers

import "strings"

// Kinds of credential LooksLikeCredential recognises. Each reads after
// "looks like" in a sentence: "the user name looks like an API key".
const (
	CredentialAPIKey      = "an API key"
	CredentialJWT         = "a JWT"
	CredentialHighEntropy = "a high-entropy string"
	// CredentialNoPassword is a token-like user name sent with an empty
	// password: the shape of curl -u KEY: (see LooksLikeCredentialUser).
	CredentialNoPassword = "a key (a token-like name with an empty password)"
)

// minNoPasswordLen is the shortest user name LooksLikeCredentialUser takes
// for a key when it comes with an empty password.
const minNoPasswordLen = 16

// minCredentialLen is the length below which nothing is taken for a
// credential: the shortest shape recognised (an AWS access key id) has 20
// bytes, and every user name shorter than that is left alone at the cost
// of one comparison.
const minCredentialLen = 20

// LooksLikeCredential reports whether s, a value a client sent where an
// identifier belongs (a Basic user-id, an API key id), has the shape of a
// credential, and which kind: CredentialAPIKey, CredentialJWT or
// CredentialHighEntropy. Verifiers use it to log such a value by its
// fingerprint (Fingerprinter), never as text, and to hint at the mistake:
// `curl -u KEY:` sends an API key as the Basic user name, and
// https://KEY@host/ does too.
//
// What it recognises, checked in this order:
//
//   - a JWT: "eyJ" and three (JWS) or five (JWE) dot-separated base64url
//     segments, the first two non-empty;
//   - an API key in authgate's format (verifiers/apikey),
//     <prefix>_<env>_<id>_<secret><checksum>: a prefix of 1 to 16 of
//     a-z0-9 starting with a letter, an environment of 1 to 16 of a-z0-9,
//     12 base62 characters of id and 28 of secret and checksum (the
//     checksum is not verified: a mistyped key is a key too);
//   - well-known foreign key shapes, by prefix and the alphabet and length
//     of the rest: Stripe (sk_live_, sk_test_, rk_live_, rk_test_,
//     pk_live_, pk_test_, whsec_), GitHub (ghp_, gho_, ghu_, ghs_, ghr_,
//     github_pat_), GitLab (glpat-), Slack (xoxb-, xoxp-, xoxa-, xoxr-,
//     xoxs-, xapp-), AWS access key ids (AKIA, ASIA and 16 of A-Z0-9),
//     Google API keys (AIza and 35 more), npm (npm_), and sk- keys
//     (OpenAI, Anthropic);
//   - a high-entropy string, by the rule below.
//
// The high-entropy rule is tuned for few false positives on real user
// names: at least 20 bytes, all of them base64 or base64url characters
// (A-Z a-z 0-9 + / = _ -), so that anything with a dot, an at sign, a
// space or a non-ASCII letter (e-mail addresses, "first.last",
// "DOMAIN\user", "Jürgen Müller") is never taken for one; and then either
//
//   - hexadecimal of at least 32 digits in one letter case, holding at
//     least one digit and one letter, alone or as a UUID (8-4-4-4-12), or
//   - letters and digits mixed the way random text mixes them: at least
//     two separate runs of digits; a change of character class (upper
//     case, lower case, digit) between at least 3 in 10 of the pairs of
//     adjacent letters and digits (random base62 changes at 62% of them,
//     lower-case alphanumerics at 40%, names made of words such as
//     "ci_runner_production_eu_west_1" at under 20%); and fewer than 1 in
//     3 of the letters vowels (random letters: 5 in 26; words, even
//     CamelCase ones with digits such as "S3BucketReader2024Q1": 35 to
//     45%), a test skipped when every letter is a hex digit.
//
// So "svc-reports-01", "alice@example.com", "ServiceAccountForBackups2024"
// and "k8s-node-pool-a1b2-worker" are names. The price is that some random
// strings are too: of random base62 strings, about 1 in 4 of 20 bytes, 1
// in 6 of 24 and 1 in 12 of 32 pass for names (of lower-case
// alphanumerics, 1 in 4 and 1 in 5): the rule would rather log a
// secret-looking name than hide a real one, and the keys clients most
// often send (authgate's, the foreign shapes above, JWTs) are recognised
// by shape, whatever their letters. An OAuth client id that is a random
// string (Auth0 makes 32 characters of base62) is taken for a credential:
// it is then logged by fingerprint, which is safe, if less readable.
//
// It does not allocate and reads each byte of s a bounded number of times;
// strings shorter than 20 bytes cost one comparison.
func LooksLikeCredential(s string) (kind string, ok bool) {
	if len(s) < minCredentialLen {
		return "", false
	}
	// Every shape is made of base64url and base64 characters, and only a
	// JWT has dots: one pass rules out most names (an at sign, a space, a
	// non-ASCII letter) before any shape is tried.
	dots := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots = true
		case classes[c]&clToken == 0:
			return "", false
		}
	}
	switch {
	case dots:
		if looksLikeJWT(s) {
			return CredentialJWT, true
		}
		return "", false
	case looksLikeAuthgateKey(s), looksLikeForeignKey(s):
		return CredentialAPIKey, true
	case looksHighEntropy(s):
		return CredentialHighEntropy, true
	}
	return "", false
}

// Character classes, as bits of a table indexed by byte.
const (
	clUpper = 1 << iota
	clLower
	clDigit
	clURL   // - and _
	clStd   // + / =
	clUpHex // A-F
	clLoHex // a-f

	clAlnum  = clUpper | clLower | clDigit
	clBase62 = clAlnum
	clB64URL = clAlnum | clURL
	clToken  = clAlnum | clURL | clStd
)

var classes = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	for _, c := range "ABCDEF" {
		t[c] |= clUpHex
	}
	for _, c := range "abcdef" {
		t[c] |= clLoHex
	}
	t['-'], t['_'] = clURL, clURL
	t['+'], t['/'], t['='] = clStd, clStd, clStd
	return t
}()

// all reports whether every byte of s is in one of the classes of mask.
func all(s string, mask uint8) bool {
	for i := 0; i < len(s); i++ {
		if classes[s[i]]&mask == 0 {
			return false
		}
	}
	return true
}

// looksLikeJWT: "eyJ", then 3 or 5 base64url segments (JWS, JWE), the
// first two non-empty ("alg":"none" tokens have an empty signature).
func looksLikeJWT(s string) bool {
	if !strings.HasPrefix(s, "eyJ") {
		return false
	}
	segs, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if classes[s[i]]&clB64URL == 0 {
				return false
			}
			continue
		}
		if segs < 2 && i == start {
			return false
		}
		segs++
		start = i + 1
	}
	return segs == 3 || segs == 5
}

// looksLikeAuthgateKey: <prefix>_<env>_<id:12>_<secret+checksum:28>, the
// shape of verifiers/apikey's keys.
func looksLikeAuthgateKey(s string) bool {
	const idLen, tailLen = 12, 28
	prefix, rest, ok := strings.Cut(s, "_")
	if !ok || len(prefix) < 1 || len(prefix) > 16 || classes[prefix[0]]&clLower == 0 || !all(prefix, clLower|clDigit) {
		return false
	}
	env, rest, ok := strings.Cut(rest, "_")
	if !ok || len(env) < 1 || len(env) > 16 || !all(env, clLower|clDigit) {
		return false
	}
	if len(rest) != idLen+1+tailLen || rest[idLen] != '_' {
		return false
	}
	return all(rest[:idLen], clBase62) && all(rest[idLen+1:], clBase62)
}

// foreignKeys are other services' key shapes: a prefix, then at least min
// and at most max bytes (0: no maximum) in the classes of mask.
var foreignKeys = [...]struct {
	prefix   string
	min, max int
	mask     uint8
}{
	{"sk_live_", 16, 0, clBase62}, {"sk_test_", 16, 0, clBase62}, // Stripe
	{"rk_live_", 16, 0, clBase62}, {"rk_test_", 16, 0, clBase62},
	{"pk_live_", 16, 0, clBase62}, {"pk_test_", 16, 0, clBase62},
	{"whsec_", 16, 0, clBase62},
	{"ghp_", 30, 0, clBase62}, {"gho_", 30, 0, clBase62}, {"ghu_", 30, 0, clBase62}, // GitHub
	{"ghs_", 30, 0, clBase62}, {"ghr_", 30, 0, clBase62}, {"github_pat_", 30, 0, clBase62 | clURL},
	{"glpat-", 20, 0, clB64URL},                                            // GitLab
	{"xoxb-", 10, 0, clBase62 | clURL}, {"xoxp-", 10, 0, clBase62 | clURL}, // Slack
	{"xoxa-", 10, 0, clBase62 | clURL}, {"xoxr-", 10, 0, clBase62 | clURL},
	{"xoxs-", 10, 0, clBase62 | clURL}, {"xapp-", 10, 0, clBase62 | clURL},
	{"AKIA", 16, 16, clUpper | clDigit}, {"ASIA", 16, 16, clUpper | clDigit}, // AWS
	{"AIza", 35, 35, clB64URL}, // Google
	{"npm_", 36, 36, clBase62}, // npm
	{"sk-", 20, 0, clB64URL},   // OpenAI, Anthropic
}

func looksLikeForeignKey(s string) bool {
	if strings.IndexByte("sprwgxAn", s[0]) < 0 {
		return false // no prefix starts with it
	}
	for _, k := range foreignKeys {
		rest, ok := strings.CutPrefix(s, k.prefix)
		if ok && len(rest) >= k.min && (k.max == 0 || len(rest) <= k.max) && all(rest, k.mask) {
			return true
		}
	}
	return false
}

// looksHighEntropy is the rule in LooksLikeCredential's documentation.
// s is known to be made of clToken bytes.
func looksHighEntropy(s string) bool {
	if looksLikeHex(s) {
		return true
	}
	var (
		letters, vowels, digitRuns int
		pairs, changes             int
		hexLetters                 = true
		prev                       uint8 // class of the previous byte when alphanumeric, else 0
	)
	for i := 0; i < len(s); i++ {
		b := s[i]
		c := classes[b] & clAlnum
		if c == 0 {
			prev = 0
			continue
		}
		switch {
		case c == clDigit:
			if prev != clDigit {
				digitRuns++
			}
		default:
			letters++
			switch b | 0x20 {
			case 'a', 'e', 'i', 'o', 'u':
				vowels++
			}
			if classes[b]&(clLoHex|clUpHex) == 0 {
				hexLetters = false
			}
		}
		if prev != 0 {
			pairs++
			if c != prev {
				changes++
			}
		}
		prev = c
	}
	return letters > 0 && digitRuns >= 2 &&
		changes*10 >= pairs*3 &&
		(hexLetters || vowels*3 < letters)
}

// looksLikeHex: at least 32 hex digits in one letter case, holding a digit
// and a letter, either alone or as a UUID (8-4-4-4-12).
func looksLikeHex(s string) bool {
	uuid := len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-'
	if !uuid && len(s) < 32 {
		return false
	}
	var lo, up, digit bool
	for i := 0; i < len(s); i++ {
		if uuid && (i == 8 || i == 13 || i == 18 || i == 23) {
			continue
		}
		c := classes[s[i]]
		switch {
		case c&clDigit != 0:
			digit = true
		case c&clLoHex != 0:
			lo = true
		case c&clUpHex != 0:
			up = true
		default:
			return false
		}
	}
	return digit && lo != up
}

// LooksLikeCredentialUser is LooksLikeCredential for the user-id of Basic
// credentials, which also sees the password. Besides every shape
// LooksLikeCredential knows, it reports CredentialNoPassword for a user-id
// of at least 16 bytes, all of them base64 or base64url characters (so no
// e-mail address, dotted or spaced name), sent with an empty password:
// what curl -u KEY: and https://KEY@host/ send. That rule does not depend
// on the key's letters, so a random token of any alphabet is caught there
// even where the high-entropy rule would take it for a name.
func LooksLikeCredentialUser(user, password string) (kind string, ok bool) {
	if kind, ok := LooksLikeCredential(user); ok {
		return kind, true
	}
	if password != "" || len(user) < minNoPasswordLen {
		return "", false
	}
	for i := 0; i < len(user); i++ {
		if classes[user[i]]&clToken == 0 {
			return "", false
		}
	}
	return CredentialNoPassword, true
}
