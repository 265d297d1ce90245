//go:build !unix

package main

import (
	"errors"
	"os"
)

// tryLock fails: without flock(2), two commands could lose each other's
// change, so the key file is only edited on Unix systems.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("editing a key file needs a Unix system (flock); use --postgres, or edit the file by hand")
}

func keepOwner(*os.File, os.FileInfo) {}
