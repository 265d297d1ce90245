package jose

import (
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/internal/quote"
)

// This file reads a JWS's protected header: its string members without a
// map when it can, and refuses what a JWS must not carry (crit, enc, a
// nested token).

// parseHeader decodes the header into h and reports whether it has an enc
// member, whatever its value: only a JWE has one (RFC 7516 §4.1.2).
func parseHeader(b string, h *Header) (members map[string]any, hasEnc bool, m *MalformedError) {
	if !utf8.ValidString(b) {
		return nil, false, malformed(NoProblem, "the header is not UTF-8")
	}
	if firstNonSpace(b) != '{' {
		return nil, false, malformed(NoProblem, "the header is not a JSON object")
	}
	// Most headers hold strings only, and no crit or jwk: their members
	// are read without a map. Every other header is decoded into one,
	// which words what is wrong with it.
	var vals [len(headerNames)]Member
	if skimObject(b, headerNames[:], vals[:]) && headerSkimmed(&vals) {
		h.Alg, h.Kid, h.Typ, h.Cty, h.enc = vals[0].Str, vals[1].Str, vals[2].Str, vals[3].Str, vals[4].Str
		if m := checkHeader(h); m != nil {
			return nil, false, m
		}
		return nil, vals[4].Kind != Absent, nil
	}
	// A map, not a struct: JOSE header names are case-sensitive ("ALG"
	// is not "alg"), and encoding/json matches struct fields without
	// regard to case.
	members, jerr := decodeJSONText(b)
	switch {
	case jerr == nil:
	case jerr.twice && jerr.nested:
		return nil, false, malformed(NoProblem, "the header has an object with the member %s twice (RFC 7515 §4)", quote.Quote(jerr.dup))
	case jerr.twice:
		return nil, false, malformed(NoProblem, "the header has the member %s twice (RFC 7515 §4)", quote.Quote(jerr.dup))
	default:
		return nil, false, malformed(NoProblem, "the header is not valid JSON: %s", jerr.msg)
	}
	// The names and the fields apart: a name goes into an error, and a
	// pointer into h beside it would make h escape (and with it the
	// caller's struct that holds the JWS, jose.ParseInto).
	dsts := [...]*string{&h.Alg, &h.Kid, &h.Typ, &h.Cty, &h.enc}
	for i, name := range headerNames[:len(dsts)] {
		raw, ok := members[name]
		if !ok {
			continue
		}
		s, ok := raw.(string)
		if !ok {
			return nil, false, malformed(NoProblem, "the header member %s is not a string", name)
		}
		*dsts[i] = s
	}
	crit, hasCrit := members["crit"]
	_, hasEnc = members["enc"]
	if m := checkHeader(h); m != nil {
		return nil, false, m
	}
	if hasCrit {
		return nil, false, checkCrit(crit)
	}
	return members, hasEnc, nil
}

// headerNames are the members parseHeader reads without a map: the five
// string members of Header, then crit and jwk, whose presence sends a
// header to the map (crit to be refused, jwk for EmbeddedKey).
var headerNames = [...]string{"alg", "kid", "typ", "cty", "enc", "crit", "jwk"}

// headerSkimmed reports whether the skimmed header members need no map:
// each of the five string members absent or a string, no crit, no jwk.
func headerSkimmed(vals *[len(headerNames)]Member) bool {
	for _, m := range vals[:5] {
		if m.Kind != Absent && m.Kind != String {
			return false
		}
	}
	return vals[5].Kind == Absent && vals[6].Kind == Absent
}

// checkHeader refuses a header without alg or with cty JWT.
func checkHeader(h *Header) *MalformedError {
	if h.Alg == "" {
		return malformed(NoProblem, "the header has no alg (RFC 7515 §4.1.1)")
	}
	if cty := h.Cty; strings.EqualFold(cty, "JWT") || strings.EqualFold(cty, "application/JWT") {
		return malformed(NoProblem, "the header says cty JWT: a nested token, which is not accepted (RFC 8725 §3.3)")
	}
	return nil
}

// registeredHeaders are the header names that crit must not list (RFC
// 7515 §4.1.11, RFC 7516 §4.1).
var registeredHeaders = [...]string{"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc", "zip"}

// checkCrit refuses every crit header: authgate understands no JWS
// extension, and RFC 7515 §4.1.11 says a recipient that does not
// understand a listed extension must reject the JWS.
func checkCrit(raw any) *MalformedError {
	list, _ := raw.([]any)
	names := make([]string, 0, len(list))
	for _, x := range list {
		if n, ok := x.(string); ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 || len(names) != len(list) {
		return malformed(NoProblem, "the header's crit is not a non-empty array of strings (RFC 7515 §4.1.11)")
	}
	for _, n := range names {
		for _, r := range registeredHeaders {
			if n == r {
				return malformed(NoProblem, "the header's crit lists %s, a registered header name it must not list (RFC 7515 §4.1.11)", quote.Quote(n))
			}
		}
	}
	return malformed(NoProblem, "the header's crit lists the extension %s, which authgate does not understand, so the token must be rejected (RFC 7515 §4.1.11)", quote.Quote(names[0]))
}
