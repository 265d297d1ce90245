//go:build !binary_log

package middleware

// rawJSONText says that zerolog writes JSON (not CBOR, its binary_log
// build tag), so that logText may add a plain text as raw JSON.
const rawJSONText = true
