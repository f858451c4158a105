package db

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// residentBytes returns how many bytes of a mapping are in memory
// (mincore(2); 0 if it fails).
func residentBytes(data []byte) int64 {
	if len(data) == 0 {
		return 0
	}
	page := os.Getpagesize()
	vec := make([]byte, (len(data)+page-1)/page)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(data))), uintptr(len(data)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if errno != 0 {
		return 0
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return n * int64(page)
}

// dropFileCache asks the kernel to drop a written file's pages from the
// page cache (see createSegment).
func dropFileCache(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) // advice only
}

// writeBack writes [off, off+n) of f to disk and, when drop is set, drops
// it from the page cache: a build streams hundreds of megabytes into a
// vector file, and dirty pages left to the kernel pile up in the process's
// memory cgroup (cgroup v1 does not throttle a writer by its cgroup's
// dirty pages) until the OOM killer runs. The final fsync still makes the
// file durable.
func writeBack(f *os.File, off, n int64, drop bool) error {
	if err := unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER); err != nil {
		return err
	}
	if drop {
		_ = unix.Fadvise(int(f.Fd()), off, n, unix.FADV_DONTNEED) // advice only
	}
	return nil
}
