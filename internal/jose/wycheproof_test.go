package jose

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// Project Wycheproof JOSE vectors (Apache-2.0), in testdata/wycheproof;
// see COPIED.md there. verifiers/bearer runs them again through its
// verifier and the gate, with the reason each must get.

// wycheJWS is the part of a Wycheproof JWS vector file read here.
type wycheJWS struct {
	TestGroups []struct {
		Private json.RawMessage `json:"private"`
		Public  json.RawMessage `json:"public"`
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			JWS     json.RawMessage `json:"jws"`
			Result  string          `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// jwsDeviations are the vectors whose outcome here differs from
// Wycheproof's on purpose (the same list as verifiers/bearer's, with the
// reasons there).
var jwsDeviations = map[int]string{
	346: "key bound to PS256, token PS384: a key verifies one algorithm (RFC 8725 §3.1)",
	350: "key bound to PS256, token PS384: a key verifies one algorithm (RFC 8725 §3.1)",
	347: `key alg 'ES521' is no registered JWS algorithm: the set is refused`,
	351: `key alg 'ES521' is no registered JWS algorithm: the set is refused`,
	372: "a '?' in the header: every byte outside base64url is refused",
	373: "a '?' in the payload: every byte outside base64url is refused",
	367: "byte-identical to the valid tcId 357: nothing to reject at the JWS layer",
	370: "byte-identical to the valid tcId 357: nothing to reject at the JWS layer",
}

// TestWycheproofJWS_verify: no invalid vector verifies, and every valid
// one does, but for the deviations, with only this package's three calls:
// ParseKeySet, Parse (and DecodePayload), Key.Verify.
func TestWycheproofJWS_verify(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/wycheproof/json_web_signature_test.json")
	if err != nil {
		t.Fatal(err)
	}
	const sum = "8e687a06fe8359f4ec51480f1a9f73c8faebd6f4c01b818b843b44eee54fd5d9"
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
		t.Fatalf("the vectors changed: sha256 %x, COPIED.md says %s", got, sum)
	}
	var f wycheJWS
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.TestGroups {
		k := g.Public
		if k == nil {
			k = g.Private // HMAC groups: the shared secret
		}
		set, setErr := ParseKeySet([]byte(`{"keys":[`+string(k)+`]}`), KeySetOptions{Symmetric: true})
		for _, tc := range g.Tests {
			n++
			var tok string
			if json.Unmarshal(tc.JWS, &tok) != nil {
				tok = string(tc.JWS) // the JSON serialization
			}
			ok := setErr == nil && verifies(set, tok)
			want := tc.Result == "valid"
			if _, dev := jwsDeviations[tc.TcID]; dev {
				want = !want
			}
			if ok != want {
				t.Errorf("tcId %d (%s, %s): verified %v, want %v (set error: %v)", tc.TcID, tc.Comment, tc.Result, ok, want, setErr)
			}
		}
	}
	if n != 401 {
		t.Fatalf("ran %d vectors, want 401", n)
	}
}

// verifies reports whether tok parses, its payload decodes, and its
// signature verifies with the key of set its kid names (or the only key),
// bound to the token's alg.
func verifies(set *KeySet, tok string) bool {
	j, err := Parse(tok)
	if err != nil {
		return false
	}
	if _, err := j.DecodePayload(); err != nil && j.SigningInput[len(j.SigningInput)-1] != '.' {
		return false // an empty payload is valid JWS
	}
	k := set.ByKid[j.Header.Kid]
	if k == nil && len(set.Keys) == 1 && (j.Header.Kid == "" || set.Keys[0].Kid == "") {
		k = set.Keys[0]
	}
	return k != nil && LookupAlg(j.Header.Alg) == k.Alg && k.Verify(j.SigningInput, j.Signature())
}
