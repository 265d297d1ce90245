//go:build !binary_log

package middleware

// rawJSONText says that zerolog writes JSON (not CBOR, its binary_log
// build tag), so that fields may add plain texts as raw JSON.
const rawJSONText = true
