//go:build !linux

package db

import "os"

// residentBytes is not measured outside Linux.
func residentBytes([]byte) int64 { return 0 }

// dropFileCache does nothing outside Linux.
func dropFileCache(*os.File) {}
