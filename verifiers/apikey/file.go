package apikey

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// FileHeader is a comment line naming the fields of a key file, for tools
// that write one.
const FileHeader = "# id hash subject scopes environment created expires revoked"

// maxFileLine bounds one line of a key file.
const maxFileLine = 4096

// FileStore is a Store read from a text file, one key a line, that can be
// reloaded without a restart (call Reload, for example on SIGHUP). Lookups
// never block and never see a half-read file.
//
// # File format
//
// UTF-8 text. Blank lines and lines whose first non-blank character is '#'
// are ignored. Every other line holds eight fields separated by spaces or
// tabs, in this order:
//
//   - id: the key id (Key.ID, or ForeignKey's "ext_..." id), see
//     Record.Validate;
//   - hash: 64 hexadecimal digits, the SHA-256 of the key's secret
//     (Key.Hash) or of a foreign key (ForeignKey);
//   - subject: the owner, without spaces;
//   - scopes: comma-separated scopes, or "-" for none;
//   - environment: such as "live", or "-" for any;
//   - created, expires, revoked: RFC 3339 times such as
//     2026-11-28T10:00:00Z, or "-" for unknown, never and not revoked.
//
// For example:
//
//	# id hash subject scopes environment created expires revoked
//	Zx81bQ0aLm3c 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 billing invoices:read,invoices:write live 2026-11-28T10:00:00Z - -
//
// FormatFileLine writes such a line. A line over 4096 bytes, a field that
// does not parse, and an id that appears twice are errors that name the
// file and the line.
type FileStore struct {
	path string
	log  zerolog.Logger
	mu   sync.Mutex // serializes Reload
	recs atomic.Pointer[map[string]*Record]
}

// FileOption configures a FileStore.
type FileOption func(*FileStore)

// WithFileLogger sets where the FileStore reports a loaded file that
// holds no key, at warn level. The default writes JSON to standard error.
func WithFileLogger(l zerolog.Logger) FileOption {
	return func(s *FileStore) { s.log = l }
}

// OpenFileStore reads the key file at path and returns a FileStore, or an
// error naming the file and line that could not be read. A file that
// reads without error but holds no key (empty, or comments only) is
// loaded, and logged at warn level: every request with a key will then be
// refused as apikey_unknown, which is what an emptied file means, but
// more often a sign that the wrong file was named.
func OpenFileStore(path string, opts ...FileOption) (*FileStore, error) {
	s := &FileStore{path: path, log: zerolog.New(os.Stderr).With().Timestamp().Logger()}
	for _, o := range opts {
		o(s)
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload reads the file again and, if it reads without error, replaces the
// store's content at once. On error the previous content stays in use and
// the error names the file and the line (a *FileError), so a bad edit
// never locks every client out. A file with no key is loaded, with a
// warning (see OpenFileStore).
func (s *FileStore) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("apikey: key file: %w", err)
	}
	defer f.Close()
	recs, err := readKeyFile(s.path, f)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		s.log.Warn().Str("file", s.path).
			Msg("apikey: the key file holds no key: every request with an API key will be refused (apikey_unknown); is it the right file?")
	}
	s.recs.Store(&recs)
	return nil
}

// Lookup returns the record with id, or ErrNotFound.
func (s *FileStore) Lookup(_ context.Context, id string) (*Record, error) {
	if r, ok := (*s.recs.Load())[id]; ok {
		return r, nil
	}
	return nil, ErrNotFound
}

// Len returns the number of keys read by the last successful load.
func (s *FileStore) Len() int { return len(*s.recs.Load()) }

// Path returns the file's path.
func (s *FileStore) Path() string { return s.path }

// FileError reports a key file that could not be read, with the line at
// fault (0 when the error concerns the whole file).
type FileError struct {
	Path string
	Line int
	Err  error
}

// Error returns "apikey: <path>:<line>: <error>".
func (e *FileError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "apikey: ")
	if e.Line == 0 {
		return "apikey: " + e.Path + ": " + msg
	}
	return fmt.Sprintf("apikey: %s:%d: %s", e.Path, e.Line, msg)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

var fileFields = [...]string{"id", "hash", "subject", "scopes", "environment", "created", "expires", "revoked"}

// readKeyFile parses a key file; name is used in errors.
func readKeyFile(name string, r io.Reader) (map[string]*Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxFileLine)
	recs := make(map[string]*Record)
	lineOf := make(map[string]int)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		rec, err := ParseFileLine(string(line))
		if err != nil {
			return nil, &FileError{Path: name, Line: n, Err: err}
		}
		if rec == nil {
			continue
		}
		if prev, dup := lineOf[rec.ID]; dup {
			return nil, &FileError{Path: name, Line: n, Err: fmt.Errorf("%w: id %s already on line %d", ErrInvalidRecord, rec.ID, prev)}
		}
		lineOf[rec.ID] = n
		recs[rec.ID] = rec
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FileError{Path: name, Line: n + 1, Err: fmt.Errorf("%w: line longer than %d bytes", ErrInvalidRecord, maxFileLine)}
		}
		return nil, &FileError{Path: name, Err: err}
	}
	return recs, nil
}

// ParseFileLine parses one line of a key file as a FileStore reads it
// (see FileStore for the format), without its line break. It returns nil
// and no error for a blank line or a comment, and an error wrapping
// ErrInvalidRecord for a line that does not parse, which names the field
// but never quotes the hash field. With FormatFileLine it lets a tool
// edit a key file line by line, keeping its comments.
func ParseFileLine(line string) (*Record, error) {
	text := strings.Trim(line, " \t\r")
	if text == "" || text[0] == '#' {
		return nil, nil
	}
	if len(text) > maxFileLine {
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrInvalidRecord, maxFileLine)
	}
	return parseFileLine(text)
}

// parseFileLine parses one non-comment line. Its errors name the field
// but never quote the hash field, where a pasted secret would end up.
func parseFileLine(line string) (*Record, error) {
	f := strings.Fields(line)
	if len(f) != len(fileFields) {
		return nil, fmt.Errorf("%w: %d fields, want %d (%s)", ErrInvalidRecord, len(f), len(fileFields), strings.Join(fileFields[:], " "))
	}
	r := &Record{ID: f[0], Subject: f[2]}
	if err := checkID(r.ID); err != nil {
		return nil, fmt.Errorf("%w: field 1 (id): %w", ErrInvalidRecord, err)
	}
	h := f[1]
	if len(h) != 2*len(r.Hash) {
		return nil, fmt.Errorf("%w: field 2 (hash): want %d hexadecimal digits, got %d characters", ErrInvalidRecord, 2*len(r.Hash), len(h))
	}
	if _, err := hex.Decode(r.Hash[:], []byte(h)); err != nil {
		return nil, fmt.Errorf("%w: field 2 (hash): not hexadecimal", ErrInvalidRecord)
	}
	if f[3] != "-" {
		r.Scopes = strings.Split(f[3], ",")
	}
	if f[4] != "-" {
		r.Environment = f[4]
	}
	for i, t := range []*time.Time{&r.Created, &r.Expires, &r.Revoked} {
		if f[5+i] == "-" {
			continue
		}
		v, err := time.Parse(time.RFC3339, f[5+i])
		if err != nil {
			return nil, fmt.Errorf("%w: field %d (%s): not an RFC 3339 time such as 2026-11-28T10:00:00Z, or -", ErrInvalidRecord, 6+i, fileFields[5+i])
		}
		*t = v
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// FormatFileLine returns r as one line of a key file (see FileStore),
// without the line break, or an error if r is invalid (Record.Validate).
// Times are written in UTC to the second.
func FormatFileLine(r *Record) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.ID)
	b.WriteByte(' ')
	b.WriteString(hex.EncodeToString(r.Hash[:]))
	b.WriteByte(' ')
	b.WriteString(r.Subject)
	b.WriteByte(' ')
	b.WriteString(dash(strings.Join(r.Scopes, ",")))
	b.WriteByte(' ')
	b.WriteString(dash(r.Environment))
	for _, t := range []time.Time{r.Created, r.Expires, r.Revoked} {
		b.WriteByte(' ')
		if t.IsZero() {
			b.WriteByte('-')
		} else {
			b.WriteString(t.UTC().Format(time.RFC3339))
		}
	}
	return b.String(), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
