package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// fastScanCase is a random fast-scan input: n vectors of m 4-bit codes and
// m tables of 16 byte entries, kept unpacked so that the reference below is
// computed from the definition and not from the packed layout.
type fastScanCase struct {
	n, m   int
	codes  []byte     // n*m, vector-major
	tables [][16]byte // m
}

func newFastScanCase(rng *rand.Rand, n, m int, maxEntry int) fastScanCase {
	c := fastScanCase{n: n, m: m, codes: make([]byte, n*m), tables: make([][16]byte, m)}
	for i := range c.codes {
		c.codes[i] = byte(rng.IntN(16))
	}
	for j := range c.tables {
		for k := range c.tables[j] {
			if maxEntry == 255 && rng.IntN(4) == 0 {
				// Make the top value common so that sums get near the limit.
				c.tables[j][k] = 255
			} else {
				c.tables[j][k] = byte(rng.IntN(maxEntry + 1))
			}
		}
	}
	return c
}

// lut lays the tables out as FastScanBlocks wants them, with a zero table
// for the padding sub-quantiser of an odd m.
func (c fastScanCase) lut() []byte {
	pairs := (c.m + 1) / 2
	lut := make([]byte, pairs*32)
	for j, t := range c.tables {
		copy(lut[(j/2)*32+(j%2)*16:], t[:])
	}
	return lut
}

// want computes the sums of every vector of the padded blocks directly:
// padding vectors have code 0 for every sub-quantiser.
func (c fastScanCase) want() []uint16 {
	nblocks := (c.n + 31) / 32
	want := make([]uint16, nblocks*32)
	for v := range want {
		var s int
		for j := 0; j < c.m; j++ {
			var code byte
			if v < c.n {
				code = c.codes[v*c.m+j]
			}
			s += int(c.tables[j][code])
		}
		if s > 65535 {
			panic("test sum overflows")
		}
		want[v] = uint16(s)
	}
	return want
}

var (
	fastScanTestM = []int{1, 2, 3, 7, 8, 16, 31, 32, 98, 196, 255, 256}
	fastScanTestN = []int{1, 31, 32, 33, 100, 257}
)

func TestFastScanKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range fastScanTestM {
		for _, n := range fastScanTestN {
			for _, maxEntry := range []int{15, 255} {
				c := newFastScanCase(rng, n, m, maxEntry)
				checkFastScan(t, fmt.Sprintf("m=%d/n=%d/max=%d", m, n, maxEntry), c)
			}
		}
	}
}

// TestFastScanSaturated checks that sums of 256 entries of 255 (65280, just
// below the uint16 limit) come out exact, with every code.
func TestFastScanSaturated(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, m := range []int{255, 256} {
		c := newFastScanCase(rng, 257, m, 255)
		for j := range c.tables {
			for k := range c.tables[j] {
				c.tables[j][k] = 255
			}
		}
		checkFastScan(t, fmt.Sprintf("m=%d", m), c)
	}
}

func checkFastScan(t *testing.T, name string, c fastScanCase) {
	t.Helper()
	pairs := (c.m + 1) / 2
	lut := c.lut()
	packed := PackFastScan(nil, c.codes, c.n, c.m)
	want := c.want()
	for _, k := range fastScanKernels {
		got := make([]uint16, len(want))
		for i := range got {
			got[i] = 0xdead // The kernels must overwrite out, not add to it.
		}
		k.scan(lut, packed, pairs, got)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%s: kernel %s: out[%d] = %d, want %d", name, k.name, i, got[i], want[i])
		}
	}
	got := make([]uint16, len(want))
	FastScanBlocks(lut, packed, pairs, got)
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("%s: FastScanBlocks: out[%d] = %d, want %d", name, i, got[i], want[i])
	}
}

func firstDiff(a, b []uint16) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestFastScanBlocksChecks(t *testing.T) {
	ok := func(pairs, nblocks int) ([]byte, []byte, []uint16) {
		return make([]byte, pairs*32), make([]byte, nblocks*pairs*32), make([]uint16, nblocks*32)
	}
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"pairs=0", func() { FastScanBlocks(nil, nil, 0, nil) }},
		{"pairs=129", func() { l, p, o := ok(129, 1); FastScanBlocks(l, p, 129, o) }},
		{"short lut", func() { l, p, o := ok(4, 2); FastScanBlocks(l[1:], p, 4, o) }},
		{"short packed", func() { l, p, o := ok(4, 2); FastScanBlocks(l, p[32:], 4, o) }},
		{"odd out", func() { l, p, o := ok(4, 2); FastScanBlocks(l, p, 4, o[1:]) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
	// No blocks at all is fine.
	FastScanBlocks(make([]byte, 32), nil, 1, nil)
}

func TestFastScanPackRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, m := range fastScanTestM {
		for _, n := range append([]int{0}, fastScanTestN...) {
			c := newFastScanCase(rng, n, m, 15)
			prefix := []byte{1, 2, 3}
			packed := PackFastScan(slices.Clone(prefix), c.codes, n, m)
			size, _, _ := fastScanPackedLen(n, m)
			if len(packed) != len(prefix)+size || !slices.Equal(packed[:3], prefix) {
				t.Fatalf("m=%d n=%d: packed %d bytes, want %d after the prefix", m, n, len(packed), len(prefix)+size)
			}
			got, err := UnpackFastScan(slices.Clone(prefix), packed[3:], n, m)
			if err != nil {
				t.Fatalf("m=%d n=%d: %v", m, n, err)
			}
			if !slices.Equal(got[:3], prefix) || !slices.Equal(got[3:], c.codes) {
				t.Fatalf("m=%d n=%d: round trip changed the codes", m, n)
			}
			// Fewer vectors than were packed is fine too.
			if n > 1 {
				got, err := UnpackFastScan(nil, packed[3:], n-1, m)
				if err != nil || !slices.Equal(got, c.codes[:(n-1)*m]) {
					t.Fatalf("m=%d n=%d: unpacking n-1 vectors: %v", m, n, err)
				}
			}
			// Truncated input is an error, not a panic.
			if size > 0 {
				for _, cut := range []int{1, 16, size / 2, size} {
					if cut > size {
						continue
					}
					if _, err := UnpackFastScan(nil, packed[3:3+size-cut], n, m); err == nil {
						t.Fatalf("m=%d n=%d: no error with %d bytes cut", m, n, cut)
					}
				}
			}
		}
	}
}

func TestFastScanUnpackBadShape(t *testing.T) {
	packed := make([]byte, 64)
	for _, s := range [][2]int{{-1, 2}, {1, 0}, {1, -3}, {1, math.MaxInt}, {math.MaxInt, 2}} {
		if _, err := UnpackFastScan(nil, packed, s[0], s[1]); err == nil {
			t.Errorf("n=%d m=%d: no error", s[0], s[1])
		}
	}
}

func TestFastScanPackChecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		codes []byte
		n, m  int
	}{
		{"short codes", make([]byte, 5), 2, 3},
		{"long codes", make([]byte, 7), 2, 3},
		{"m=0", nil, 0, 0},
		{"n<0", nil, -1, 2},
		{"code 16", []byte{0, 16}, 1, 2},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			PackFastScan(nil, tc.codes, tc.n, tc.m)
		}()
	}
}

func BenchmarkFastScan(b *testing.B) {
	const nblocks = 256
	rng := rand.New(rand.NewPCG(7, 8))
	for _, m := range []int{32, 196} {
		pairs := (m + 1) / 2
		c := newFastScanCase(rng, nblocks*32, m, 255)
		lut := c.lut()
		packed := PackFastScan(nil, c.codes, c.n, m)
		out := make([]uint16, nblocks*32)
		for _, k := range fastScanKernels {
			b.Run(fmt.Sprintf("%s/m=%d", k.name, m), func(b *testing.B) {
				b.SetBytes(int64(len(packed)))
				for b.Loop() {
					k.scan(lut, packed, pairs, out)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(out)), "ns/vec")
			})
		}
	}
}
