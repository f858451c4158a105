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
// page cache: a build writes hundreds of megabytes no query needs yet,
// which would otherwise push out what readers use (and, written as large
// folios, would be mapped whole by the first faults that touch them).
func dropFileCache(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) // advice only
}
