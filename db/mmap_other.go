//go:build !unix

package db

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f into memory: platforms without
// mmap hold a segment in the heap (see README.md's caveats).
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

// adviseWillNeed does nothing: the file is in memory.
func adviseWillNeed([]byte) {}
