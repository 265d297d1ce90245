package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/authgate/authgate/pgstore"
	"github.com/authgate/authgate/verifiers/apikey"
)

// lockWait bounds how long a command waits for another one to finish
// with the key file.
const lockWait = 10 * time.Second

// fileKeys is a key file, as apikey.FileStore reads it. Every change
// rewrites the file whole under an exclusive lock: a temporary file in
// the same directory, written, synced and renamed over the file, so a
// server reloading it reads the old or the new content, never a part.
type fileKeys struct {
	path string
	now  time.Time
}

func (s *fileKeys) where() string { return s.path }
func (s *fileKeys) close()        {}

// keyFile is a key file read line by line: lines keeps every line as it
// was (comments included), recs[i] the record of line i (nil for a blank
// line or a comment).
type keyFile struct {
	lines []string
	recs  []*apikey.Record
	dirty bool
}

func (f *keyFile) find(id string) int {
	for i, r := range f.recs {
		if r != nil && r.ID == id {
			return i
		}
	}
	return -1
}

// set replaces line i (or appends, for i == -1) with r's line.
func (f *keyFile) set(i int, r *apikey.Record) error {
	line, err := apikey.FormatFileLine(r)
	if err != nil {
		return err
	}
	if i < 0 {
		f.lines, f.recs = append(f.lines, line), append(f.recs, r)
	} else {
		f.lines[i], f.recs[i] = line, r
	}
	f.dirty = true
	return nil
}

func (f *keyFile) records() []*apikey.Record {
	var out []*apikey.Record
	for _, r := range f.recs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// parseKeyFile reads data as apikey.FileStore does, keeping the lines. A
// file FileStore would refuse is refused here too, with the line, so the
// tool never writes over a mistake it did not understand.
func parseKeyFile(path string, data []byte) (*keyFile, error) {
	f := &keyFile{}
	text := string(data)
	if text == "" {
		return f, nil
	}
	text = strings.TrimSuffix(text, "\n")
	seen := map[string]int{}
	for n, line := range strings.Split(text, "\n") {
		parse := line
		if n == 0 {
			parse = strings.TrimPrefix(parse, "\xef\xbb\xbf")
		}
		r, err := apikey.ParseFileLine(parse)
		if err != nil {
			return nil, &apikey.FileError{Path: path, Line: n + 1, Err: err}
		}
		if r != nil {
			if prev, dup := seen[r.ID]; dup {
				return nil, &apikey.FileError{Path: path, Line: n + 1, Err: fmt.Errorf("%w: id %s already on line %d", apikey.ErrInvalidRecord, r.ID, prev)}
			}
			seen[r.ID] = n + 1
		}
		f.lines, f.recs = append(f.lines, line), append(f.recs, r)
	}
	return f, nil
}

// edit locks the key file, reads it, lets change modify it and, if it
// did, writes it back. With create, a missing file is created (mode
// 0600, with apikey.FileHeader as its first line); otherwise it is an
// error.
func (s *fileKeys) edit(create bool, change func(*keyFile) error) error {
	path, err := resolve(s.path)
	if err != nil {
		return err
	}
	fh, err := lockFile(path, create)
	if err != nil {
		return err
	}
	defer fh.Close() // releases the lock
	data, err := io.ReadAll(fh)
	if err != nil {
		return fmt.Errorf("key file %s: %w", s.path, err)
	}
	kf, err := parseKeyFile(s.path, data)
	if err != nil {
		return fmt.Errorf("%w (fix the line by hand first; nothing was changed)", err)
	}
	if len(kf.lines) == 0 {
		kf.lines, kf.recs = []string{apikey.FileHeader}, []*apikey.Record{nil}
	}
	if err := change(kf); err != nil {
		return err
	}
	if !kf.dirty {
		return nil
	}
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("key file %s: %w", s.path, err)
	}
	return replaceFile(path, st, []byte(strings.Join(kf.lines, "\n")+"\n"))
}

func (s *fileKeys) create(_ context.Context, r *apikey.Record) error {
	return s.edit(true, func(f *keyFile) error {
		if f.find(r.ID) >= 0 {
			return fmt.Errorf("key %s: %w", r.ID, pgstore.ErrExists)
		}
		return f.set(-1, r)
	})
}

func (s *fileKeys) revoke(_ context.Context, id string, at time.Time) (*apikey.Record, bool, error) {
	var out *apikey.Record
	earlier := false
	err := s.edit(false, func(f *keyFile) error {
		i := f.find(id)
		if i < 0 {
			return fmt.Errorf("key %s: %w", id, apikey.ErrNotFound)
		}
		old := f.recs[i]
		if !old.Revoked.IsZero() && !old.Revoked.After(at) {
			out = old // an earlier revocation stays
			earlier = old.Revoked.Before(at)
			return nil
		}
		out = withTimes(old, old.Expires, at)
		return f.set(i, out)
	})
	return out, earlier, err
}

func (s *fileKeys) list(context.Context) ([]*apikey.Record, error) {
	path, err := resolve(s.path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missingFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	f, err := parseKeyFile(s.path, data)
	if err != nil {
		return nil, err
	}
	return f.records(), nil
}

func (s *fileKeys) rotate(_ context.Context, id string, gen func(string) (apikey.Key, error), expires time.Time, expSet bool, oldExpires time.Time) (apikey.Key, *apikey.Record, *apikey.Record, error) {
	var next apikey.Key
	var rec, after *apikey.Record
	err := s.edit(false, func(f *keyFile) error {
		i := f.find(id)
		if i < 0 {
			return fmt.Errorf("key %s: %w", id, apikey.ErrNotFound)
		}
		old := f.recs[i]
		if err := rotatable(old, s.now); err != nil {
			return err
		}
		var err error
		if next, err = gen(old.Environment); err != nil {
			return err
		}
		if f.find(next.ID()) >= 0 {
			return fmt.Errorf("key %s: %w", next.ID(), pgstore.ErrExists)
		}
		if !expSet && !old.Expires.IsZero() && !old.Created.IsZero() && old.Expires.After(old.Created) {
			expires = s.now.Add(old.Expires.Sub(old.Created)).Truncate(time.Second)
		}
		rec = next.Record(old.Subject, old.Scopes, expires)
		rec.Created = s.now
		// A revocation scheduled for the old key holds for the new one
		// too, as pgstore's Rotate does: rotating must not undo it.
		rec.Revoked = old.Revoked
		exp := oldExpires
		if !old.Expires.IsZero() && old.Expires.Before(exp) {
			exp = old.Expires
		}
		after = withTimes(old, exp, old.Revoked)
		if err := f.set(i, after); err != nil {
			return err
		}
		// The new key's line goes right after the old one's.
		line, err := apikey.FormatFileLine(rec)
		if err != nil {
			return err
		}
		f.lines = append(f.lines[:i+1], append([]string{line}, f.lines[i+1:]...)...)
		f.recs = append(f.recs[:i+1], append([]*apikey.Record{rec}, f.recs[i+1:]...)...)
		return nil
	})
	return next, rec, after, err
}

func (s *fileKeys) migrate(context.Context) (string, error) {
	n := 0
	err := s.edit(true, func(f *keyFile) error {
		n = len(f.records())
		if len(f.lines) == 1 && f.lines[0] == apikey.FileHeader {
			f.dirty = true // a new file: write its header
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("key file %s is ready (%d keys)", s.path, n), nil
}

// withTimes returns a copy of r with the expiry and revocation given.
func withTimes(r *apikey.Record, expires, revoked time.Time) *apikey.Record {
	return &apikey.Record{
		ID: r.ID, Hash: r.Hash, Subject: r.Subject, Scopes: r.Scopes, Environment: r.Environment,
		Created: r.Created, Expires: expires, Revoked: revoked,
	}
}
