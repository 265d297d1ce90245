package middleware

import (
	"strconv"

	"github.com/rs/zerolog"
)

// fieldsBuf is the size of the stack buffer of a fields run: a refusal's
// event fits in it, but for its longest texts.
const fieldsBuf = 1024

// fields adds an event's fields to a zerolog event the way Str and Int
// would write them, but a run of fields with nothing to escape as one
// RawJSON call: the first field's key through zerolog, the rest of the run
// (`"value","key":"value",...`) as raw bytes. zerolog's Str scans each key
// and each value a byte at a time for escaping; a refusal's event has a
// dozen fields, and those scans were the largest part of its cost
// (BenchmarkLogRefusal). A field that needs escaping ends the run and goes
// through Str; so does every field under zerolog's binary_log tag
// (rawJSONText), where the event is CBOR. Either way the line is byte for
// byte what Str and Int write (TestFieldsAsStr).
//
// The run's bytes are the caller's: each method takes them and returns
// them, so that a buffer on the caller's stack stays there (a slice
// stored through a pointer would move it to the heap).
type fields struct {
	ev *zerolog.Event
	// first is the key of the run's first field, "" when no run is open.
	first string
}

// str adds s, which may need escaping, to run b under key, one of the
// gate's own keys (plain).
func (f *fields) str(b []byte, key, s string) []byte {
	_, plain := scanText(s)
	return f.field(b, key, true, s, plain)
}

// text adds s, a text that is plain (scanText) or not, to run b under
// key, one of the gate's own keys (plain).
func (f *fields) text(b []byte, key, s string, plain bool) []byte {
	return f.field(b, key, true, s, plain)
}

// field adds s under key to run b, each plain (scanText) or not: a plain
// key and text are copied as they stand.
func (f *fields) field(b []byte, key string, keyPlain bool, s string, plain bool) []byte {
	ok := false
	if rawJSONText && keyPlain && plain && key != "" {
		b, ok = f.fits(b, len(key)+len(s)+2)
	}
	if !ok {
		b = f.flush(b)
		f.ev.Str(key, s)
		return b
	}
	b = f.key(b, key)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// int adds n to run b under key, one of the gate's own keys (plain).
func (f *fields) int(b []byte, key string, n int) []byte {
	ok := false
	if rawJSONText {
		b, ok = f.fits(b, len(key)+20)
	}
	if !ok {
		b = f.flush(b)
		f.ev.Int(key, n)
		return b
	}
	return strconv.AppendInt(f.key(b, key), int64(n), 10)
}

// fits reports whether a field of n bytes (key and value) fits in run b,
// flushing the run first when it fits in an empty one only.
func (f *fields) fits(b []byte, n int) ([]byte, bool) {
	n += 4 // the comma, the key's quotes, the colon
	if len(b)+n <= cap(b) {
		return b, true
	}
	b = f.flush(b)
	return b, n <= cap(b)
}

// key starts the field of key in run b: it opens the run, or adds key
// to it.
func (f *fields) key(b []byte, key string) []byte {
	if f.first == "" {
		f.first = key
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// flush writes the open run b, if any, to the event, and returns b
// emptied.
func (f *fields) flush(b []byte) []byte {
	if f.first != "" {
		f.ev.RawJSON(f.first, b)
		f.first = ""
	}
	return b[:0]
}
