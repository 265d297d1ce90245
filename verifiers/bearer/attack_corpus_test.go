package bearer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifiers"
)

// The checked-in attack corpus: testdata/attacks/corpus.json holds
// tokens minted by attackCorpus below, each with the status and reason the
// gate must answer, for a verifier of the key set in
// testdata/attacks/jwks.json (issuer testIss, audience testAud, clock t0,
// default options). TestAttackCorpus checks that the files are what
// attackCorpus makes (so they cannot drift from the generator) and that
// every token still gets its expected answer. To regenerate them:
//
//	AUTHGATE_UPDATE_ATTACK_CORPUS=1 go test -run '^TestAttackCorpus$' ./verifiers/bearer/
const corpusUpdateEnv = "AUTHGATE_UPDATE_ATTACK_CORPUS"

var (
	corpusFile = filepath.Join("testdata", "attacks", "corpus.json")
	corpusKeys = filepath.Join("testdata", "attacks", "jwks.json")
)

// corpusEntry is one token of corpus.json.
type corpusEntry struct {
	Name       string `json:"name"`
	Token      string `json:"token"`
	WantStatus int    `json:"want_status"`
	WantReason string `json:"want_reason"`
}

// corpusKeyPair holds the corpus's keys, derived from fixed seeds so that
// the files are the same on every regeneration: Ed25519 signatures are
// deterministic, and ECDSA is used only for signatures written by hand.
type corpusKeyPair struct {
	ed, attacker ed25519.PrivateKey
	ec           *ecdsa.PrivateKey
}

func corpusSeed(label string) []byte {
	s := sha256.Sum256([]byte("authgate/attack-corpus/" + label))
	return s[:]
}

func newCorpusKeys(t testing.TB) corpusKeyPair {
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), corpusSeed("ec1"))
	if err != nil {
		t.Fatal(err)
	}
	return corpusKeyPair{
		ed:       ed25519.NewKeyFromSeed(corpusSeed("ed1")),
		attacker: ed25519.NewKeyFromSeed(corpusSeed("attacker")),
		ec:       ec,
	}
}

// attackCorpus returns the public key set and the corpus entries.
func attackCorpus(t testing.TB, k corpusKeyPair) ([]byte, []corpusEntry) {
	set := must(json.MarshalIndent(map[string]any{"keys": []map[string]any{
		jwkOf(k.ed, "ed1", "EdDSA"),
		jwkOf(k.ec, "ec1", "ES256"),
	}}, "", "  "))
	hEd := `{"alg":"EdDSA","kid":"ed1"}`
	ed := func(hdr, payload string) string { return mintSigned(hdr, payload, "EdDSA", k.ed) }
	good := ed(hEd, claimsJSON())
	gs := strings.Split(good, ".")
	ecInput := seg(`{"alg":"ES256","kid":"ec1"}`) + "." + seg(claimsJSON())
	n := k.ec.Curve.Params().N
	ecDER := must(x509.MarshalPKIXPublicKey(&k.ec.PublicKey))
	edJWK := must(json.Marshal(jwkOf(k.ed, "ed1", "EdDSA")))
	attackerJWK := must(json.Marshal(jwkOf(k.attacker, "ed1", "EdDSA")))
	byAttacker := func(hdr string) string { return mintSigned(hdr, claimsJSON(), "EdDSA", k.attacker) }
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := gs[2][len(gs[2])-1]
	nonCanonSig := gs[0] + "." + gs[1] + "." + gs[2][:len(gs[2])-1] + string(alpha[strings.IndexByte(alpha, last)+1])

	type row struct {
		name   string
		tok    string
		status int
		reason verifiers.Reason
	}
	mal, alg, key, sig := verifiers.TokenMalformed, verifiers.TokenAlgNotAllowed, verifiers.TokenKeyUnknown, verifiers.TokenSignatureInvalid
	rows := []row{
		{"control_valid_eddsa", good, 200, ""},
		{"alg_none", seg(`{"alg":"none"}`) + "." + gs[1] + ".", 401, alg},
		{"alg_none_uppercase", seg(`{"alg":"NONE"}`) + "." + gs[1] + ".", 401, alg},
		{"alg_none_mixed_case_with_eddsa_signature", ed(`{"alg":"nOnE","kid":"ed1"}`, claimsJSON()), 401, alg},
		{"alg_none_without_signature_segment", seg(`{"alg":"none"}`) + "." + gs[1], 401, mal},
		{"hs256_ec_public_pem_as_secret", mintSigned(`{"alg":"HS256","kid":"ec1"}`, claimsJSON(), "HS256", pemOf("PUBLIC KEY", ecDER)), 401, alg},
		{"hs512_ed_jwk_json_as_secret", mintSigned(`{"alg":"HS512","kid":"ed1"}`, claimsJSON(), "HS512", edJWK), 401, alg},
		{"kid_path_traversal", ed(`{"alg":"EdDSA","kid":"../../../../dev/null"}`, claimsJSON()), 401, key},
		{"kid_sql_injection", ed(`{"alg":"EdDSA","kid":"' OR 1=1 --"}`, claimsJSON()), 401, key},
		{"kid_nul_byte", ed(`{"alg":"EdDSA","kid":"kid\u0000x"}`, claimsJSON()), 401, key},
		{"kid_number", ed(`{"alg":"EdDSA","kid":1}`, claimsJSON()), 401, mal},
		{"jwk_embedded_attacker_key", byAttacker(`{"alg":"EdDSA","kid":"ed1","jwk":` + string(attackerJWK) + `}`), 401, sig},
		{"jku_attacker_url", byAttacker(`{"alg":"EdDSA","kid":"ed1","jku":"https://attacker.invalid/jwks"}`), 401, sig},
		{"crit_unknown_extension", ed(`{"alg":"EdDSA","kid":"ed1","crit":["x-custom"],"x-custom":1}`, claimsJSON()), 401, mal},
		{"crit_empty", ed(`{"alg":"EdDSA","kid":"ed1","crit":[]}`, claimsJSON()), 401, mal},
		{"ecdsa_r_s_zero_ES256", ecInput + "." + b64u(make([]byte, 64)), 401, sig},
		{"ecdsa_r_s_n_ES256", ecInput + "." + b64u(ecSig(n, n, 32)), 401, sig},
		{"ecdsa_63_bytes_ES256", ecInput + "." + b64u(ecSig(big.NewInt(1), big.NewInt(1), 32)[:63]), 401, sig},
		{"truncated_signature_empty", gs[0] + "." + gs[1] + ".", 401, mal},
		{"noncanonical_signature", nonCanonSig, 401, mal},
		{"standard_base64_padding", good + "==", 401, mal},
		{"dup_header_alg", ed(`{"alg":"EdDSA","kid":"ed1","alg":"none"}`, claimsJSON()), 401, mal},
		{"dup_header_alg_escaped", ed(`{"alg":"none","\u0061lg":"EdDSA","kid":"ed1"}`, claimsJSON()), 401, mal},
		{"dup_claim_exp", ed(hEd, claimsJSON("exp", "1700000000,\"exp\":1900000000")), 401, mal},
		{"jwe_five_segments", seg(`{"alg":"RSA-OAEP-256","enc":"A256GCM"}`) + "." + b64u(make([]byte, 32)) + "." + b64u(make([]byte, 12)) + "." + gs[1] + "." + b64u(make([]byte, 16)), 401, mal},
		{"nested_cty_JWT", ed(`{"alg":"EdDSA","kid":"ed1","cty":"JWT"}`, claimsJSON()), 401, mal},
		{"exp_string", ed(hEd, claimsJSON("exp", `"1900000000"`)), 401, mal},
		{"exp_past", ed(hEd, claimsJSON("exp", num(atkNow-30))), 401, verifiers.TokenExpired},
		{"nbf_future", ed(hEd, claimsJSON("nbf", num(atkNow+31))), 401, verifiers.TokenNotYetValid},
		{"aud_empty_array", ed(hEd, claimsJSON("aud", `[]`)), 401, verifiers.TokenAudienceMismatch},
		{"aud_missing", ed(hEd, claimsJSON("aud", "")), 401, verifiers.TokenClaimMissing},
		{"iss_without_trailing_slash", ed(hEd, claimsJSON("iss", `"https://issuer.example.com"`)), 401, verifiers.TokenIssuerMismatch},
		{"payload_array", ed(hEd, `[`+claimsJSON()+`]`), 401, mal},
		{"header_bom", ed("\xef\xbb\xbf"+hEd, claimsJSON()), 401, mal},
		{"payload_nested_40_arrays", ed(hEd, claimsJSON("x", strings.Repeat("[", 40)+strings.Repeat("]", 40))), 401, mal},
		{"payload_invalid_escape", ed(hEd, claimsJSON("sub", `"\x41"`)), 401, mal},
		{"payload_lone_surrogate", ed(hEd, claimsJSON("sub", `"\ud800"`)), 401, mal},
	}
	out := make([]corpusEntry, len(rows))
	for i, r := range rows {
		out[i] = corpusEntry{Name: r.name, Token: r.tok, WantStatus: r.status, WantReason: string(r.reason)}
	}
	return set, out
}

func TestAttackCorpus(t *testing.T) {
	t.Parallel()
	set, entries := attackCorpus(t, newCorpusKeys(t))
	data := append(must(json.MarshalIndent(entries, "", "  ")), '\n')
	set = append(set, '\n')
	if os.Getenv(corpusUpdateEnv) != "" {
		if err := os.MkdirAll(filepath.Dir(corpusFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusKeys, set, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d tokens) and %s", corpusFile, len(entries), corpusKeys)
	}
	fileData, err := os.ReadFile(corpusFile)
	if err != nil {
		t.Fatalf("%v; generate it with %s=1", err, corpusUpdateEnv)
	}
	fileSet, err := os.ReadFile(corpusKeys)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fileData, data) || !bytes.Equal(fileSet, set) {
		t.Errorf("%s or %s differs from what attackCorpus makes; regenerate with %s=1 go test -run '^TestAttackCorpus$' ./verifiers/bearer/", corpusFile, corpusKeys, corpusUpdateEnv)
	}

	// The check runs on the files as checked in.
	var got []corpusEntry
	if err := json.Unmarshal(fileData, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) < 25 {
		t.Fatalf("the corpus has %d tokens", len(got))
	}
	v := staticVerifierFromBytes(t, fileSet)
	cases := make([]attack, len(got))
	for i, e := range got {
		cases[i] = attack{name: e.Name, tok: e.Token, status: e.WantStatus, reason: verifiers.Reason(e.WantReason)}
		if e.WantStatus == http.StatusOK && e.WantReason != "" || e.WantStatus != http.StatusOK && !verifiers.Reason(e.WantReason).Known() {
			t.Fatalf("%s: want_status %d with want_reason %q", e.Name, e.WantStatus, e.WantReason)
		}
	}
	runAttacks(t, v, cases)
}

// staticVerifierFromBytes is a verifier of testIss and testAud at t0 over
// a JWK set given as JSON text.
func staticVerifierFromBytes(t *testing.T, set []byte) *Verifier {
	t.Helper()
	v, err := New(t.Context(), testAud, []Issuer{{URL: testIss, Keys: JWKS(set)}}, clockAt(t0), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}
