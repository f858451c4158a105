package membw

import (
	"math"
	"testing"
	"time"
)

func TestReadBandwidth(t *testing.T) {
	for _, size := range []int{8, 1000, 1 << 20} {
		bw := ReadBandwidth(size, 10*time.Millisecond)
		if !(bw > 0) || math.IsInf(bw, 0) {
			t.Fatalf("ReadBandwidth(%d) = %v, want positive and finite", size, bw)
		}
		t.Logf("ReadBandwidth(%d) = %.1f GB/s", size, bw/1e9)
	}
}

// TestSum checks the selected sum (assembly on amd64 with AVX2) against the
// portable one at lengths around the 32-word block of the assembly.
func TestSum(t *testing.T) {
	buf := make([]uint64, 1000)
	for i := range buf {
		// Large values so that the sum wraps.
		buf[i] = uint64(i)*0x9e3779b97f4a7c15 + 1
	}
	for _, n := range []int{0, 1, 7, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000} {
		if got, want := sum(buf[:n]), sumPortable(buf[:n]); got != want {
			t.Errorf("sum(len %d) = %#x, want %#x", n, got, want)
		}
		var want uint64
		for _, x := range buf[:n] {
			want += x
		}
		if got := sumPortable(buf[:n]); got != want {
			t.Errorf("sumPortable(len %d) = %#x, want %#x", n, got, want)
		}
	}
}
