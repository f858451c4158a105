//go:build !unix

package db

// fsFreeBytes cannot tell here: writes are not checked.
func fsFreeBytes(string) (int64, bool) { return 0, false }
