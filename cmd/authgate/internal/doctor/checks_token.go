package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The token checks: clocks, times, issuer and audience, signature.

func (d *diagnosis) checkClock() {
	if d.resp.Date == nil {
		d.check("clock", "Clocks", NotApplicable, "the server sent no Date header to compare with")
		return
	}
	skew := d.skew()
	if round(skew) <= timeTolerance {
		d.check("clock", "Clocks", Pass, fmt.Sprintf("this machine and the server's Date agree (within %s)", timeTolerance))
		return
	}
	d.check("clock", "Clocks", Fail, "the server's clock (Date: "+d.resp.Header.Get("Date")+") is "+skewWords(skew)+" this machine's")
}

// skew is how far the server's clock is ahead of this machine's. Date is
// truncated to the second, so its midpoint is the best estimate.
func (d *diagnosis) skew() time.Duration {
	return d.resp.Date.Add(500 * time.Millisecond).Sub(d.now).Round(time.Second)
}

func skewWords(skew time.Duration) string {
	if skew > 0 {
		return round(skew).String() + " ahead of"
	}
	return round(skew).String() + " behind"
}

func (d *diagnosis) jwtCred() *credential {
	for _, c := range d.creds {
		if c.JWT != nil && c.JWT.Err == "" {
			return c
		}
	}
	return nil
}

func (d *diagnosis) checkJWT(ctx context.Context) {
	c := d.jwtCred()
	if c == nil {
		for _, c := range d.creds {
			if c.JWT != nil && c.JWT.Err != "" {
				d.check("token_claims", "Token claims", Fail, "the JWT does not decode: "+c.JWT.Err)
				return
			}
		}
		d.check("token_claims", "Token claims", NotApplicable, "no JWT on the request")
		return
	}
	j := c.JWT
	d.check("token_claims", "Token claims (decoded, not verified)", Info, fmt.Sprintf("alg %s, kid %q, typ %q, iss %q, sub %q, aud %q, scope %q, exp %s, nbf %s, iat %s",
		j.Alg, j.Kid, j.Typ, j.Iss, j.Sub, j.Aud, j.Scope, fmtTime(j.Exp), fmtTime(j.Nbf), fmtTime(j.Iat)))
	d.checkTokenTimes(j)
	d.checkResource(ctx, j)
	d.checkSignature(ctx, j)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339)
}

func (d *diagnosis) checkTokenTimes(j *jwtInfo) {
	local := j.checkAt(d.now, timeTolerance)
	if !local.hasAnyClaim {
		d.check("token_time", "Token times", NotApplicable, "the token has no exp, nbf or iat")
		return
	}
	var server timeCheck
	hasDate := d.resp.Date != nil
	skewed := false
	if hasDate {
		// Date is truncated to the second: the server's time is in
		// [Date, Date+1s). Below a few seconds apart, the clocks agree.
		server = j.checkAt(*d.resp.Date, timeTolerance+time.Second)
		skewed = round(d.skew()) > 5*time.Second
	}
	switch {
	case local.expired && (!hasDate || server.expired):
		by := "by this machine's clock"
		if hasDate {
			by = "by this machine's clock and by the server's Date"
		}
		f := finding(CauseInvalidCredential, fmt.Sprintf("the token expired at %s, %s ago %s", fmtTime(j.Exp), round(local.expiredAgo), by),
			"get a new token (or refresh it) before exp; the client must not keep using it")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	case !local.bad() && skewed && server.bad():
		skew := d.skew()
		what := fmt.Sprintf("by this machine's clock the token is valid (exp %s, in %s)", fmtTime(j.Exp), round(local.validFor))
		switch {
		case server.expired:
			what += fmt.Sprintf(", but by the server's clock (Date %s) it expired %s ago", d.resp.Header.Get("Date"), round(server.expiredAgo))
		default:
			what += fmt.Sprintf(", but by the server's clock (Date %s) it is not valid yet (nbf/iat %s ahead)", d.resp.Header.Get("Date"), round(server.earlyBy))
		}
		side := "the server's clock is " + skewWords(skew) + " this machine's"
		if j.Iat != nil && d.now.Sub(*j.Iat) >= -timeTolerance && d.now.Sub(*j.Iat) < 10*time.Minute {
			side += fmt.Sprintf("; the token was issued %s ago by this machine's clock, so the issuer's clock agrees with this machine's and the server's clock is the likely one off (unless the issuer runs on this machine)", round(d.now.Sub(*j.Iat)))
		}
		f := finding(CauseClockSkew, "clock skew: "+side+"; "+what, "fix the clock that is off (run NTP on it); a larger leeway on the server only hides it")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	case local.notYet || local.future:
		f := finding(CauseClockSkew, fmt.Sprintf("the token's nbf/iat is %s in the future by this machine's clock too: the issuer's clock is ahead", round(local.earlyBy)),
			"fix the issuer's clock (NTP), or wait until the token becomes valid")
		d.timeFinding = &f
		d.check("token_time", "Token times", Fail, f.Summary)
	default:
		ev := fmt.Sprintf("valid now by this machine's clock (exp in %s)", round(local.validFor))
		if j.Exp == nil {
			ev = "no exp; nbf and iat are in the past"
		}
		if hasDate {
			ev += " and by the server's Date"
		}
		d.check("token_time", "Token times", Pass, ev)
	}
}

func (d *diagnosis) checkResource(ctx context.Context, j *jwtInfo) {
	rm := ""
	if b := d.bearerChallenge(); b != nil {
		rm, _ = b.Param("resource_metadata")
	}
	m, err := d.fetchResourceMetadata(ctx, d.req.URL, rm)
	if err != nil {
		res := NotApplicable
		if !errors.Is(err, errNotFound) {
			res = Info
		}
		d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", res, "no protected resource metadata: "+err.Error())
		return
	}
	var bad []string
	if m.Resource != "" && !containsExact(j.Aud, m.Resource) {
		bad = append(bad, fmt.Sprintf("aud %q does not contain this resource %q", j.Aud, m.Resource))
	}
	if len(m.AuthorizationServers) > 0 && !containsExact(m.AuthorizationServers, j.Iss) {
		w := fmt.Sprintf("iss %q is not among the resource's authorization servers %q", j.Iss, m.AuthorizationServers)
		if containsExact(m.AuthorizationServers, strings.TrimSuffix(j.Iss, "/")) || containsExact(m.AuthorizationServers, j.Iss+"/") {
			w += " (they differ by a trailing slash)"
		}
		bad = append(bad, w)
	}
	if len(bad) == 0 {
		d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", Pass, fmt.Sprintf("iss and aud match %s", m.url))
		return
	}
	f := finding(CauseOtherEnvironment, "the token is for another environment: "+strings.Join(bad, "; "),
		"get a token from "+firstOr(m.AuthorizationServers, "this resource's authorization server")+" for audience "+m.Resource)
	d.envFinding = &f
	d.check("issuer_audience", "iss and aud against the resource's metadata (RFC 9728)", Fail, strings.Join(bad, "; ")+" (from "+m.url+")")
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func containsExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *diagnosis) checkSignature(ctx context.Context, j *jwtInfo) {
	keys, err := d.fetchIssuerKeys(ctx, j.Iss)
	if err != nil {
		d.check("signature", "kid and signature at the token's issuer", NotApplicable, "the issuer's keys could not be fetched: "+err.Error())
		return
	}
	res, err := verify(j, keys.set)
	d.sig = res
	switch {
	case err != nil:
		d.check("signature", "kid and signature at the token's issuer", Info, err.Error())
	case res == sigNoKid:
		d.sigNote = fmt.Sprintf("the issuer %s publishes no key with kid %q (%s)", j.Iss, j.Kid, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Fail, d.sigNote)
	case res == sigInvalid:
		d.sigNote = fmt.Sprintf("the signature does not verify with the issuer's key %q (%s): the token was modified or corrupted", j.Kid, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Fail, d.sigNote)
	default:
		d.sigNote = fmt.Sprintf("the signature verifies with key %q of its issuer %s (%s): the token is genuine", j.Kid, j.Iss, keys.jwksURI)
		d.check("signature", "kid and signature at the token's issuer", Pass, d.sigNote)
	}
}
