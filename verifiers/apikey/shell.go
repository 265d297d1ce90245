package apikey

import (
	"fmt"

	"github.com/authgate/authgate/verifiers"
)

// shellExpr names the kind of unexpanded shell expression key is, or ""
// when it is not one: the whole value is "$NAME", "${...}", "$(...)" or
// "`...`". That is what a shell sends when the header was written in
// single quotes, curl -H 'X-API-Key: $API_KEY', which expand nothing. No
// generated key has a '$' or a '`', and no random foreign key has this
// shape.
func shellExpr(key string) string {
	n := len(key)
	switch {
	case n >= 2 && key[0] == '`' && key[n-1] == '`':
		return "a `command` substitution"
	case n < 2 || key[0] != '$':
		return ""
	case n >= 3 && key[1] == '{' && key[n-1] == '}':
		return "a ${variable}"
	case n >= 3 && key[1] == '(' && key[n-1] == ')':
		return "a $(command) substitution"
	}
	for i := 1; i < n; i++ {
		c := key[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 1 && c >= '0' && c <= '9') {
			return ""
		}
	}
	return "a $variable"
}

// unexpanded rejects a key that is an unexpanded shell expression, without
// a store lookup, naming the kind of expression but not the expression.
func (v *Verifier) unexpanded(kind, key string, pl *place) error {
	return verifiers.Reject(verifiers.CredentialsMalformed,
		fmt.Sprintf("the API key is %s that was never expanded (%d bytes, read from %s), not a key", kind, len(key), pl.what)).
		WithHint("the command that sent it wrote the variable inside single quotes, where a shell expands nothing; use double quotes, as in curl -H \"Name: $VARIABLE\", or check that the variable is exported to that program").
		With(verifiers.AttrFingerprint, v.fp.Fingerprint(key))
}
