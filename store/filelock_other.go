//go:build !unix || solaris || aix

package store

// Without flock, a temporary file is judged by its age alone.

func lockTemp(string) (unlock func()) { return func() {} }

func tempInUse(string) lockState { return lockUnknown }
