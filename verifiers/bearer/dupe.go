package bearer

import (
	"bytes"
	"encoding/json"
)

// duplicateMember reports the first member name that appears twice at the
// top level of the JSON object b. RFC 7515 §4 and RFC 7519 §4 let a
// recipient reject such input, and authgate does: encoding/json would
// silently keep the last value, and another parser in the chain might
// keep the first. b must be valid JSON (json.Unmarshal has accepted it).
func duplicateMember(b []byte) (string, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", false
	}
	i++
	// Member names as byte ranges of b; escaped names are unescaped into
	// owned, which is rare.
	var spans [32][2]int
	names := spans[:0]
	var owned []string
	escaped := false
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			break
		}
		start := i + 1
		end := skipString(b, i)
		raw := b[start : end-1]
		if bytes.IndexByte(raw, '\\') >= 0 {
			escaped = true
		}
		names = append(names, [2]int{start - 1, end})
		i = skipSpace(b, end)
		i++ // ':'
		i = skipValue(b, skipSpace(b, i))
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
	if escaped {
		owned = make([]string, len(names))
		for k, sp := range names {
			_ = json.Unmarshal(b[sp[0]:sp[1]], &owned[k])
		}
		for k := range owned {
			for j := 0; j < k; j++ {
				if owned[j] == owned[k] {
					return owned[k], true
				}
			}
		}
		return "", false
	}
	for k, sp := range names {
		for j := 0; j < k; j++ {
			if bytes.Equal(b[names[j][0]:names[j][1]], b[sp[0]:sp[1]]) {
				return string(b[sp[0]+1 : sp[1]-1]), true
			}
		}
	}
	return "", false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string that starts at b[i] ('"').
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return i
			}
			i++
		}
		return i
	}
}
