//go:build authgate_tokencache

package benchmarks

import "github.com/authgate/authgate/verifiers/bearer"

// tokenCacheAvailable says whether the bearer verifier has a verified-token
// cache (bearer.WithTokenCache); the default verifier has it on.
const tokenCacheAvailable = true

// noTokenCache returns the bearer options that turn the verified-token
// cache off.
func noTokenCache() []bearer.Option { return []bearer.Option{bearer.WithTokenCache(0, 0)} }
