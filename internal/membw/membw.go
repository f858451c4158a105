package membw

import "time"

// DefaultBufBytes is the buffer size [ReadBandwidth] uses when given
// bufBytes <= 0: large enough to exceed the last-level cache of most
// machines, so that the passes stream from DRAM.
const DefaultBufBytes = 256 << 20

// ReadBandwidth returns the single-thread streaming read bandwidth of the
// calling goroutine's core, in bytes per second.
//
// It allocates a buffer of bufBytes (rounded down to a multiple of 8;
// [DefaultBufBytes] when bufBytes <= 0) and writes every word once so that
// its pages are mapped. It then sums the buffer front to back, repeatedly,
// until at least minDur has elapsed and at least two passes have run, and
// returns the buffer size divided by the time of the fastest pass. The sum
// is an AVX2 reduction on amd64 (loads only, several independent
// accumulators, software prefetch 2 KiB ahead, no stores), so the pass time
// is bounded by how fast one core can pull sequential data through its
// caches; it is the ceiling that a single-threaded scan such as an exact
// distance search can hope to reach. It is not the machine's total bandwidth,
// which needs several cores to saturate.
//
// When the buffer fits in a cache level the result is that level's
// bandwidth, not DRAM's: pass a buffer well beyond the last-level cache to
// measure memory. The fastest pass is reported because interference (other
// processes, page faults, frequency changes) only ever slows a pass down.
//
// ReadBandwidth returns a positive finite number for any bufBytes >= 8. It
// may be called from several goroutines, but concurrent calls compete for
// bandwidth and each measures less.
func ReadBandwidth(bufBytes int, minDur time.Duration) float64 {
	if bufBytes <= 0 {
		bufBytes = DefaultBufBytes
	}
	n := max(bufBytes/8, 1)
	buf := make([]uint64, n)
	for i := range buf {
		buf[i] = uint64(i)
	}
	var best time.Duration
	start := time.Now()
	for passes := 0; passes < 2 || time.Since(start) < minDur; passes++ {
		t0 := time.Now()
		sink += sum(buf)
		d := time.Since(t0)
		if passes == 0 || d < best {
			best = d
		}
	}
	// A pass over a tiny buffer can be below the clock's resolution.
	secs := max(best.Seconds(), 1e-9)
	return float64(n*8) / secs
}

// sink keeps the sums alive so that no pass can be optimised away.
var sink uint64

// sum returns the wrapping sum of buf. It is goroutine-safe.
func sum(buf []uint64) uint64 {
	return sumImpl(buf)
}

// sumPortable is the plain Go sum, used where there is no assembly and as
// the reference the assembly is tested against.
func sumPortable(buf []uint64) uint64 {
	var s0, s1, s2, s3 uint64
	for len(buf) >= 4 {
		s0 += buf[0]
		s1 += buf[1]
		s2 += buf[2]
		s3 += buf[3]
		buf = buf[4:]
	}
	for _, x := range buf {
		s0 += x
	}
	return s0 + s1 + s2 + s3
}
