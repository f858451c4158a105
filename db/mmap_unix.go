//go:build unix

package db

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only and returns the mapping
// and the function that unmaps it. The mapping is advised random: a query
// reads a row or a list here and there, and the default read-ahead (8 MiB
// on the project's machine) would read, and with large page-cache folios
// map, megabytes around each; scans ask for what they will read next
// (adviseWillNeed).
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	_ = unix.Madvise(data, unix.MADV_RANDOM) // advice only: reads work without it
	return data, func() error { return unix.Munmap(data) }, nil
}

// adviseWillNeed starts reading data's pages in the background; data must
// start on a page boundary.
func adviseWillNeed(data []byte) {
	if len(data) > 0 {
		_ = unix.Madvise(data, unix.MADV_WILLNEED) // advice only
	}
}
