//go:build binary_log

package middleware

// rawJSONText is false under zerolog's binary_log build tag, where raw
// JSON would be written as embedded JSON, not as a CBOR string: fields
// then adds every field with Str or Int.
const rawJSONText = false
