//go:build !purego

package membw

import "golang.org/x/sys/cpu"

var sumImpl = sumPortable

func init() {
	if cpu.X86.HasAVX2 {
		sumImpl = sumAVX2Full
	}
}

// sumAVX2Full sums the largest prefix of buf that is a multiple of 32 words
// (256 bytes) in assembly, and the rest in Go.
func sumAVX2Full(buf []uint64) uint64 {
	n := len(buf) &^ 31
	return sumAVX2(buf[:n]) + sumPortable(buf[n:])
}

// sumAVX2 returns the wrapping sum of buf; len(buf) must be a multiple of 32.
// It loads 256 bytes per iteration into eight independent 4x64-bit
// accumulators, prefetching 2 KiB ahead, and stores nothing.
//
//go:noescape
func sumAVX2(buf []uint64) uint64
