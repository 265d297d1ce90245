// Package jose is authgate's JOSE layer: how a compact JWS, a JWK set and
// a signature work, apart from which tokens an API accepts (that is
// verifiers/bearer). Its API is three calls:
//
//   - Parse (or ParseInto) splits and decodes a compact JWS (RFC 7515
//     §7.1), and JWS.Claims decodes its payload as a JWT claims set;
//     JWS.ReadClaims reads chosen claims without a map when it can,
//     and ClaimsSet.Map decodes the map when a caller needs it;
//   - ParseKeySet parses and checks a JWK set (RFC 7517 §5), binding each
//     key to one algorithm (RFC 8725 §3.1);
//   - Key.Verify checks a signature with the standard library.
//
// For DPoP proofs (RFC 9449), JWS.EmbeddedKey reads the public key of a
// proof's jwk header, and Thumbprint computes a JWK's RFC 7638
// thumbprint, the cnf.jkt of a bound token.
//
// Its parsers are strict where two readings of one text are possible
// (duplicate members, non-canonical base64url, unpaired surrogates), and
// its errors are typed so that callers can choose a reason and word a
// hint without parsing anything again: *MalformedError for a token,
// *KeySetError for a key set. No error holds a token or key material.
//
// jwx (github.com/lestrrat-go/jwx/v3/jwk) is used for one thing: to parse
// a JWK's members into key material. Signatures are checked with
// crypto/ecdsa, crypto/rsa, crypto/ed25519 and crypto/hmac directly, with
// the strictness Project Wycheproof asks for.
package jose
