package basic

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// MaxFileSize bounds the size of an htpasswd file, in bytes.
const MaxFileSize = 16 << 20

// maxLine bounds one line of an htpasswd file, in bytes.
const maxLine = 4096

// FileError reports why an htpasswd file could not be loaded, with the
// file and the line (1-based; 0 when the problem is the whole file). Err
// wraps ErrInsecureHash, ErrUnsupportedHash or ErrMalformedHash for a bad
// hash, or an I/O error. The message never quotes a hash or a password.
type FileError struct {
	Path string
	Line int
	Err  error
}

// Error returns "basic: <path>:<line>: <error>", or "basic: <path>: <error>"
// when the problem is the whole file.
func (e *FileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("basic: %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("basic: %s:%d: %v", e.Path, e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// FileStore is a Store read from an Apache htpasswd file: one "user:hash" per
// line, with bcrypt ($2y$, $2a$, $2b$) or argon2id (PHC string) hashes.
// Blank lines and lines starting with '#' are skipped; a CR before the
// line end is dropped; fields after a second colon are ignored, as Apache
// does. Insecure formats (plain text, DES crypt, MD5 $apr1$ and $1$,
// SHA-1 {SHA} and {SSHA}) are refused, with no option to allow them: a
// stolen file of those is cracked in hours. Re-hash with `htpasswd -B`.
//
// Reload reads the file again and swaps it in atomically; requests in
// flight finish against the old content, and cached credentials made
// against the old content are no longer trusted. Call it on SIGHUP.
type FileStore struct {
	path string
	log  zerolog.Logger
	mu   sync.Mutex // serialises Reload
	gen  uint64     // guarded by mu
	t    atomic.Pointer[table]
}

// FileOption configures OpenFileStore.
type FileOption func(*FileStore)

// WithFileLogger sets the logger of the warnings OpenFileStore and Reload
// write (see OpenFileStore). The default writes JSON lines with a timestamp to
// standard error; zerolog.Nop() silences them.
func WithFileLogger(l zerolog.Logger) FileOption {
	return func(s *FileStore) { s.log = l }
}

// OpenFileStore reads the htpasswd file at path. It fails with a *FileError
// naming the file and line of the first problem: an insecure or unknown
// hash format, a malformed hash, a hash over the cost maxima
// (ErrHashTooExpensive: bcrypt above MaxBcryptCost, argon2id above
// MaxArgon2Memory, MaxArgon2Time or MaxArgon2Parallelism), a user listed
// twice, a user name that a Basic client cannot send (empty, control
// characters, invalid UTF-8, longer than MaxUserLength), a line longer
// than 4096 bytes, or a file larger than MaxFileSize.
//
// A file that loads can still deserve attention: OpenFileStore and each
// successful Reload log one warning (WithFileLogger) when the file holds
// no users at all (every login is refused), or names the users whose
// hashes are weak (bcrypt below cost 10, argon2id below OWASP's minimum
// of 19 MiB × 2 passes or its equivalents) or cheaper than the file's
// strongest hash. The latter cost CPU for nothing: every check of theirs
// is padded to the strongest hash's work, so that timing does not tell
// users apart (see the package documentation, "Timing"), while their
// hashes protect their passwords only as well as their own cost does.
// Re-hash them (htpasswd -B -C COST).
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

// Reload reads the file again. On success the new content replaces the
// old at once, and OpenFileStore's warnings are logged again if they still
// apply; on error the old content stays in use and the error, a
// *FileError, names the file and line.
func (s *FileStore) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	users, err := readFile(s.path, s.gen+1)
	if err != nil {
		return err
	}
	s.gen++
	s.t.Store(newTable(users))
	warnCosts(&s.log, s.path, users)
	return nil
}

func readFile(path string, gen uint64) (map[string]*Hash, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	defer fh.Close()
	return parseHtpasswd(path, fh, gen)
}

// parseHtpasswd reads htpasswd lines from r; name is used in errors.
func parseHtpasswd(name string, r io.Reader, gen uint64) (map[string]*Hash, error) {
	lr := &io.LimitedReader{R: r, N: MaxFileSize + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 512), maxLine+2) // room for CR LF
	users := make(map[string]*Hash)
	firstLine := make(map[string]int)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(line) > maxLine {
			return nil, &FileError{name, n, fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		if len(bytes.Trim(line, " \t")) == 0 || line[0] == '#' {
			continue
		}
		user, rest, ok := strings.Cut(string(line), ":")
		if !ok {
			return nil, &FileError{name, n, errors.New("no colon: a line is user:hash")}
		}
		enc, _, _ := strings.Cut(rest, ":")
		if err := checkUserName(user); err != nil {
			return nil, &FileError{name, n, err}
		}
		if prev, dup := firstLine[user]; dup {
			return nil, &FileError{name, n, fmt.Errorf("user %s is listed again (first on line %d)", quoteUser(sanitizeUser(user)), prev)}
		}
		h, err := parseHash(enc)
		if err != nil {
			return nil, &FileError{name, n, fmt.Errorf("user %s: %w", quoteUser(sanitizeUser(user)), err)}
		}
		h.gen = gen
		users[user] = h
		firstLine[user] = n
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FileError{name, n + 1, fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		return nil, &FileError{Path: name, Err: err}
	}
	if lr.N <= 0 {
		return nil, &FileError{Path: name, Err: fmt.Errorf("file larger than %d bytes", MaxFileSize)}
	}
	return users, nil
}

// Lookup implements Store.
func (s *FileStore) Lookup(_ context.Context, user string) (*Hash, error) {
	return s.t.Load().lookup(user)
}

// Decoy implements Store: bcrypt or argon2id, whichever most users in the
// file have, at the strongest parameters in use.
func (s *FileStore) Decoy() *Hash { return s.t.Load().decoy }

// Len returns the number of users currently loaded.
func (s *FileStore) Len() int { return len(s.t.Load().users) }

// Path returns the file's path.
func (s *FileStore) Path() string { return s.path }

// String describes the store for log details: "htpasswd file PATH".
func (s *FileStore) String() string { return "htpasswd file " + s.path }
