package bearer

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// This file holds the decisions of a DPoP proof check (RFC 9449 §4.3), in
// the order checkProof takes them: the cheap ones first, the signature
// last, so that a flood of bad proofs costs no signature checks. The
// words of each rejection are in dpop_diagnostics.go.

// proof is what a proof that passed its checks tells.
type proof struct {
	thumb string    // RFC 7638 thumbprint of its key
	jti   string    // its jti
	iat   time.Time // its iat
	until time.Time // when its window closes: the replay store keeps its jti until then
}

// checkProof applies every check of one proof that does not need the
// token verified: all of RFC 9449 §4.3 but the cnf.jkt binding (made
// once the token is) and the jti replay check (made last, so that a
// request refused for another reason does not use up its proof).
func (d *dpopConfig) checkProof(r *http.Request, raw, tok string, now time.Time) (*proof, error) {
	jws, err := jose.Parse(raw)
	if err != nil {
		return nil, proofMalformed(asMalformed(err).Detail)
	}
	if !typeMatches(jws.Header.Typ, []string{"dpop+jwt"}) {
		return nil, proofTypeMismatch(jws.Header.Typ)
	}
	alg := jose.LookupAlg(jws.Header.Alg)
	if alg == nil || !d.algs.Has(alg) {
		return nil, d.proofAlgRefused(jws.Header.Alg)
	}
	key, thumb, err := jws.EmbeddedKey(alg)
	if err != nil {
		var ek *jose.EmbeddedKeyError
		if errors.As(err, &ek) {
			return nil, proofKeyRefused(ek)
		}
		return nil, proofKeyMissing()
	}
	p := &proof{thumb: thumb}
	claims, err := jws.Claims()
	if err != nil {
		return nil, withJKT(proofMalformed(asMalformed(err).Detail), p)
	}
	jti, htm, htu, iat, rej := proofClaims(claims)
	if rej != nil {
		return nil, withJKT(rej, p)
	}
	p.jti, p.iat = jti, iat
	p.until = iat.Add(d.window + d.leeway)
	if htm != r.Method {
		return nil, withJKT(methodMismatch(htm, r.Method), p)
	}
	seen := d.requestURL(r)
	if named, ok := normalizeHTU(htu); !ok || named != seen {
		return nil, withJKT(d.urlMismatch(htu, named, ok, seen), p)
	}
	switch {
	case iat.After(now.Add(d.leeway)):
		return nil, withJKT(proofFromFuture(iat, now, d.leeway), p)
	case now.After(p.until):
		return nil, withJKT(proofTooOld(iat, now, d.window, d.leeway), p)
	}
	if d.nonces != nil {
		n, present := claims["nonce"].(string)
		if !present || !d.nonces.Check(n) {
			return nil, withJKT(nonceRequired(present), p)
		}
	}
	ath, present := claims["ath"].(string)
	if want := tokenHash(tok); !present || subtle.ConstantTimeCompare([]byte(ath), []byte(want)) != 1 {
		return nil, withJKT(athMismatch(present), p)
	}
	if !key.Verify(jws.SigningInput, jws.Signature()) {
		return nil, withJKT(proofSignatureInvalid(alg), p)
	}
	return p, nil
}

// proofClaims reads the claims every proof has (RFC 9449 §4.2): jti,
// htm and htu strings, iat a NumericDate.
func proofClaims(c map[string]any) (jti, htm, htu string, iat time.Time, rej *verifiers.Rejection) {
	for _, f := range [...]struct {
		name string
		dst  *string
	}{{"jti", &jti}, {"htm", &htm}, {"htu", &htu}} {
		s, present, m := stringClaim(c, f.name)
		switch {
		case m != nil:
			return "", "", "", time.Time{}, proofMalformed(m.Detail)
		case !present || s == "":
			return "", "", "", time.Time{}, proofClaimMissing(f.name)
		}
		*f.dst = s
	}
	iat, present, m := numericDate(c, "iat")
	switch {
	case m != nil:
		return "", "", "", time.Time{}, proofMalformed(m.Detail)
	case !present:
		return "", "", "", time.Time{}, proofClaimMissing("iat")
	}
	return jti, htm, htu, iat, nil
}

// tokenHash is the ath of a token: base64url(SHA-256(ASCII token)), RFC
// 9449 §4.2.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// replayKey is the replay store's key of a proof: an SHA-256 of its
// key's thumbprint and its jti, so that one client cannot use up another's
// jti, and so that the store holds no value a client chose.
func replayKey(p *proof) string {
	h := sha256.New()
	h.Write([]byte("authgate dpop jti\x00"))
	h.Write([]byte(p.thumb))
	h.Write([]byte{0})
	h.Write([]byte(p.jti))
	var buf [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(h.Sum(buf[:0]))
}
