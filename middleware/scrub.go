package middleware

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifiers"
)

// scrubber replaces, in text a verifier wrote, the request's credentials
// and their base64 by "[redacted]": defence in depth against a custom
// verifier or policy that puts the credential (or a driver error quoting
// it) into a detail or an error. The credentials are the Authorization
// values (their part after the scheme), the values of the route's other
// credential header fields (an API key's X-API-Key), and the header field
// or cookie the request's identity came from. For each credential of at
// least 8 bytes, the forms redacted, in order, are: the credential; its
// base64 decoding when it decodes to at least 8 bytes; the part of that
// after the first colon (a Basic password) when at least 8 bytes; the
// standard and the raw URL base64 encodings of the credential.
// Credentials shorter than 8 bytes are left alone, as they would match
// ordinary words.
//
// The forms are computed on first need only, into buffers inside the
// scrubber (on the caller's stack) when they are short, and a form longer
// than the text is not computed at all, since the text cannot hold it. A
// string is made of a form only when the text holds it.
type scrubber struct {
	off   bool // the text is the gate's own
	auth  []string
	r     *http.Request // for the other credential fields, read on first need
	names []string      // the route's credential header fields
	ready bool
	first scrubForms // forms of auth[0]
	// second holds the forms of the first other credential (an API key's
	// header field), inside the scrubber like first, when hasSecond; more
	// the rest, rare enough to allocate.
	second    scrubForms
	hasSecond bool
	more      []scrubForms
}

// scrubInline is the longest decoded or encoded form kept in a
// scrubForms' own buffer; longer ones are allocated.
const scrubInline = 128

type scrubForms struct {
	rest string
	// raw is the decoding of rest and pw its part after the first colon,
	// as raw[pw:]; rawN == 0 when rest does not decode to 8 bytes or more,
	// pw == 0 when there is no such password. heapRaw holds raw when it
	// does not fit buf.
	rawN, pw int
	heapRaw  []byte
	buf      [scrubInline]byte
	// stdPre and urlPre are the first 4 characters of the encodings of
	// rest (the encoding of its first 3 bytes), once preDone: a text
	// without either cannot hold an encoding, which is then not computed.
	preDone        bool
	stdPre, urlPre [4]byte
	// The encodings of rest, once encoded.
	encoded          bool
	stdN, urlN       int
	heapStd, heapURL []byte
	stdBuf, urlBuf   [scrubInline]byte
}

func (sc *scrubber) scrub(s string) string {
	if sc.off || len(s) < 8 {
		return s
	}
	if !sc.ready {
		sc.prepare()
	}
	s = sc.first.redact(s)
	if sc.hasSecond {
		s = sc.second.redact(s)
	}
	for i := range sc.more {
		s = sc.more[i].redact(s)
	}
	return s
}

func (sc *scrubber) prepare() {
	sc.ready = true
	if len(sc.auth) > 0 {
		sc.first.init(authCredentials(sc.auth[0]))
		for _, v := range sc.auth[1:] {
			sc.add(authCredentials(v))
		}
	}
	if sc.r == nil {
		return
	}
	for _, name := range sc.names {
		for _, v := range sc.r.Header[name] {
			sc.add(v)
		}
	}
	// A scope or policy refusal: the identity's own source.
	if ac := authFrom(sc.r.Context()); ac != nil && ac.id != nil {
		switch src := ac.id.Source; src.In {
		case verifiers.InHeader:
			for _, v := range sc.r.Header[http.CanonicalHeaderKey(src.Name)] {
				sc.add(v)
			}
		case verifiers.InCookie:
			if c, err := sc.r.Cookie(src.Name); err == nil {
				sc.add(c.Value)
			}
		}
	}
}

// add adds a credential to scrub, unless it is too short to be one.
func (sc *scrubber) add(v string) {
	if len(v) < 8 {
		return
	}
	if !sc.hasSecond {
		sc.hasSecond = true
		sc.second.init(v)
		return
	}
	sc.more = append(sc.more, scrubForms{})
	sc.more[len(sc.more)-1].init(v)
}

// authCredentials is the part of an Authorization value after the scheme.
func authCredentials(v string) string {
	_, rest := verifiers.SplitAuthorization(v)
	return rest
}

func (f *scrubForms) init(rest string) {
	if len(rest) < 8 {
		return
	}
	f.rest = rest
	// Padded standard base64 is a multiple of 4 long, line breaks aside:
	// anything else does not decode, and is not worth decoding to find out.
	if len(rest)%4 != 0 && strings.IndexByte(rest, '\n') < 0 && strings.IndexByte(rest, '\r') < 0 {
		return
	}
	var n int
	var err error
	if base64.StdEncoding.DecodedLen(len(rest)) <= scrubInline && len(rest) <= scrubInline {
		var src [scrubInline]byte
		copy(src[:], rest)
		n, err = base64.StdEncoding.Decode(f.buf[:], src[:len(rest)])
	} else {
		f.heapRaw, err = base64.StdEncoding.DecodeString(rest)
		n = len(f.heapRaw)
	}
	if err != nil || n < 8 {
		f.heapRaw = nil
		return
	}
	f.rawN = n
	raw := f.raw()
	if i := bytes.IndexByte(raw, ':'); i >= 0 && n-i-1 >= 8 {
		f.pw = i + 1
	}
}

func (f *scrubForms) raw() []byte {
	if f.heapRaw != nil {
		return f.heapRaw
	}
	return f.buf[:f.rawN]
}

func (f *scrubForms) redact(s string) string {
	if f.rest == "" {
		return s
	}
	s = redactForm(s, f.rest)
	if f.rawN > 0 {
		raw := f.raw()
		s = redactBytes(s, raw)
		if f.pw > 0 {
			s = redactBytes(s, raw[f.pw:])
		}
	}
	// Both encodings are longer than rest; the raw URL one is the shorter.
	if len(s) >= base64.RawURLEncoding.EncodedLen(len(f.rest)) && f.mayHoldEncoding(s) {
		f.encode()
		s = redactBytes(s, f.std())
		s = redactBytes(s, f.url())
	}
	return s
}

// mayHoldEncoding reports whether s holds the first 4 characters of
// either encoding of rest (which is at least 8 bytes long).
func (f *scrubForms) mayHoldEncoding(s string) bool {
	if !f.preDone {
		f.preDone = true
		base64.StdEncoding.Encode(f.stdPre[:], []byte(f.rest[:3]))
		base64.RawURLEncoding.Encode(f.urlPre[:], []byte(f.rest[:3]))
	}
	return strings.Contains(s, string(f.stdPre[:])) || strings.Contains(s, string(f.urlPre[:]))
}

func (f *scrubForms) encode() {
	if f.encoded {
		return
	}
	f.encoded = true
	if n := base64.StdEncoding.EncodedLen(len(f.rest)); n <= scrubInline {
		var src [scrubInline]byte
		copy(src[:], f.rest)
		base64.StdEncoding.Encode(f.stdBuf[:n], src[:len(f.rest)])
		f.stdN = n
		f.urlN = base64.RawURLEncoding.EncodedLen(len(f.rest))
		base64.RawURLEncoding.Encode(f.urlBuf[:f.urlN], src[:len(f.rest)])
		return
	}
	f.heapStd = base64.StdEncoding.AppendEncode(nil, []byte(f.rest))
	f.heapURL = base64.RawURLEncoding.AppendEncode(nil, []byte(f.rest))
}

func (f *scrubForms) std() []byte {
	if f.heapStd != nil {
		return f.heapStd
	}
	return f.stdBuf[:f.stdN]
}

func (f *scrubForms) url() []byte {
	if f.heapURL != nil {
		return f.heapURL
	}
	return f.urlBuf[:f.urlN]
}

func redactForm(s, form string) string {
	if len(s) >= len(form) && strings.Contains(s, form) {
		return strings.ReplaceAll(s, form, "[redacted]")
	}
	return s
}

// redactBytes is redactForm for a form held in bytes: it makes a string of
// the form only when s holds it.
func redactBytes(s string, form []byte) string {
	if len(form) == 0 || len(s) < len(form) {
		return s
	}
	for i := 0; i+len(form) <= len(s); i++ {
		j := strings.IndexByte(s[i:len(s)-len(form)+1], form[0])
		if j < 0 {
			return s
		}
		i += j
		// The conversion in a comparison does not allocate.
		if s[i:i+len(form)] == string(form) {
			return strings.ReplaceAll(s, string(form), "[redacted]")
		}
	}
	return s
}
