package middleware

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/authgate/authgate/verifiers"
)

// Problem is what the gate tells the client about a refused request. It is
// rendered as an RFC 9457 problem+json body by WriteProblem, or by the
// function given to WithProblemWriter. Every field is client-safe: Reason is
// the public code (an unknown user and a wrong password both read
// credentials_invalid), Detail is a fixed sentence, and Hint is set only in
// development mode.
type Problem struct {
	Status    int
	Title     string
	Detail    string
	Reason    verifiers.Reason
	Hint      string
	RequestID string
}

// WriteProblem writes p as application/problem+json (RFC 9457) with
// "type":"about:blank" and the status phrase as title, plus the extension
// members "reason", and "request_id" and "hint" when set. It writes no body
// for HEAD requests.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	h := w.Header()
	// Direct assignments with canonical keys skip re-canonicalizing them.
	h["Content-Type"] = []string{"application/problem+json"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	if r.Method == http.MethodHead {
		w.WriteHeader(p.Status)
		return
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"type":"about:blank","title":`...)
	b = appendJSONString(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, p.Detail)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, string(p.Reason))
	if p.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendJSONString(b, p.RequestID)
	}
	if p.Hint != "" {
		b = append(b, `,"hint":`...)
		b = appendJSONString(b, p.Hint)
	}
	b = append(b, "}\n"...)
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

// appendJSONString appends s as a JSON string, escaping quotes, backslashes,
// control characters and invalid UTF-8, and <, >, & as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
