package bearer

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// keySet is an immutable, validated set of verification keys, with where
// it came from. Its methods are the questions verification asks of it:
// which keys may have signed a token (candidates), whether a remembered
// token's key is still the one it would pick (stillPicks), and how to
// name it in a detail (describeSet).
type keySet struct {
	keys []*key
	// kidAt is the index in keys of each kid's key, so that candidates
	// returns a kid's key as a slice of keys, without allocating one.
	// Every set is made by newKeySet, which builds it.
	kidAt map[string]int
	// skipped lists the keys left out, and why: encryption keys, key
	// types authgate does not verify with.
	skipped   []string
	symmetric bool
	// origin names where the set came from, for details and logs:
	// "static JWKS", "shared secret", "file <path>" or the URL. The
	// details that name it name the issuer first, so it does not.
	origin    string
	fetchedAt time.Time
	// gen increases with each set an issuer installs (0 for static
	// sets); the verified-token cache compares it to tell whether an
	// entry's key needs checking again.
	gen uint64
	// desc caches describeSet's text: an installed set never changes,
	// and rejection details name it on every unknown key.
	desc atomic.Pointer[string]
	// unknown remembers the words of the last token_key_unknown made
	// with this set (keyUnknown), one entry: a flood of distinct kids
	// costs what it did without it.
	unknown atomic.Pointer[unknownWords]
	// badSig remembers the detail of the last token_signature_invalid
	// of the set, for forgeries sent again and again: badSignatureDetail.
	badSig atomic.Pointer[badSigWords]
}

// newKeySet is the set of keys, byKid naming those with a kid.
func newKeySet(keys []*key, byKid map[string]*key) *keySet {
	s := &keySet{keys: keys, kidAt: make(map[string]int, len(byKid))}
	for i, k := range keys {
		if k.Kid != "" && byKid[k.Kid] == k {
			s.kidAt[k.Kid] = i
		}
	}
	return s
}

// keyOf returns the key named kid, or nil.
func (s *keySet) keyOf(kid string) *key {
	if i, ok := s.kidAt[kid]; ok {
		return s.keys[i]
	}
	return nil
}

// algs returns the distinct algorithms the set's keys are bound to.
func (s *keySet) algs() allowList {
	var out allowList
	for _, k := range s.keys {
		if !out.Has(k.Alg) {
			out = append(out, k.Alg)
		}
	}
	return out
}

// candidates returns the keys that may have signed a token with kid and
// alg: the key named kid, or when there is none (or no kid), the keys
// without kid bound to alg. When more than MaxKeysTried keys fit without
// a kid, it returns none of them and their number as over: a forged token
// must not cost a signature check per key of a large set.
func (s *keySet) candidates(kid string, alg *algorithm) (cands []*key, over int) {
	if kid != "" {
		if i, ok := s.kidAt[kid]; ok {
			return s.keys[i : i+1 : i+1], 0
		}
	}
	n := 0
	for _, k := range s.keys {
		if k.Alg == alg && (kid == "" || k.Kid == "") {
			n++
		}
	}
	if n > MaxKeysTried {
		return nil, n
	}
	for _, k := range s.keys {
		if k.Alg == alg && (kid == "" || k.Kid == "") {
			cands = append(cands, k)
		}
	}
	return cands, 0
}

// stillPicks reports whether the set would still verify a token with kid
// and alg with the key used (the same key material, bound to the same
// algorithm), as candidates would choose it.
func (s *keySet) stillPicks(kid string, alg *algorithm, used *key) bool {
	if kid != "" {
		if k := s.keyOf(kid); k != nil {
			return k.Equal(used)
		}
	}
	cands, _ := s.candidates(kid, alg)
	for _, k := range cands {
		if k.Equal(used) {
			return true
		}
	}
	return false
}

// describeSet says how many keys a set holds, their kids, and its age.
// It is computed once per installed set.
func describeSet(s *keySet) string {
	if d := s.desc.Load(); d != nil {
		return *d
	}
	var kids []string
	for _, k := range s.keys {
		if len(kids) == 8 {
			kids = append(kids, "...")
			break
		}
		if k.Kid != "" {
			kids = append(kids, quote(k.Kid))
		}
	}
	out := fmt.Sprintf("%d key", len(s.keys))
	if len(s.keys) != 1 {
		out += "s"
	}
	if len(kids) > 0 {
		out += " with kids " + strings.Join(kids, ", ")
	}
	if !s.fetchedAt.IsZero() {
		out += ", fetched at " + s.fetchedAt.UTC().Format(time.RFC3339)
	}
	s.desc.Store(&out)
	return out
}
