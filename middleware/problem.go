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
// development mode, as WithDevelopmentMode says: the same for every reason
// of a public code, and scrubbed of the request's credentials.
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
	writeProblem(w, r, p, dataOf(p.Reason), make([]string, 3))
}

// writeProblem is WriteProblem with the reason's data looked up by the
// caller and the backing array of its three header values given by it, so
// that the gate looks a refusal's reason up once and allocates one array
// for all the header values of a refusal. Each value's capacity is clipped, so an
// Add copies instead of writing into its neighbour.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem, d *reasonData, vals []string) {
	h := w.Header()
	// Direct assignments with canonical keys skip re-canonicalizing them.
	vals[0], vals[1] = "application/problem+json", "nosniff"
	h["Content-Type"] = vals[0:1:1]
	h["X-Content-Type-Options"] = vals[1:2:2]
	if r.Method == http.MethodHead {
		w.WriteHeader(p.Status)
		return
	}
	// A problem with a known reason's own status, title and description
	// has a body computed once; only request_id and hint are added.
	var b []byte
	if d.Public == p.Reason && p.Status == d.Status && p.Title == d.title && p.Detail == d.Description {
		if p.RequestID == "" && p.Hint == "" {
			vals[2] = d.bodyLen
			h["Content-Length"] = vals[2:3:3]
			w.WriteHeader(p.Status)
			_, _ = w.Write(d.body)
			return
		}
		b = append(make([]byte, 0, len(d.bodyPrefix)+len(p.RequestID)+len(p.Hint)+48), d.bodyPrefix...)
	} else {
		b = appendProblemPrefix(make([]byte, 0, 256), p.Status, p.Title, p.Detail, p.Reason)
	}
	if p.RequestID != "" {
		b = append(b, `,"request_id":`...)
		b = appendJSONString(b, p.RequestID)
	}
	if p.Hint != "" {
		b = append(b, `,"hint":`...)
		b = appendJSONString(b, p.Hint)
	}
	b = append(b, "}\n"...)
	vals[2] = strconv.Itoa(len(b))
	h["Content-Length"] = vals[2:3:3]
	w.WriteHeader(p.Status)
	_, _ = w.Write(b)
}

// appendProblemPrefix appends the problem body up to the reason member,
// without the closing brace.
func appendProblemPrefix(b []byte, status int, title, detail string, reason verifiers.Reason) []byte {
	b = append(b, `{"type":"about:blank","title":`...)
	b = appendJSONString(b, title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, detail)
	b = append(b, `,"reason":`...)
	return appendJSONString(b, string(reason))
}

// appendJSONString appends s as a JSON string, escaping quotes, backslashes,
// control characters and invalid UTF-8, and <, >, & as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	// Fast path: copy the leading run that needs no escaping in one go.
	i := 0
	for i < len(s) && !jsonEscape[s[i]] {
		i++
	}
	b = append(b, s[:i]...)
	for i < len(s) {
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

// jsonEscape marks the bytes appendJSONString does not copy as they are:
// quote, backslash, control characters, <, >, & and every non-ASCII byte
// (checked for valid UTF-8 one rune at a time).
var jsonEscape = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x7f
	}
	return t
}()
