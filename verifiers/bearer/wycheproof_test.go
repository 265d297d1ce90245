package bearer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/authgate/authgate/internal/jose"
	"github.com/authgate/authgate/verifiers"
)

// Project Wycheproof JOSE vectors (Apache-2.0), copied into
// internal/jose/testdata/wycheproof (beside the JOSE layer they test
// first; internal/jose/wycheproof_test.go); see COPIED.md there.

type wycheFile struct {
	TestGroups []struct {
		Comment string          `json:"comment"`
		Private json.RawMessage `json:"private"`
		Public  json.RawMessage `json:"public"`
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			JWS     json.RawMessage `json:"jws"`
			Result  string          `json:"result"`
			Flags   []string        `json:"flags"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func loadWycheproof(t *testing.T, name, sum string) wycheFile {
	t.Helper()
	b, err := os.ReadFile("../../internal/jose/testdata/wycheproof/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
		t.Fatalf("%s changed: sha256 %x, COPIED.md says %s", name, got, sum)
	}
	var f wycheFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// jwsStage runs the JWS steps of v on tok, in Verify's order (structure,
// algorithm, payload encoding, key, signature) but without reading the
// payload as claims, and names where tok stops: "ok" or the reason.
func jwsStage(v *Verifier, tok string) (string, string) {
	t, err := jose.Parse(tok)
	if err != nil {
		return string(verifiers.TokenMalformed), asMalformed(err).Detail
	}
	a := jose.LookupAlg(t.Header.Alg)
	if why := v.algRefusal(a); why != algAllowed {
		rej := v.algRejection(&token{JWS: *t}, a, why)
		return string(rej.Reason), rej.Detail
	}
	if p := t.SigningInput[strings.IndexByte(t.SigningInput, '.')+1:]; p != "" { // an empty JWS payload is valid JWS (not a JWT)
		if _, err := t.DecodePayload(); err != nil {
			return string(verifiers.TokenMalformed), asMalformed(err).Detail
		}
	}
	is := v.order[0]
	cands, _, err := v.findKeys(context.Background(), is, is.current(), t.Header.Kid, a)
	if err != nil {
		var rej *verifiers.Rejection
		errors.As(err, &rej)
		return string(rej.Reason), rej.Detail
	}
	for _, k := range cands {
		if k.Verify(t.SigningInput, t.Signature()) {
			return "ok", ""
		}
	}
	return string(verifiers.TokenSignatureInvalid), ""
}

const (
	stageLoad = "refused at load"
	stageOK   = "ok"
)

// Deliberate deviations from Wycheproof's verdicts at the JWS layer.
var wycheDeviations = map[int]string{
	346: "key alg PS256, token alg PS384: authgate binds each key to exactly one algorithm (RFC 8725 §3.1)",
	350: "key alg PS256, token alg PS384: authgate binds each key to exactly one algorithm (RFC 8725 §3.1)",
	347: `key alg 'ES521' is no registered JWS algorithm (ES512 is): the key set is refused at load`,
	351: `key alg 'ES521' is no registered JWS algorithm (ES512 is): the key set is refused at load`,
	372: "a '?' inserted into the header: authgate refuses every byte outside base64url (RFC 7515 §2), where Wycheproof's decoder skips it",
	373: "a '?' inserted into the payload: authgate refuses every byte outside base64url (RFC 7515 §2), where Wycheproof's decoder skips it",
	367: "byte-identical to tcId 357 (valid): the modification was lost upstream, so there is nothing to reject at the JWS layer; the verifier still rejects it (its payload is no JWT)",
	370: "byte-identical to tcId 357 (valid): the modification was lost upstream, so there is nothing to reject at the JWS layer; the verifier still rejects it (its payload is no JWT)",
}

// wycheExpected is the JWS-layer outcome of every vector.
func wycheExpected(tcID int, result string) string {
	in := func(ids ...int) bool { return slices.Contains(ids, tcID) }
	switch {
	case in(346, 350):
		return string(verifiers.TokenAlgNotAllowed)
	case in(347, 351, 353, 354, 355, 356): // ES521 keys; keys for encryption (use enc, key_ops encrypt)
		return stageLoad
	case in(372, 373):
		return string(verifiers.TokenMalformed)
	case in(367, 370):
		return stageOK
	case result == "valid":
		return stageOK
	// Structure and encoding: missing or extra parts, empty string, JSON
	// serialization, bytes outside base64url, non-canonical base64url.
	case in(3, 4, 7, 9, 10, 11, 12, 13, 14, 15, 17, 20, 21, 24, 26, 27, 28, 29, 30,
		35, 36, 39, 41, 42, 43, 44, 45, 360, 361, 362, 363, 364, 365, 366, 368, 369, 371, 374, 375):
		return string(verifiers.TokenMalformed)
	// alg none/NONE; HS256 with the EC key's bytes; a PS512 key used with
	// other algorithms.
	case in(16, 31, 332, 334, 336, 338, 340, 341, 342, 343, 344):
		return string(verifiers.TokenAlgNotAllowed)
	// A modified kid.
	case in(8, 25, 40):
		return string(verifiers.TokenKeyUnknown)
	}
	// Modified signatures and payloads, PKCS#1 and PSS padding, ECDSA
	// r/s edge values (r=s=0 included), DER or overlong signatures,
	// embedded attacker jwk.
	return string(verifiers.TokenSignatureInvalid)
}

// TestWycheproofJWS checks every JWS vector twice: at the JWS layer (the
// outcome, and for valid vectors that the signature verifies), and
// through the gate, where no vector may get a 2xx or a 5xx, each with the
// reason Verify must give.
func TestWycheproofJWS(t *testing.T) {
	t.Parallel()
	f := loadWycheproof(t, "json_web_signature_test.json", "8e687a06fe8359f4ec51480f1a9f73c8faebd6f4c01b818b843b44eee54fd5d9")
	var v357 string
	seen := map[int]bool{}
	count := 0
	for _, g := range f.TestGroups {
		k := g.Public
		if k == nil {
			k = g.Private // HMAC groups: the shared secret
		}
		set := []byte(`{"keys":[` + string(k) + `]}`)
		v, loadErr := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(set)}}, quiet())
		if loadErr != nil && !errors.Is(loadErr, ErrInvalidKeySet) {
			t.Fatalf("group %s: %v", g.Comment, loadErr)
		}
		for _, tc := range g.Tests {
			count++
			seen[tc.TcID] = true
			var tok string
			if json.Unmarshal(tc.JWS, &tok) != nil {
				tok = string(tc.JWS) // tcId 17: JSON serialization
			}
			if tc.TcID == 357 {
				v357 = tok
			}
			want := wycheExpected(tc.TcID, tc.Result)
			got, detail := stageLoad, ""
			if loadErr == nil {
				got, detail = jwsStage(v, tok)
			} else {
				detail = loadErr.Error()
			}
			if got != want {
				t.Errorf("tcId %d (%s, %s %v): JWS layer %s (%s), want %s", tc.TcID, tc.Comment, tc.Result, tc.Flags, got, detail, want)
			}
			if dev, ok := wycheDeviations[tc.TcID]; ok && (got == stageOK) == (tc.Result == "valid") {
				t.Errorf("tcId %d is listed as a deviation (%s) but matches Wycheproof", tc.TcID, dev)
			}
			if loadErr != nil {
				continue
			}
			// Through the gate.
			res := throughGate(t, v, bearerReq(tok))
			if res.status < 400 || res.status >= 500 {
				t.Errorf("tcId %d: status %d through the gate", tc.TcID, res.status)
				continue
			}
			wantReason := want
			keyBinding := slices.Contains([]int{332, 334, 336, 338, 340, 346, 350}, tc.TcID) // alg refused by the key, not the allow-list
			if want != string(verifiers.TokenMalformed) && want != string(verifiers.TokenAlgNotAllowed) || keyBinding {
				// The payloads are not JWT claim sets: Verify reads the
				// claims before it looks for the key.
				wantReason = string(verifiers.TokenMalformed)
			}
			if tok == "" {
				wantReason = string(verifiers.RequestMalformed) // "Bearer " with nothing after it
			}
			if ev := res.refusal(t); ev["reason"] != wantReason {
				t.Errorf("tcId %d: gate logged %v (%v), want %s", tc.TcID, ev["reason"], ev["detail"], wantReason)
			}
			if tok != "" {
				res.noSecret(t, tok)
			}
		}
	}
	if count != 401 || len(seen) != 401 {
		t.Fatalf("ran %d vectors (%d ids), want 401", count, len(seen))
	}
	// The two deviations that are data errors really are copies of 357.
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			if tc.TcID == 367 || tc.TcID == 370 {
				var tok string
				_ = json.Unmarshal(tc.JWS, &tok)
				if tok != v357 {
					t.Errorf("tcId %d is no longer identical to 357: revisit its deviation", tc.TcID)
				}
			}
		}
	}
}

// TestWycheproofKeySets loads every key set of json_web_key_test.json: the
// invalid ones must be refused at load, the valid ones must load and
// verify their vector.
func TestWycheproofKeySets(t *testing.T) {
	t.Parallel()
	f := loadWycheproof(t, "json_web_key_test.json", "be983255bce26406f97020ec5458b33930a90d5f868e604fcd569c300aba2862")
	refused := map[int]string{
		1:  "mixes HMAC (oct) and asymmetric keys",
		4:  `kid 'kid-aes-sign' appears on two keys`,
		6:  `use is 'enc', not sig`,
		7:  "ROCA fingerprint",
		8:  "1024 bits",
		9:  "exponent",
		10: "HS256 key is 31 bytes",
		11: "HS384 key is 47 bytes",
		12: "HS512 key is 63 bytes",
		16: `missing "k"`,
		17: `missing "k"`,
		18: `missing "k"`,
		19: `alg 'ES521' is not a JWS algorithm`,
		20: `alg 'ES224' is not a JWS algorithm`,
		21: `use is 'enc', not sig`,
		22: "point not on curve",
		23: "alg ES256 needs curve P-256, this key is on P-384",
		24: "alg ES256 needs kty EC, this key's kty is RSA",
		25: `alg 'A256GCM' is an encryption algorithm`,
		26: `alg 'A256KW' is an encryption algorithm`,
	}
	n := 0
	for _, g := range f.TestGroups {
		k := g.Public
		if k == nil {
			k = g.Private
		}
		v, err := New(context.Background(), testAud, []Issuer{{URL: testIss, Keys: JWKS(k)}}, quiet())
		for _, tc := range g.Tests {
			n++
			var tok string
			_ = json.Unmarshal(tc.JWS, &tok)
			want, bad := refused[tc.TcID]
			switch {
			case bad:
				if err == nil || !errors.Is(err, ErrInvalidKeySet) || !strings.Contains(err.Error(), want) {
					t.Errorf("tcId %d (%s): load err = %v, want refusal with %q", tc.TcID, tc.Comment, err, want)
				}
			case err != nil:
				t.Errorf("tcId %d (%s): valid set refused: %v", tc.TcID, tc.Comment, err)
			default:
				got, detail := jwsStage(v, tok)
				wantStage := stageOK
				if tc.Result == "invalid" {
					wantStage = string(verifiers.TokenSignatureInvalid) // tcId 3: modified signature
				}
				if got != wantStage {
					t.Errorf("tcId %d (%s): %s (%s), want %s", tc.TcID, tc.Comment, got, detail, wantStage)
				}
			}
		}
	}
	if n != 26 {
		t.Fatalf("ran %d key-set vectors, want 26", n)
	}
}
