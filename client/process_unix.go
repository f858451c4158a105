//go:build unix

package client

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with ID pid exists (pid 0, an
// announcement that does not say, counts as not).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
