package benchmarks

import "github.com/authgate/authgate/verifiers/bearer"

// noTokenCache returns the bearer options that turn the verified-token
// cache off, for the "authgate-nocache" rows; the "authgate-cache" rows
// use the default, cache on.
func noTokenCache() []bearer.Option { return []bearer.Option{bearer.WithTokenCache(0, 0)} }
