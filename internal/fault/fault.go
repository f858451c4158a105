// Package fault turns memory faults on mapped files into errors.
//
// A memory-mapped file whose pages cannot be read (an I/O error, a file
// truncated under the mapping) raises SIGBUS on access, which would kill
// the process. [Guard] runs a function with the runtime's panic-on-fault
// mode on for its goroutine, and returns such a fault as an error wrapping
// [ErrFault]. Every goroutine that reads mapped memory runs under Guard:
// the mode is per goroutine.
package fault

import (
	"runtime/debug"

	"github.com/cockroachdb/errors"
)

// ErrFault is the error a faulting read of mapped memory becomes.
var ErrFault = errors.New("vecdb: memory fault reading a mapped file (I/O error or truncated file)")

// addrError is what the runtime panics with on a memory fault when
// panic-on-fault is set: a runtime.Error with the faulting address.
type addrError interface {
	error
	Addr() uintptr
}

// Guard calls fn with memory faults turned into a returned error wrapping
// ErrFault. Other panics propagate.
func Guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if e, ok := r.(addrError); ok {
				err = errors.Wrapf(ErrFault, "at address %#x: %s", e.Addr(), e.Error())
				return
			}
			panic(r)
		}
	}()
	return fn()
}
