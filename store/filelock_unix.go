//go:build unix && !solaris && !aix

package store

import (
	"errors"
	"os"
	"syscall"
)

// lockTemp takes an exclusive flock on the file at name through a
// descriptor of its own (so that closing the file being written does not
// drop it) and returns the function that lets go. The lock goes with the
// process, however it ends: a temporary file nobody holds locked was left
// by a process that is gone. A failure to lock is not an error; the file
// is then judged by its age.
func lockTemp(name string) (unlock func()) {
	f, err := os.Open(name)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return func() {}
	}
	return func() { f.Close() }
}

// tempInUse tests whether a running write holds the file at name locked.
func tempInUse(name string) lockState {
	f, err := os.Open(name)
	if err != nil {
		return lockHeld // cannot tell: leave it
	}
	defer f.Close() // and with it the lock, once the file is removed
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == nil:
		return lockFree
	case errors.Is(err, syscall.EWOULDBLOCK):
		return lockHeld
	}
	return lockUnknown // no locks on this file system
}
