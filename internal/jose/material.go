package jose

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// This file turns a JWK into key material: jwx parses and exports it,
// and this package checks what jwx does not (RSA sizes and exponents,
// ROCA, curve membership, HMAC key lengths).

// setMaterial has jwx parse and export the key's material, then checks it
// and stores it in k.
func setMaterial(k *Key, raw json.RawMessage) error {
	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return fmt.Errorf("jwx cannot parse it: %v", err)
	}
	var material any
	if err := jwk.Export(jk, &material); err != nil {
		return fmt.Errorf("jwx cannot export it: %v", err)
	}
	alg := k.Alg
	switch pub := material.(type) {
	case *rsa.PublicKey:
		if err := checkRSA(pub); err != nil {
			return err
		}
		k.RSA = pub
	case *ecdsa.PublicKey:
		if pub.Curve == nil || pub.Curve.Params().Name != alg.curve {
			return fmt.Errorf("the key is not on %s", alg.curve)
		}
		if _, err := pub.ECDH(); err != nil {
			return fmt.Errorf("the public point is invalid: %v", err)
		}
		k.EC = pub
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("Ed25519 public key is %d bytes, not %d", len(pub), ed25519.PublicKeySize)
		}
		k.Ed = pub
	case []byte:
		if len(pub) < alg.size {
			return fmt.Errorf("%s key is %d bytes; RFC 7518 §3.2 requires at least %d (the hash length)", alg.name, len(pub), alg.size)
		}
		k.Secret = pub
	default:
		return fmt.Errorf("unexpected key material %T (a private key?)", material)
	}
	return nil
}

// checkRSA applies the RSA rules jwx does not.
func checkRSA(pub *rsa.PublicKey) error {
	bits := pub.N.BitLen()
	switch {
	case bits < MinRSABits:
		return fmt.Errorf("RSA modulus is %d bits; at least %d are required (RFC 7518 §3.3)", bits, MinRSABits)
	case bits > MaxRSABits:
		return fmt.Errorf("RSA modulus is %d bits; at most %d are accepted, as each signature check costs the square of the size", bits, MaxRSABits)
	case pub.E < 3 || pub.E%2 == 0 || pub.E > MaxRSAExponent:
		return fmt.Errorf("RSA public exponent %d is not an odd number from 3 to 65537", pub.E)
	case isROCAWeak(pub.N):
		return errors.New("RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be computed from the public key")
	}
	return nil
}
