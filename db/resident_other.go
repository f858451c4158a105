//go:build !linux

package db

import "os"

// residentBytes is not measured outside Linux.
func residentBytes([]byte) int64 { return 0 }

// dropFileCache does nothing outside Linux.
func dropFileCache(*os.File) {}

// writeBack does nothing outside Linux: the final fsync makes the file
// durable.
func writeBack(*os.File, int64, int64, bool) error { return nil }
