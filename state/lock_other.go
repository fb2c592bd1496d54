//go:build !unix

package state

import (
	"errors"
	"os"
)

// tryLock: without flock a second run could not be kept out, so refuse to run at all.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("locking state files is only supported on Unix systems")
}
