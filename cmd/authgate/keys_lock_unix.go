//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes fh's exclusive flock(2) lock if no one holds it. The
// lock goes with the open file and is released when it is closed, or
// when the process ends, however it ends.
func tryLock(fh *os.File) (bool, error) {
	err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// keepOwner gives tmp the owner and group of the file st describes, when
// the process may (as root); otherwise tmp keeps the process's.
func keepOwner(tmp *os.File, st os.FileInfo) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = tmp.Chown(int(sys.Uid), int(sys.Gid))
	}
}
