package quant

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// dotRef is the dot product of codes and q in int64, straight from the
// definition; codes holds one code a coordinate.
func dotRef(codes []byte, q []int16) int64 {
	var s int64
	for i, c := range codes {
		s += int64(c) * int64(q[i])
	}
	return s
}

// packU4 packs 4-bit codes two a byte, the even coordinates in the low
// nibbles.
func packU4(codes []byte) []byte {
	u := make([]byte, len(codes)/2)
	for i, c := range codes {
		u[i/2] |= c << (4 * (i % 2))
	}
	return u
}

// rabitqTestLens returns the dot-product lengths the tests try: every
// multiple of 64 up to 512, then 1024, the exact limits and the largest.
func rabitqTestLens() []int {
	var lens []int
	for n := 0; n <= 512; n += rabitqDotBlock {
		lens = append(lens, n)
	}
	return append(lens, 1024, dotU8I16ExactLen, dotU4I16ExactLen, rabitqMaxLen)
}

// dotInputs returns codes below 1<<nbits and q in [-4095, 4095] of length
// n, of the given shape: random, or extreme (every code at its maximum and
// q at ±4095, all of one sign or alternating in runs).
func dotInputs(rng *rand.Rand, n, nbits int, shape string) ([]byte, []int16) {
	codes := make([]byte, n)
	q := make([]int16, n)
	top := byte(1<<nbits - 1)
	for i := range codes {
		switch shape {
		case "random":
			codes[i] = byte(rng.IntN(int(top) + 1))
			q[i] = int16(rng.IntN(8191) - 4095)
		case "max":
			codes[i], q[i] = top, 4095
		case "min":
			codes[i], q[i] = top, -4095
		case "runs":
			// Sums that grow and shrink, with codes 0 and top mixed.
			codes[i] = top * byte(rng.IntN(2))
			q[i] = 4095
			if i/37%2 == 1 {
				q[i] = -4095
			}
		}
	}
	return codes, q
}

func TestRaBitQDotKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range rabitqTestLens() {
		for _, shape := range []string{"random", "max", "min", "runs"} {
			for _, nbits := range []int{8, 4} {
				codes, q := dotInputs(rng, n, nbits, shape)
				want := dotRef(codes, q)
				exactLen := dotU8I16ExactLen
				if nbits == 4 {
					exactLen = dotU4I16ExactLen
				}
				if n <= exactLen && want != int64(int32(want)) {
					t.Fatalf("n=%d bits=%d %s: the sum %d overflows int32 within the exact length", n, nbits, shape, want)
				}
				// Past the exact length a sum may wrap, the same way in
				// every kernel.
				checkDot(t, fmt.Sprintf("n=%d/bits=%d/%s", n, nbits, shape), nbits, codes, q, int32(want))
			}
		}
	}
}

// TestRaBitQDotExactLimits checks the extreme sums at the exact lengths,
// just below the int32 limit, and one block past them, where they wrap.
func TestRaBitQDotExactLimits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, nbits := range []int{8, 4} {
		exactLen := dotU8I16ExactLen
		if nbits == 4 {
			exactLen = dotU4I16ExactLen
		}
		for _, shape := range []string{"max", "min"} {
			codes, q := dotInputs(rng, exactLen+rabitqDotBlock, nbits, shape)
			at := dotRef(codes[:exactLen], q[:exactLen])
			past := dotRef(codes, q)
			if at != int64(int32(at)) || past == int64(int32(past)) {
				t.Fatalf("bits=%d %s: %d coordinates sum to %d and %d more to %d: the limit is wrong",
					nbits, shape, exactLen, at, rabitqDotBlock, past)
			}
			checkDot(t, fmt.Sprintf("bits=%d/%s/n=%d", nbits, shape, exactLen), nbits, codes[:exactLen], q[:exactLen], int32(at))
			checkDot(t, fmt.Sprintf("bits=%d/%s/n=%d", nbits, shape, len(q)), nbits, codes, q, int32(past))
		}
	}
}

// checkDot compares every kernel, and the entry point, with want.
func checkDot(t *testing.T, name string, nbits int, codes []byte, q []int16, want int32) {
	t.Helper()
	u, entry := codes, dotU8I16
	if nbits == 4 {
		u, entry = packU4(codes), dotU4I16
	}
	for _, k := range rabitqKernels {
		dot := k.dotU8I16
		if nbits == 4 {
			dot = k.dotU4I16
		}
		if got := dot(u, q); got != want {
			t.Fatalf("%s: kernel %s: got %d, want %d", name, k.name, got, want)
		}
	}
	if got := entry(u, q); got != want {
		t.Fatalf("%s: entry point: got %d, want %d", name, got, want)
	}
}

// fwhtRef is the transform written as its definition, one stage and one
// butterfly at a time.
func fwhtRef(x []float32) {
	n := len(x)
	for h := 1; h < n; h *= 2 {
		for i := 0; i < n; i += 2 * h {
			for j := i; j < i+h; j++ {
				a, b := x[j], x[j+h]
				x[j], x[j+h] = a+b, a-b
			}
		}
	}
}

var fwhtTestLens = []int{64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}

// fwhtInputs returns inputs of length n: random normal floats, floats of
// very different magnitudes (so that sums round and cancel), small integers
// (so that many differences are exactly zero), and a constant, whose
// transform is zero but for x[0], each zero made by a difference a-b: had a
// kernel computed it as -(b-a), the zero would be negative.
func fwhtInputs(rng *rand.Rand, n int) map[string][]float32 {
	normal := make([]float32, n)
	mixed := make([]float32, n)
	small := make([]float32, n)
	for i := range n {
		normal[i] = float32(rng.NormFloat64())
		mixed[i] = float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-20)))
		small[i] = float32(rng.IntN(3) - 1)
	}
	constant := slices.Repeat([]float32{1.5}, n)
	return map[string][]float32{"normal": normal, "mixed": mixed, "small": small, "constant": constant}
}

func TestFWHTKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range fwhtTestLens {
		for shape, x := range fwhtInputs(rng, n) {
			want := slices.Clone(x)
			fwhtRef(want)
			check := func(name string, f func([]float32)) {
				got := slices.Clone(x)
				f(got)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d %s: %s: x[%d] = %v (%#x), want %v (%#x)", n, shape, name, i,
							got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
			for _, k := range rabitqKernels {
				check("kernel "+k.name, k.fwht)
			}
			check("entry point", fwht)
		}
	}
}

// TestFWHTHadamard checks that the transform is the Hadamard matrix: a unit
// vector e_j becomes row j, ±1 by the parity of i&j, and transforming twice
// multiplies by n.
func TestFWHTHadamard(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range rabitqKernels {
		for _, n := range fwhtTestLens {
			js := []int{0, 1, n/2 + 3, n - 1}
			if n <= 256 {
				js = js[:0]
				for j := range n {
					js = append(js, j)
				}
			}
			for _, j := range js {
				x := make([]float32, n)
				x[j] = 1
				k.fwht(x)
				for i, v := range x {
					want := float32(1)
					if bits.OnesCount(uint(i&j))%2 == 1 {
						want = -1
					}
					if v != want {
						t.Fatalf("%s: n=%d: transform of e_%d: x[%d] = %v, want %v", k.name, n, j, i, v, want)
					}
				}
			}

			x := fwhtInputs(rng, n)["normal"]
			y := slices.Clone(x)
			k.fwht(y)
			k.fwht(y)
			// Each output sums n terms of up to max|x| in float32: allow
			// a relative error of a few ulps times log2(n) against that.
			var mag float64
			for _, v := range x {
				mag = max(mag, math.Abs(float64(v)))
			}
			tol := float64(n) * mag * float64(bits.Len(uint(n))) * 0x1p-22
			for i := range x {
				if d := math.Abs(float64(y[i]) - float64(n)*float64(x[i])); d > tol {
					t.Fatalf("%s: n=%d: twice transformed x[%d] = %v, want %v (tolerance %v)", k.name, n, i, y[i], float64(n)*float64(x[i]), tol)
				}
			}
		}
	}
}

func TestRaBitQKernelChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"u8 lengths differ", func() { dotU8I16(make([]byte, 64), make([]int16, 128)) }},
		{"u8 not a block", func() { dotU8I16(make([]byte, 63), make([]int16, 63)) }},
		{"u8 too long", func() { dotU8I16(make([]byte, rabitqMaxLen+64), make([]int16, rabitqMaxLen+64)) }},
		{"u4 q not twice u", func() { dotU4I16(make([]byte, 64), make([]int16, 64)) }},
		{"u4 not a block", func() { dotU4I16(make([]byte, 16), make([]int16, 32)) }},
		{"u4 too long", func() { dotU4I16(make([]byte, rabitqMaxLen/2+32), make([]int16, rabitqMaxLen+64)) }},
		{"fwht empty", func() { fwht(nil) }},
		{"fwht 32", func() { fwht(make([]float32, 32)) }},
		{"fwht 96", func() { fwht(make([]float32, 96)) }},
		{"fwht too long", func() { fwht(make([]float32, 2*rabitqMaxLen)) }},
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
	// Empty vectors are fine for the dot products.
	if dotU8I16(nil, nil) != 0 || dotU4I16(nil, nil) != 0 {
		t.Error("empty dot product is not 0")
	}
}

func BenchmarkRaBitQKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, k := range rabitqKernels {
		for _, n := range []int{128, 832, 1024} {
			u8, q8 := dotInputs(rng, n, 8, "random")
			b.Run(fmt.Sprintf("dotU8I16/%s/n=%d", k.name, n), func(b *testing.B) {
				var s int32
				for b.Loop() {
					s += k.dotU8I16(u8, q8)
				}
				_ = s
			})
			codes, q4 := dotInputs(rng, n, 4, "random")
			u4 := packU4(codes)
			b.Run(fmt.Sprintf("dotU4I16/%s/n=%d", k.name, n), func(b *testing.B) {
				var s int32
				for b.Loop() {
					s += k.dotU4I16(u4, q4)
				}
				_ = s
			})
		}
		// fwht takes powers of two only.
		for _, n := range []int{128, 1024} {
			x := fwhtInputs(rng, n)["normal"]
			y := make([]float32, n)
			b.Run(fmt.Sprintf("fwht/%s/n=%d", k.name, n), func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					// Each transform multiplies the largest |x| by at
					// most n: starting again from x every 8 keeps the
					// values finite (for n <= 2^14) at a small cost.
					if i%8 == 0 {
						copy(y, x)
					}
					k.fwht(y)
				}
			})
		}
	}
}
