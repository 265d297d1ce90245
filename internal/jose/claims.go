package jose

import (
	"unicode/utf8"

	"github.com/authgate/authgate/internal/quote"
)

// This file reads a JWS payload as a JWT claims set: all of it into a
// map (Claims), or chosen claims first and the map when asked
// (ReadClaims, ClaimsSet.Map).

// Claims decodes the payload as a JWT claims set (RFC 7519 §7.2): a JSON
// object, no claim twice, into the values encoding/json gives for a
// map[string]any. Its error is a *MalformedError.
func (t *JWS) Claims() (map[string]any, error) {
	text, m := t.claimsText()
	if m != nil {
		return nil, m
	}
	c := ClaimsSet{text: text}
	return c.Map()
}

// ClaimsSet is a payload that ReadClaims found to be a valid JWT claims
// set, decoded into a map only when Map is called.
type ClaimsSet struct {
	text string
	m    map[string]any
}

// ReadClaims reads the payload as a JWT claims set, as Claims does, and
// sets out[i] to the top-level claim named want[i] (Kind Absent when
// there is none). It decodes the set into a map only when the skim
// cannot decide: a set of more than 32 claims, or one the skim refuses,
// whose error the map's decoding words. A caller that refuses the token
// on the claims in want never pays for the map, and one that accepts it
// calls Map. Its error is Claims' error for the same token, and out is
// then unspecified. out is at least as long as want.
func (t *JWS) ReadClaims(want []string, out []Member) (ClaimsSet, error) {
	text, m := t.claimsText()
	if m != nil {
		return ClaimsSet{}, m
	}
	c := ClaimsSet{text: text}
	if skimObject(text, want, out) {
		return c, nil
	}
	// More than skimObject tells apart, or not valid: the map says which.
	if _, err := c.Map(); err != nil {
		return ClaimsSet{}, err
	}
	for i, name := range want {
		out[i] = Member{}
		if v, ok := c.m[name]; ok {
			out[i] = MemberOf(v)
		}
	}
	return c, nil
}

// Map decodes the claims set into the values encoding/json gives for a
// map[string]any, once: later calls return the same map. Its error is a
// *MalformedError, and only for a ClaimsSet that ReadClaims did not
// return.
func (c *ClaimsSet) Map() (map[string]any, error) {
	if c.m != nil {
		return c.m, nil
	}
	claims, jerr := decodeJSONText(c.text)
	switch {
	case jerr == nil:
	case jerr.twice && jerr.nested:
		return nil, malformed(NoProblem, "the claims set has a claim whose object has the member %s twice (RFC 7519 §4)", quote.Quote(jerr.dup))
	case jerr.twice:
		return nil, malformed(NoProblem, "the claims set has the claim %s twice (RFC 7519 §4)", quote.Quote(jerr.dup))
	default:
		return nil, malformed(NoProblem, "the payload is not valid JSON: %s", jerr.msg)
	}
	c.m = claims
	return claims, nil
}

// claimsText decodes the payload into the text the claims are read from:
// valid UTF-8, starting with an object.
func (t *JWS) claimsText() (string, *MalformedError) {
	b, m := decodeText("payload", t.payload)
	if m != nil {
		return "", m
	}
	if !utf8.ValidString(b) {
		return "", malformed(NoProblem, "the payload is not UTF-8")
	}
	if firstNonSpace(b) != '{' {
		return "", malformed(NotJWT, "the payload is not a JSON object, so not a JWT claims set (RFC 7519 §7.2)")
	}
	return b, nil
}
