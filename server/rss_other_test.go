//go:build !linux

package server_test

// peakRSS is not measured outside Linux.
func peakRSS() int64 { return 0 }
