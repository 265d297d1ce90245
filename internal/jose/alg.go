package jose

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

// Algorithm describes one JWS "alg" value this package verifies (RFC 7518
// §3.1, RFC 8037 §3.1, RFC 9864). There is one Algorithm value per name,
// so pointers compare equal exactly when the names do.
type Algorithm struct {
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

// LookupAlg returns the algorithm named name, or nil. Names are
// case-sensitive (RFC 7515 §4.1.1): "NONE" and "es256" are no algorithms.
// "none" is never one either.
func LookupAlg(name string) *Algorithm {
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
// variables only so that LookupAlg can return pointers to them.
var (
	algHS256   = Algorithm{"HS256", famHMAC, crypto.SHA256, "", 32}
	algHS384   = Algorithm{"HS384", famHMAC, crypto.SHA384, "", 48}
	algHS512   = Algorithm{"HS512", famHMAC, crypto.SHA512, "", 64}
	algRS256   = Algorithm{"RS256", famPKCS1, crypto.SHA256, "", 0}
	algRS384   = Algorithm{"RS384", famPKCS1, crypto.SHA384, "", 0}
	algRS512   = Algorithm{"RS512", famPKCS1, crypto.SHA512, "", 0}
	algPS256   = Algorithm{"PS256", famPSS, crypto.SHA256, "", 0}
	algPS384   = Algorithm{"PS384", famPSS, crypto.SHA384, "", 0}
	algPS512   = Algorithm{"PS512", famPSS, crypto.SHA512, "", 0}
	algES256   = Algorithm{"ES256", famECDSA, crypto.SHA256, "P-256", 32}
	algES384   = Algorithm{"ES384", famECDSA, crypto.SHA384, "P-384", 48}
	algES512   = Algorithm{"ES512", famECDSA, crypto.SHA512, "P-521", 66}
	algEdDSA   = Algorithm{"EdDSA", famEdDSA, 0, "Ed25519", 0}
	algEd25519 = Algorithm{"Ed25519", famEdDSA, 0, "Ed25519", 0}
)

// Name is the alg value, as in a JWS header ("ES256").
func (a *Algorithm) Name() string { return a.name }

// HMAC reports whether a verifies with a shared secret (HS256, HS384,
// HS512) rather than a public key.
func (a *Algorithm) HMAC() bool { return a.fam == famHMAC }

// MinSecretBytes is the shortest secret an HMAC algorithm accepts: the
// hash length (RFC 7518 §3.2). It is 0 for the other algorithms.
func (a *Algorithm) MinSecretBytes() int {
	if a.fam != famHMAC {
		return 0
	}
	return a.size
}

// isRSA reports whether a verifies with an RSA key.
func (a *Algorithm) isRSA() bool { return a.fam == famPKCS1 || a.fam == famPSS }

// kty is the JWK key type the algorithm needs.
func (a *Algorithm) kty() string {
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

// AllowList is a set of algorithms. A nil AllowList means the default,
// which its user defines (bearer: each algorithm a configured key is
// bound to).
type AllowList []*Algorithm

// Has reports whether a is in l.
func (l AllowList) Has(a *Algorithm) bool {
	for _, b := range l {
		if b == a {
			return true
		}
	}
	return false
}

// String lists the names, comma-separated: "ES256, RS256".
func (l AllowList) String() string {
	names := make([]string, len(l))
	for i, a := range l {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}
