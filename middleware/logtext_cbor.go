//go:build binary_log

package middleware

// rawJSONText is false under zerolog's binary_log build tag, where raw
// JSON would be written as embedded JSON, not as a CBOR string: logText
// then adds every text with Str.
const rawJSONText = false
