//go:build !authgate_tokencache

package benchmarks

import "github.com/authgate/authgate/verifiers/bearer"

// tokenCacheAvailable says whether the bearer verifier has a verified-token
// cache (bearer.WithTokenCache). Until it does, the "authgate-cache" rows
// are skipped and noTokenCache adds nothing: the default is uncached.
const tokenCacheAvailable = false

// noTokenCache returns the bearer options that turn the verified-token
// cache off.
func noTokenCache() []bearer.Option { return nil }
