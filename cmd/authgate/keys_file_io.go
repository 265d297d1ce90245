package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// resolve follows symbolic links, so that the rename replaces the file
// and not the link. A missing file resolves to itself.
func resolve(path string) (string, error) {
	p, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("key file: %w", err)
	}
	return p, nil
}

// lockFile opens path and takes its exclusive lock. The lock is on the
// file's inode, and a writer renames a new inode over the path, so a
// command that got the lock of an inode no longer at path retries on the
// new one.
func lockFile(path string, create bool) (*os.File, error) {
	deadline := time.Now().Add(lockWait)
	flags := os.O_RDONLY
	if create {
		flags |= os.O_CREATE
	}
	for {
		fh, err := os.OpenFile(path, flags, 0o600)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && create {
				return nil, fmt.Errorf("key file %s: its directory does not exist", path)
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil, missingFile(path)
			}
			return nil, fmt.Errorf("key file: %w", err)
		}
		locked, err := tryLock(fh)
		if err != nil {
			fh.Close()
			return nil, fmt.Errorf("key file %s: lock: %w", path, err)
		}
		if locked {
			st, err1 := fh.Stat()
			cur, err2 := os.Stat(path)
			if err1 == nil && err2 == nil && os.SameFile(st, cur) {
				return fh, nil
			}
			// Replaced while we waited: lock the new file.
		}
		fh.Close()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("key file %s: another command has held its lock for %s", path, lockWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func missingFile(path string) error {
	return fmt.Errorf("key file %s does not exist (authgate keys create or migrate --file makes one)", path)
}

// replaceFile writes data to a temporary file beside path, with the mode
// (and, where allowed, the owner) of the file st describes, syncs it and
// renames it over path.
func replaceFile(path string, st os.FileInfo, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	keepOwner(tmp, st)
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return nil
}
