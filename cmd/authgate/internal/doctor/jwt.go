package doctor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// jwtInfo is what a JWT says about itself, decoded without verifying it.
// It holds no signature and no raw segment: only the fields the doctor
// reports.
type jwtInfo struct {
	Err     string // why it could not be decoded, "" if it could
	Alg     string
	Kid     string
	Typ     string
	Iss     string
	Sub     string
	Aud     []string
	Scope   string
	Exp     *time.Time
	Nbf     *time.Time
	Iat     *time.Time
	IDToken bool // carries nonce/at_hash/c_hash/auth_time: an OpenID Connect ID token

	raw string // the compact token, kept to verify the signature; never printed
}

// isJWTShape reports whether s looks like a JWS compact token: three
// base64url segments, the first starting like a JSON object.
func isJWTShape(s string) bool {
	if strings.Count(s, ".") != 2 || !strings.HasPrefix(s, "eyJ") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// maxJWTBytes bounds the token the doctor decodes.
const maxJWTBytes = 16 << 10

func decodeJWT(tok string) *jwtInfo {
	j := &jwtInfo{raw: tok}
	if len(tok) > maxJWTBytes {
		j.Err = fmt.Sprintf("the token is %d bytes, over the %d the doctor decodes", len(tok), maxJWTBytes)
		return j
	}
	parts := strings.Split(tok, ".")
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		j.Err = "the header segment: " + err.Error()
		return j
	}
	j.Alg, j.Kid, j.Typ = hdr.Alg, hdr.Kid, hdr.Typ
	var claims map[string]json.RawMessage
	if err := decodeSegment(parts[1], &claims); err != nil {
		j.Err = "the claims segment: " + err.Error()
		return j
	}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(claims[name], &s)
		return s
	}
	j.Iss, j.Sub, j.Scope = str("iss"), str("sub"), str("scope")
	if a, ok := claims["aud"]; ok {
		var one string
		if json.Unmarshal(a, &one) == nil {
			j.Aud = []string{one}
		} else {
			_ = json.Unmarshal(a, &j.Aud)
		}
	}
	for name, dst := range map[string]**time.Time{"exp": &j.Exp, "nbf": &j.Nbf, "iat": &j.Iat} {
		var n float64
		if raw, ok := claims[name]; ok && json.Unmarshal(raw, &n) == nil && !math.IsNaN(n) && math.Abs(n) < 1e11 {
			t := time.Unix(int64(n), 0).UTC()
			*dst = &t
		}
	}
	for _, name := range []string{"nonce", "at_hash", "c_hash", "auth_time"} {
		if _, ok := claims[name]; ok {
			j.IDToken = true
		}
	}
	return j
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("not base64url (RFC 7515 §2): %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	return nil
}

// timeCheck compares the token's times with a clock.
type timeCheck struct {
	expired     bool          // now is past exp
	notYet      bool          // now is before nbf
	future      bool          // iat is after now
	expiredAgo  time.Duration // how long past exp
	validFor    time.Duration // how long until exp
	earlyBy     time.Duration // how long before nbf or iat
	hasAnyClaim bool
}

// timeTolerance is how far apart two clocks may be before the doctor
// calls it skew: a little over the leeway servers commonly allow (authgate
// 30 s, many libraries 60 s).
const timeTolerance = 60 * time.Second

// checkAt compares the token's times with now. nbf and iat count as in the
// future only beyond early, the leeway servers give them.
func (j *jwtInfo) checkAt(now time.Time, early time.Duration) timeCheck {
	var c timeCheck
	if j.Exp != nil {
		c.hasAnyClaim = true
		if !now.Before(*j.Exp) {
			c.expired, c.expiredAgo = true, now.Sub(*j.Exp)
		} else {
			c.validFor = j.Exp.Sub(now)
		}
	}
	if j.Nbf != nil {
		c.hasAnyClaim = true
		if now.Add(early).Before(*j.Nbf) {
			c.notYet, c.earlyBy = true, j.Nbf.Sub(now)
		}
	}
	if j.Iat != nil {
		c.hasAnyClaim = true
		if j.Iat.After(now.Add(early)) {
			c.future = true
			if d := j.Iat.Sub(now); d > c.earlyBy {
				c.earlyBy = d
			}
		}
	}
	return c
}

func (c timeCheck) bad() bool { return c.expired || c.notYet || c.future }

// round makes durations readable: seconds for anything over a minute.
func round(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
