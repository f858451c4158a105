//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package db

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/cockroachdb/pebble/v2/vfs"
	"golang.org/x/sys/unix"
)

// sharedLockFS is the default filesystem with a read lock in place of the
// storage engine's exclusive lock. Read-only opens use it: read-only
// processes share a directory (and a read-only mount, where the LOCK file
// can be opened but not created, works), while a writer's exclusive lock
// still excludes them and they exclude a writer.
type sharedLockFS struct{ vfs.FS }

func (fs sharedLockFS) Lock(name string) (io.Closer, error) {
	f, err := os.Open(name)
	if err != nil {
		if os.IsNotExist(err) {
			// No LOCK file: nothing has ever written here. The open
			// itself will report the missing database.
			return io.NopCloser(nil), nil
		}
		return nil, err
	}
	spec := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &spec); err != nil {
		_ = f.Close() // the lock error is the one to report
		return nil, err
	}
	return f, nil
}

// isLockConflict reports whether err is another process's lock: EAGAIN or
// EACCES from the lock call, not EACCES from opening the LOCK file (a
// permission problem, reported as one).
func isLockConflict(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "open" {
		return false
	}
	return errorsIsErrno(err, unix.EAGAIN) || errorsIsErrno(err, unix.EACCES)
}
