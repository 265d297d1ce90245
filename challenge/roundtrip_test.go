package challenge_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/authgate/authgate/challenge"
)

const (
	tchars      = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	token68Char = "-._~+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	// valueBias makes the characters that stress quoting and splitting
	// frequent in generated values.
	valueBias = `"\,=; ` + `"\,=`
)

func randFrom(r *rand.Rand, set string, min, max int) string {
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}

func randValue(r *rand.Rand) string {
	n := r.IntN(24)
	b := make([]byte, n)
	for i := range b {
		if r.IntN(3) == 0 {
			b[i] = valueBias[r.IntN(len(valueBias))]
		} else {
			b[i] = byte(0x20 + r.IntN(0x7f-0x20))
		}
	}
	return string(b)
}

// randChallenge returns a challenge that Validate accepts: a scheme alone,
// a token68, or 1..12 distinct auth-params with arbitrary printable values.
func randChallenge(r *rand.Rand) challenge.Challenge {
	switch r.IntN(10) {
	case 0:
		return challenge.Challenge{Scheme: randFrom(r, tchars, 1, 12)}
	case 1, 2:
		return challenge.Challenge{Scheme: randFrom(r, tchars, 1, 12),
			Token68: randFrom(r, token68Char, 1, 40) + strings.Repeat("=", r.IntN(3))}
	case 3:
		c, _ := challenge.Basic(randValue(r) + "x")
		return c
	case 4:
		c, _ := challenge.Bearer(challenge.BearerParams{
			Realm:            randValue(r) + "r",
			Scope:            strings.Join([]string{randFrom(r, "abc:/!#[]~", 1, 8), randFrom(r, "xyz.-_", 1, 8)}, " "),
			Error:            challenge.ErrorInvalidToken,
			ErrorDescription: strings.NewReplacer(`"`, "'", `\`, "/").Replace(randValue(r)) + ".",
			ErrorURI:         "https://docs.example/" + randFrom(r, "abc-_~!$&'()*+,;=:@", 0, 10),
			ResourceMetadata: "https://api.example/.well-known/oauth-protected-resource",
		})
		return c
	}
	var scheme string
	for scheme == "" || strings.EqualFold(scheme, "basic") || strings.EqualFold(scheme, "bearer") {
		scheme = randFrom(r, tchars, 1, 12)
	}
	c := challenge.Challenge{Scheme: scheme}
	seen := map[string]bool{}
	for range 1 + r.IntN(12) {
		name := randFrom(r, tchars, 1, 10)
		if seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		c.Params = append(c.Params, challenge.Param{Name: name, Value: randValue(r)})
	}
	return c
}

// TestRoundTripProperty checks the property the issue asks for: parsing
// what we format gives back the same challenge, for single challenges, for
// several in one field and for several across fields (A2, A3, A5).
func TestRoundTripProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 9110))
	for i := range 3000 {
		c := randChallenge(r)
		if err := c.Validate(); err != nil {
			t.Fatalf("#%d: generated challenge invalid: %s: %v", i, show(c), err)
		}
		s, err := c.Format()
		if err != nil {
			t.Fatalf("#%d: Format(%s): %v", i, show(c), err)
		}
		if k := headerSafe(s); k >= 0 {
			t.Fatalf("#%d: Format wrote byte 0x%02x: %q", i, s[k], s)
		}
		back, err := challenge.Parse(s)
		if err != nil || len(back) != 1 || !same(back[0], c) {
			t.Fatalf("#%d: Parse(%q) = %s, %v; want %s", i, s, show(back...), err, show(c))
		}
		cred, err := challenge.ParseCredentials(s)
		if err != nil || !same(cred, c) {
			t.Fatalf("#%d: ParseCredentials(%q) = %s, %v", i, s, show(cred), err)
		}

		group := []challenge.Challenge{c}
		for range r.IntN(4) {
			group = append(group, randChallenge(r))
		}
		all, err := challenge.FormatAll(group...)
		if err != nil {
			t.Fatalf("#%d: FormatAll: %v", i, err)
		}
		back, err = challenge.Parse(all)
		if err != nil || !sameList(back, group) {
			t.Fatalf("#%d: Parse(%q)\n got %s\nwant %s (%v)", i, all, show(back...), show(group...), err)
		}
		lines := make([]string, len(group))
		for j, g := range group {
			lines[j], _ = g.Format()
		}
		back, err = challenge.Parse(lines...)
		if err != nil || !sameList(back, group) {
			t.Fatalf("#%d: Parse(%q) = %s, %v", i, lines, show(back...), err)
		}
	}
}
