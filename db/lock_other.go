//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package db

import (
	"io"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// sharedLockFS takes no lock for read-only opens on platforms without
// fcntl locks: read-only processes share the directory, and nothing stops a
// writer from running beside them (documented in README.md).
type sharedLockFS struct{ vfs.FS }

func (fs sharedLockFS) Lock(string) (io.Closer, error) { return io.NopCloser(nil), nil }

func isLockConflict(error) bool { return false }
