package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// axpyClose reports whether got is within a few float32 roundings of want,
// relative to the magnitude of the terms that made it.
func axpyClose(got, want, mag float32) bool {
	return math.Abs(float64(got)-float64(want)) <= 1e-6*float64(mag)+1e-37
}

// TestAxpyKernels compares every implementation with the reference loops at
// odd lengths and every offset within a 32-byte line, and checks with
// sentinels that nothing is written outside the slices.
func TestAxpyKernels(t *testing.T) {
	const seed = 5
	t.Logf("seed %d", seed)
	for _, k := range allAxpy {
		t.Run(k.name, func(t *testing.T) { runAxpyRandom(t, k, seed) })
	}
}

func runAxpyRandom(t *testing.T, k axpyKernel, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	const sentinel = 12345
	for _, n := range kernelLengths {
		for off := range 8 {
			a := (rng.Float32()*2 - 1) * 3
			x := randVec(rng, n, 1)
			buf := make([]float32, n+off+1)
			buf[off+n] = sentinel
			if off > 0 {
				buf[off-1] = sentinel
			}
			y := buf[off : off+n]
			copy(y, randVec(rng, n, 1))
			want := append([]float32(nil), y...)
			AxpyRef(a, x, want)
			k.axpy(a, x, y)
			for i := range y {
				if mag := abs32(want[i]) + abs32(a*x[i]); !axpyClose(y[i], want[i], mag) {
					t.Fatalf("axpy(len %d, off %d)[%d] = %v, want %v", n, off, i, y[i], want[i])
				}
			}
			if buf[off+n] != sentinel || off > 0 && buf[off-1] != sentinel {
				t.Fatalf("axpy(len %d, off %d) wrote outside y", n, off)
			}

			zbuf := make([]float32, n+1)
			zbuf[n] = sentinel
			z := zbuf[:n]
			copy(z, randVec(rng, n, 1))
			wantY, wantZ := append([]float32(nil), y...), append([]float32(nil), z...)
			for i := range wantY {
				wantZ[i] += a * wantY[i]
				wantY[i] += a * x[i]
			}
			yOld := append([]float32(nil), y...)
			k.cross(a, x, y, z)
			for i := range y {
				if mag := abs32(yOld[i]) + abs32(a*x[i]); !axpyClose(y[i], wantY[i], mag) {
					t.Fatalf("cross(len %d, off %d) y[%d] = %v, want %v", n, off, i, y[i], wantY[i])
				}
				if mag := abs32(wantZ[i]-a*yOld[i]) + abs32(a*yOld[i]); !axpyClose(z[i], wantZ[i], mag) {
					t.Fatalf("cross(len %d, off %d) z[%d] = %v, want %v", n, off, i, z[i], wantZ[i])
				}
			}
			if buf[off+n] != sentinel || off > 0 && buf[off-1] != sentinel || zbuf[n] != sentinel {
				t.Fatalf("cross(len %d, off %d) wrote outside y or z", n, off)
			}
		}
	}
}

func TestAxpyPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"Axpy", func() { Axpy(1, make([]float32, 3), make([]float32, 4)) }},
		{"AxpyRef", func() { AxpyRef(1, make([]float32, 3), make([]float32, 4)) }},
		{"AxpyCross/y", func() { AxpyCross(1, make([]float32, 3), make([]float32, 4), make([]float32, 3)) }},
		{"AxpyCross/z", func() { AxpyCross(1, make([]float32, 3), make([]float32, 3), make([]float32, 4)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with mismatched lengths did not panic", tc.name)
				}
			}()
			tc.f()
		})
	}
}

func TestAxpySameSlice(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	Axpy(1, x, x)
	for i, v := range x {
		if v != float32(2*(i+1)) {
			t.Fatalf("Axpy(1, x, x) = %v", x)
		}
	}
}

func BenchmarkAxpy(b *testing.B) {
	for _, k := range allAxpy {
		for _, n := range []int{100, 300} {
			rng := rand.New(rand.NewPCG(1, 0))
			x, y, z := randVec(rng, n, 1), randVec(rng, n, 1), randVec(rng, n, 1)
			b.Run(fmt.Sprintf("%s/axpy/n=%d", k.name, n), func(b *testing.B) {
				for b.Loop() {
					k.axpy(1e-3, x, y)
				}
			})
			b.Run(fmt.Sprintf("%s/cross/n=%d", k.name, n), func(b *testing.B) {
				for b.Loop() {
					k.cross(1e-3, x, y, z)
				}
			})
		}
	}
}
