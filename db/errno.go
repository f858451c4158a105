package db

import (
	"syscall"

	"github.com/cockroachdb/errors"
)

func errorsIsErrno(err error, errno syscall.Errno) bool {
	var e syscall.Errno
	return errors.As(err, &e) && e == errno
}
