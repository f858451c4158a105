package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refConvReLU is convReLU's contract as a plain loop in float64: for each
// pixel, ReLU(b + Σ_i col[p,i]·wk[i,:]), with the sum of the magnitudes of
// the terms of each output.
func refConvReLU(col, wk, b []float32, np, k, f int) (out, scale []float64) {
	out, scale = make([]float64, np*f), make([]float64, np*f)
	for p := range np {
		for j := range f {
			s, a := float64(b[j]), math.Abs(float64(b[j]))
			for i := range k {
				t := float64(col[p*k+i]) * float64(wk[i*f+j])
				s += t
				a += math.Abs(t)
			}
			out[p*f+j], scale[p*f+j] = math.Max(s, 0), a
		}
	}
	return out, scale
}

// TestConvReLUTiled compares the tiled kernel (the assembly where it runs,
// else the portable tile) and convReLU with refConvReLU at the layer sizes
// and odd ones, pixel counts that are not multiples of the tile, and inputs
// with many zeros and none. Sentinels after out catch a write past np rows.
func TestConvReLUTiled(t *testing.T) {
	const seed = 21
	t.Logf("seed %d, assembly %t", seed, useConvTile)
	runConvReLUTiledRandom(t, seed)
}

func runConvReLUTiledRandom(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, k := range []int{1, 9, 17, 288, 576} {
		for _, f := range []int{8, 16, 24, 32, 40, 64, 72} {
			for _, np := range []int{1, 3, 4, 5, 13} {
				for _, zeros := range []float64{0, 0.5, 0.95} {
					col := make([]float32, np*k)
					for i := range col {
						if rng.Float64() >= zeros {
							col[i] = float32(rng.NormFloat64())
						}
					}
					wk, b := randomMap(rng, k*f), randomMap(rng, f)
					want, scale := refConvReLU(col, wk, b, np, k, f)
					for _, impl := range []struct {
						name string
						conv func(out, col, wk, b []float32, np, k, f int)
					}{{"tiled", convReLUTiled}, {"convReLU", convReLU}} {
						buf := sentinelled(np * f)
						impl.conv(buf[:np*f], col, wk, b, np, k, f)
						checkRows(t, fmt.Sprintf("%s(k %d, f %d, np %d, zeros %.2f)", impl.name, k, f, np, zeros), buf, want, scale, f)
					}
				}
			}
		}
	}
}

// BenchmarkConvReLU runs the two convolutions of the default network on
// 28×28 inputs with about half the im2col values zero, tiled and by axpy.
func BenchmarkConvReLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range []struct{ np, k, f int }{{784, 9, 32}, {196, 288, 64}} {
		col := make([]float32, sz.np*sz.k)
		for i := range col {
			if rng.IntN(2) == 0 {
				col[i] = rng.Float32()
			}
		}
		wk, bias := randomMap(rng, sz.k*sz.f), randomMap(rng, sz.f)
		out := make([]float32, sz.np*sz.f)
		for _, impl := range []struct {
			name string
			conv func(out, col, wk, b []float32, np, k, f int)
		}{{"tiled", convReLUTiled}, {"axpy", convReLUAxpy}} {
			b.Run(fmt.Sprintf("k=%d/f=%d/%s", sz.k, sz.f, impl.name), func(b *testing.B) {
				for b.Loop() {
					impl.conv(out, col, wk, bias, sz.np, sz.k, sz.f)
				}
				b.ReportMetric(float64(sz.np*b.N)/b.Elapsed().Seconds(), "pixels/s")
			})
		}
	}
}
