package bearer

import (
	"crypto"
	"strings"
)

// family groups the JWS algorithms that verify the same way.
type family uint8

const (
	famHMAC  family = iota + 1 // HS256, HS384, HS512
	famPKCS1                   // RS256, RS384, RS512 (RSASSA-PKCS1-v1_5)
	famPSS                     // PS256, PS384, PS512 (RSASSA-PSS)
	famECDSA                   // ES256, ES384, ES512
	famEdDSA                   // EdDSA, Ed25519 (with an Ed25519 key)
)

// algorithm describes one JWS "alg" value authgate can verify (RFC 7518
// §3.1, RFC 8037 §3.1, RFC 9864).
type algorithm struct {
	name string
	fam  family
	hash crypto.Hash
	// curve is the JWK "crv" an ECDSA key must have (RFC 7518 §3.4).
	curve string
	// size is the byte length of one ECDSA coordinate (R and S each), and
	// for HMAC the minimum key length (RFC 7518 §3.2: the key must be at
	// least as long as the hash output).
	size int
}

// lookupAlg returns the algorithm named name, which is case-sensitive
// (RFC 7515 §4.1.1): "NONE" and "es256" are no algorithms. "none" is
// never one either.
func lookupAlg(name string) *algorithm {
	switch name {
	case "HS256":
		return &algHS256
	case "HS384":
		return &algHS384
	case "HS512":
		return &algHS512
	case "RS256":
		return &algRS256
	case "RS384":
		return &algRS384
	case "RS512":
		return &algRS512
	case "PS256":
		return &algPS256
	case "PS384":
		return &algPS384
	case "PS512":
		return &algPS512
	case "ES256":
		return &algES256
	case "ES384":
		return &algES384
	case "ES512":
		return &algES512
	case "EdDSA":
		return &algEdDSA
	case "Ed25519":
		return &algEd25519
	}
	return nil
}

// The algorithm descriptors are values that are never written; they are
// variables only so that lookupAlg can return pointers to them.
var (
	algHS256   = algorithm{"HS256", famHMAC, crypto.SHA256, "", 32}
	algHS384   = algorithm{"HS384", famHMAC, crypto.SHA384, "", 48}
	algHS512   = algorithm{"HS512", famHMAC, crypto.SHA512, "", 64}
	algRS256   = algorithm{"RS256", famPKCS1, crypto.SHA256, "", 0}
	algRS384   = algorithm{"RS384", famPKCS1, crypto.SHA384, "", 0}
	algRS512   = algorithm{"RS512", famPKCS1, crypto.SHA512, "", 0}
	algPS256   = algorithm{"PS256", famPSS, crypto.SHA256, "", 0}
	algPS384   = algorithm{"PS384", famPSS, crypto.SHA384, "", 0}
	algPS512   = algorithm{"PS512", famPSS, crypto.SHA512, "", 0}
	algES256   = algorithm{"ES256", famECDSA, crypto.SHA256, "P-256", 32}
	algES384   = algorithm{"ES384", famECDSA, crypto.SHA384, "P-384", 48}
	algES512   = algorithm{"ES512", famECDSA, crypto.SHA512, "P-521", 66}
	algEdDSA   = algorithm{"EdDSA", famEdDSA, 0, "Ed25519", 0}
	algEd25519 = algorithm{"Ed25519", famEdDSA, 0, "Ed25519", 0}
)

// isRSA reports whether a verifies with an RSA key.
func (a *algorithm) isRSA() bool { return a.fam == famPKCS1 || a.fam == famPSS }

// kty is the JWK key type the algorithm needs.
func (a *algorithm) kty() string {
	switch a.fam {
	case famHMAC:
		return "oct"
	case famPKCS1, famPSS:
		return "RSA"
	case famECDSA:
		return "EC"
	default:
		return "OKP"
	}
}

// isEncryptionAlg reports whether name is a JWE algorithm ("alg" or
// "enc" value of RFC 7518 §4 and §5): a key that names one is meant for
// encryption and never verifies a signature.
func isEncryptionAlg(name string) bool {
	switch name {
	case "RSA1_5", "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512",
		"A128KW", "A192KW", "A256KW", "dir",
		"ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW",
		"A128GCMKW", "A192GCMKW", "A256GCMKW",
		"PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW",
		"A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512",
		"A128GCM", "A192GCM", "A256GCM":
		return true
	}
	return false
}

// allowList is the set of algorithms a Verifier accepts. A nil allowList
// means the default: each algorithm some configured key is bound to.
type allowList []*algorithm

func (l allowList) has(a *algorithm) bool {
	for _, b := range l {
		if b == a {
			return true
		}
	}
	return false
}

func (l allowList) String() string {
	names := make([]string, len(l))
	for i, a := range l {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}
