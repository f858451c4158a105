//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package db

import (
	"io/fs"
	"testing"

	"github.com/cockroachdb/errors"
	"golang.org/x/sys/unix"
)

// TestLockConflictIsNotPermission: EACCES from opening the LOCK file is a
// permission problem, not another process's lock (a user without access
// was told the database was "in use by another process").
func TestLockConflictIsNotPermission(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"lock call EAGAIN", errors.Wrap(unix.EAGAIN, "lock"), true},
		{"lock call EACCES", unix.EACCES, true},
		{"open of LOCK denied", errors.Wrap(&fs.PathError{Op: "open", Path: "LOCK", Err: unix.EACCES}, "opening"), false},
	} {
		if got := isLockConflict(tc.err); got != tc.want {
			t.Errorf("%s: isLockConflict = %v, want %v", tc.name, got, tc.want)
		}
	}
}
