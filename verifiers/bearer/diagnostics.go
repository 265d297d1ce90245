package bearer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file holds the words of the JWT verifier's rejections: each
// detail says what was found and what was expected, with the RFC
// section, and each hint the likely cause in plain words. verify.go
// decides; the functions here only word what it decided. No text here
// holds a token or a signature.

// skewWindow is how close to the limit a time claim must be for the hint
// to suggest clock skew rather than a stale or early token.
const skewWindow = 5 * time.Minute

// Hints of the copy-paste accidents jose.MalformedError tells apart.
const (
	hintQuotes     = "the token is wrapped in quotes: the client copied it from JSON or a shell variable with its quotes; send the bare token"
	hintBearerTwo  = "the Authorization value says Bearer twice ('Bearer Bearer <token>'): the client adds the scheme to a value that already has it"
	hintWhitespace = "the token has whitespace inside: it was line-wrapped when copied, or two values were joined; send it on one line without spaces"
	hintJWE        = "the token is a JWE (encrypted, 5 segments), not a signed JWS: ask the issuer for a signed access token (no encryption) for this resource"
	hintURLEncoded = "the token holds '%': it was URL-encoded (copied from a query string); decode it before sending"
	hintBase64Std  = "the token holds '+', '/' or '=': it was encoded with standard base64, or padded; JWS segments are base64url without padding (RFC 7515 §2)"
	hintNotJWT     = "the value is not a JWT: the client may send an opaque access token, an ID of some other kind, or the wrong variable"
)

// malformedHint is the hint for the likely cause p of a malformed token.
func malformedHint(p jose.Problem) string {
	switch p {
	case jose.Quoted:
		return hintQuotes
	case jose.BearerTwice:
		return hintBearerTwo
	case jose.Whitespace:
		return hintWhitespace
	case jose.Encrypted:
		return hintJWE
	case jose.URLEncoded:
		return hintURLEncoded
	case jose.StdBase64:
		return hintBase64Std
	case jose.NotJWT:
		return hintNotJWT
	}
	return ""
}

// malformed turns a syntax problem into a token_malformed rejection with
// the token's fingerprint.
func (v *Verifier) malformed(tok string, m *jose.MalformedError) *verifiers.Rejection {
	return malformedRejection(v.fp, tok, m)
}

func malformedRejection(fp *verifiers.Fingerprinter, tok string, m *jose.MalformedError) *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenMalformed, m.Detail).WithHint(malformedHint(m.Problem)).
		With(verifiers.AttrFingerprint, fp.Fingerprint(tok))
}

// algRejection words algRefusal's verdict why on the token's alg a.
func (v *Verifier) algRejection(t *token, a *algorithm, why algVerdict) *verifiers.Rejection {
	var detail, hint string
	switch {
	case why == algUnknown && strings.EqualFold(t.Header.Alg, "none"):
		detail = fmt.Sprintf("the token's alg is %s: an unsigned token, which is never accepted (RFC 8725 §3.1); allowed: %s", quote(t.Header.Alg), v.allowed())
		hint = "the token carries no signature: a client or issuer bug, or an attempt to skip the signature check"
	case why == algUnknown:
		detail = fmt.Sprintf("the token's alg %s is not a JWS algorithm authgate verifies; allowed: %s", quote(t.Header.Alg), v.allowed())
	case why == algNotListed:
		detail = fmt.Sprintf("the token's alg %s is not in the allow-list; allowed: %s", a.Name(), v.allowed())
		hint = "the issuer signs with an algorithm this server was not configured for: add it with WithAlgorithms if the issuer really uses it"
	case why == algNeedsSecret:
		detail = fmt.Sprintf("the token's alg %s needs a shared secret, and this verifier has public keys only; allowed: %s", a.Name(), v.allowed())
		hint = "an HMAC token sent to a public-key verifier: a token from another system, or an algorithm-confusion attempt (RFC 8725 §2.1)"
	default: // algNeedsPublicKey
		detail = fmt.Sprintf("the token's alg %s needs a public key, and this verifier has shared secrets only; allowed: %s", a.Name(), v.allowed())
	}
	rej := verifiers.Reject(verifiers.TokenAlgNotAllowed, detail).WithHint(hint)
	addAttr(rej, verifiers.AttrKid, t.Header.Kid)
	return rej
}

// allowed describes the algorithms accepted, for details.
func (v *Verifier) allowed() string {
	if v.allow != nil {
		return v.allow.String()
	}
	var l allowList
	for _, is := range v.order {
		if s := is.current(); s != nil {
			for _, a := range s.algs() {
				if !l.Has(a) {
					l = append(l, a)
				}
			}
		}
	}
	if len(l) == 0 {
		return "the algorithms of the issuers' keys (none loaded yet)"
	}
	return l.String() + " (the algorithms of the configured keys)"
}

// issuerMismatch explains an iss no configured issuer has.
func (v *Verifier) issuerMismatch(iss string) error {
	exp := make([]string, len(v.order))
	for i, is := range v.order {
		exp[i] = quote(is.iss)
	}
	detail := fmt.Sprintf("the token's iss is %s; this verifier trusts %s", quote(iss), strings.Join(exp, ", "))
	hint := "the token comes from another environment or tenant (staging vs production), or the configured issuer is written differently"
	for _, is := range v.order {
		if h := issuerHint(iss, is.iss); h != "" {
			hint = h
			break
		}
	}
	for _, is := range v.order {
		is.mu.Lock()
		d := is.discoveredIssuer
		is.mu.Unlock()
		if d != "" && d == iss {
			hint = fmt.Sprintf("the discovery document of the configured issuer %s names its issuer %s, which is what the token carries: configure the issuer exactly as %s", quote(is.iss), quote(d), quote(d))
		}
	}
	return verifiers.Reject(verifiers.TokenIssuerMismatch, detail).WithHint(hint)
}

// issuerHint names the small difference between two issuer identifiers
// that look alike, which an exact comparison refuses.
func issuerHint(got, want string) string {
	both := fmt.Sprintf("(token: %s, configured: %s)", quote(got), quote(want))
	switch {
	case strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/"):
		return "the issuers differ only by a trailing slash " + both + "; iss is compared exactly: configure it as the issuer writes it"
	case strings.EqualFold(got, want):
		return "the issuers differ only in letter case " + both + "; iss is compared exactly"
	case strings.Replace(got, "localhost", "127.0.0.1", 1) == strings.Replace(want, "localhost", "127.0.0.1", 1):
		return "the issuers differ only by localhost vs 127.0.0.1 " + both + "; iss is compared exactly: configure the host name the issuer uses"
	case strings.TrimPrefix(strings.TrimPrefix(got, "https://"), "http://") == strings.TrimPrefix(strings.TrimPrefix(want, "https://"), "http://"):
		return "the issuers differ only by http vs https " + both
	}
	return ""
}

// issuerMissing is the rejection of a token without iss.
func issuerMissing() *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenClaimMissing,
		"the token has no iss claim; it is required to tell which issuer's keys verify it").
		WithHint("the token is not an OAuth access token from an authorization server, or the issuer is misconfigured")
}

// typeMismatch refuses a typ header outside WithTypes.
func (v *Verifier) typeMismatch(typ string) *verifiers.Rejection {
	got := "the token has no typ header"
	if typ != "" {
		got = "the token's typ is " + quote(typ)
	}
	return verifiers.Reject(verifiers.TokenTypeMismatch,
		fmt.Sprintf("%s; expected %s", got, strings.Join(v.types, " or "))).
		WithHint("another kind of JWT (an ID token, a logout token, a client assertion) is used as an access token; RFC 9068 access tokens carry typ at+jwt")
}

// expMissing is the rejection of a token without exp.
func expMissing() *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenClaimMissing, "the token has no exp claim; tokens without an expiry are not accepted").
		WithHint("the issuer issues tokens that never expire; configure it to set exp")
}

// notYetValid explains a token whose nbf, less the leeway, is after now.
func (v *Verifier) notYetValid(nbf, now time.Time) *verifiers.Rejection {
	ahead := nbf.Sub(now)
	hint := "the token becomes valid later: the client sent it too early"
	if ahead < skewWindow {
		hint = "it becomes valid in " + dur(ahead) + ": the issuer's clock is probably ahead of this server's (clock skew; check NTP on both)"
	}
	detail, _ := v.timeDetail("the token is not valid before ", nbf, ahead, " from now", now)
	return verifiers.Reject(verifiers.TokenNotYetValid, detail).WithHint(hint)
}

// issuedInFuture explains a token whose iat, less the leeway, is after
// now.
func (v *Verifier) issuedInFuture(iat, now time.Time) *verifiers.Rejection {
	ahead := iat.Sub(now)
	hint := "the issuer's clock is far ahead of this server's, or the token was made by hand"
	if ahead < skewWindow {
		hint = "it was issued " + dur(ahead) + " in the future: the issuer's clock is probably ahead of this server's (clock skew; check NTP on both)"
	}
	detail, _ := v.timeDetail("the token says it was issued at ", iat, ahead, " in the future", now)
	return verifiers.Reject(verifiers.TokenIssuedInFuture, detail).WithHint(hint)
}

// audienceMissing is the rejection of a token without aud.
func (v *Verifier) audienceMissing() *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenClaimMissing,
		fmt.Sprintf("the token has no aud claim; it must name this resource, %s (RFC 9068 §4)", quote(v.audience))).
		WithHint("the client did not ask for a token for this resource: it should send the resource (RFC 8707) or audience parameter with " + quote(v.audience))
}

// audienceMismatch explains an aud that does not name this resource.
func (v *Verifier) audienceMismatch(auds []string) *verifiers.Rejection {
	q := make([]string, 0, len(auds))
	for i, a := range auds {
		if i == 8 {
			q = append(q, "...")
			break
		}
		q = append(q, quote(a))
	}
	got := "[" + strings.Join(q, ", ") + "]"
	hint := "the token was issued for another resource, or by another environment or tenant: the client must request a token for " + quote(v.audience) + " (resource or audience parameter)"
	for _, a := range auds {
		if strings.TrimSuffix(a, "/") == strings.TrimSuffix(v.audience, "/") {
			hint = "the audiences differ only by a trailing slash; aud is compared exactly: configure the audience as the issuer writes it"
		}
	}
	return verifiers.Reject(verifiers.TokenAudienceMismatch,
		fmt.Sprintf("the token's aud is %s; this resource is %s", got, quote(v.audience))).WithHint(hint)
}

// requiredClaimMissing is the rejection of a token without a claim of
// WithRequiredClaims.
func requiredClaimMissing(name string) *verifiers.Rejection {
	return verifiers.Reject(verifiers.TokenClaimMissing,
		fmt.Sprintf("the token has no %s claim, which this verifier requires", quote(name))).
		WithHint("the issuer does not put this claim into its tokens: check the token settings (claims mapping, scopes, or the RFC 9068 profile) of the client at the issuer")
}

// expiredWords explains a token that expired at exp, seen at now: the
// detail, the hint, and at, exp as the detail writes it (the value of its
// exp attribute). They depend on now only through expiredKeyAt(exp, now).
func (v *Verifier) expiredWords(exp, now time.Time) (detail, hint, at string) {
	ago := now.Sub(exp)
	hint = "the client keeps using a token past its expiry: it should get a new one (or refresh it) before exp"
	if ago < skewWindow {
		hint = "it expired only " + dur(ago) + " ago: if the client obtained it moments ago, the clocks of the issuer and this server differ (clock skew; check NTP on both); otherwise the client should renew tokens a little before exp"
	}
	detail, at = v.timeDetail("the token expired at ", exp, ago, " ago", now)
	return detail, hint, at
}

// timeDetail words a time claim's rejection: lead, the claim's time t,
// d (how far t is from now) and rel, then the leeway and the server time,
// as "<lead><t>, <d><rel> (leeway <leeway>; server time <now>)". at is
// the time t as written in it. It is appended into one buffer, where
// fmt.Sprintf with stamp and dur cost four more allocations on every
// refusal of an expired token not in the cache.
func (v *Verifier) timeDetail(lead string, t time.Time, d time.Duration, rel string, now time.Time) (detail, at string) {
	var buf [160]byte
	b := append(buf[:0], lead...)
	from := len(b)
	b = t.UTC().AppendFormat(b, time.RFC3339)
	to := len(b)
	b = append(b, ", "...)
	b = appendDur(b, d)
	b = append(b, rel...)
	b = append(b, " (leeway "...)
	b = append(b, v.leewayText...)
	b = append(b, "; server time "...)
	b = now.UTC().AppendFormat(b, time.RFC3339)
	detail = string(append(b, ')'))
	return detail, detail[from:to]
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// dur formats a duration for a detail: whole seconds, or milliseconds
// under a second, as time.Duration's String writes them.
func dur(d time.Duration) string { return string(appendDur(nil, d)) }

// appendDur appends dur(d) to b: roundDur(d).String(), without its
// allocation.
func appendDur(b []byte, d time.Duration) []byte {
	d = roundDur(d)
	switch {
	case d == 0:
		return append(b, "0s"...)
	case 0 < d && d < time.Second && d%time.Millisecond == 0:
		return append(strconv.AppendInt(b, int64(d/time.Millisecond), 10), "ms"...)
	case d < time.Second || d%time.Second != 0:
		// A time.Sub that saturated, which Round leaves as it is.
		return append(b, d.String()...)
	}
	s := int64(d / time.Second)
	h, m := s/3600, s/60%60
	if h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
	}
	if h > 0 || m > 0 {
		b = append(strconv.AppendInt(b, m, 10), 'm')
	}
	return append(strconv.AppendInt(b, s%60, 10), 's')
}

// roundDur is the duration dur shows.
func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
