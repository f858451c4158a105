package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refConvReLUBack is convReLUBack's contract as a plain loop in float64,
// starting from dw = db = 0: it returns dw, db and dcol with, for each, the
// sum of the magnitudes of its terms.
func refConvReLUBack(dout, out, col, wt []float32, np, k, f int) (dw, dws, db, dbs, dcol, dcols []float64) {
	dw, dws = make([]float64, f*k), make([]float64, f*k)
	db, dbs = make([]float64, f), make([]float64, f)
	dcol, dcols = make([]float64, np*k), make([]float64, np*k)
	for p := range np {
		for j := range f {
			g := float64(dout[p*f+j])
			if out[p*f+j] <= 0 {
				continue
			}
			db[j] += g
			dbs[j] += math.Abs(g)
			for i := range k {
				t := g * float64(col[p*k+i])
				dw[j*k+i] += t
				dws[j*k+i] += math.Abs(t)
				t = g * float64(wt[j*k+i])
				dcol[p*k+i] += t
				dcols[p*k+i] += math.Abs(t)
			}
		}
	}
	return dw, dws, db, dbs, dcol, dcols
}

// TestConvReLUBack compares convReLUBack (rowSum's assembly where it runs,
// else the portable strips) with refConvReLUBack at the layer sizes and odd
// ones, with gradients that are all non-zero, half zero and nearly all
// zero, and ReLU outputs about half zero. One scratch serves every size,
// as in training, and sentinels after dcol catch a write past np rows.
func TestConvReLUBack(t *testing.T) {
	const seed = 31
	t.Logf("seed %d, assembly %t", seed, useConvTile)
	runConvReLUBackRandom(t, seed)
}

func runConvReLUBackRandom(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	var cb convBack
	sparse := func(n int, zeros float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			if rng.Float64() >= zeros {
				v[i] = float32(rng.NormFloat64())
			}
		}
		return v
	}
	for _, k := range []int{9, 17, 288} {
		for _, f := range []int{8, 24, 32, 64} {
			for _, np := range []int{1, 3, 5, 13} {
				for _, zeros := range []float64{0, 0.5, 0.95} {
					name := fmt.Sprintf("k %d, f %d, np %d, zeros %.2f", k, f, np, zeros)
					dout, out := sparse(np*f, zeros), sparse(np*f, 0)
					for i, v := range out {
						out[i] = max(v, 0)
					}
					col, wt := sparse(np*k, 0.5), randomMap(rng, f*k)
					// Start from non-zero dw and db: the kernel adds to them.
					dw0, db0 := randomMap(rng, f*k), randomMap(rng, f)
					dw, db := append([]float32(nil), dw0...), append([]float32(nil), db0...)
					dcol := sentinelled(np * k)
					convReLUBack(&cb, dw, db, dcol[:np*k], dout, out, col, wt, np, k, f)
					wdw, sdw, wdb, sdb, wdcol, sdcol := refConvReLUBack(dout, out, col, wt, np, k, f)
					for i, g := range dw {
						if !closeTo(g, float64(dw0[i])+wdw[i], sdw[i]+math.Abs(float64(dw0[i]))) {
							t.Fatalf("%s: dw[%d][%d] = %v, want %v", name, i/k, i%k, g, float64(dw0[i])+wdw[i])
						}
					}
					for i, g := range db {
						if !closeTo(g, float64(db0[i])+wdb[i], sdb[i]+math.Abs(float64(db0[i]))) {
							t.Fatalf("%s: db[%d] = %v, want %v", name, i, g, float64(db0[i])+wdb[i])
						}
					}
					checkRows(t, name+": dcol", dcol, wdcol, sdcol, k)
				}
			}
		}
	}
}

// TestRowStrip compares rowStrip (the assembly where it runs) with
// rowStripPortable at each width, list lengths 0, 1, 7 and 33, with rows
// at scattered offsets.
func TestRowStrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 0))
	for _, w := range []int{8, 32, 96} {
		for _, n := range []int{0, 1, 7, 33} {
			const stride = 101
			m := randomMap(rng, 40*stride)
			off, g := make([]int32, n), make([]float32, n)
			for i := range off {
				off[i], g[i] = int32(rng.IntN(40)*stride+rng.IntN(stride-w)), float32(rng.NormFloat64())
			}
			dst := randomMap(rng, w+8)
			want := append([]float32(nil), dst...)
			rowStrip(w, dst, m, off, g)
			rowStripPortable(w, want, m, off, g)
			for s := range dst {
				if math.Abs(float64(dst[s]-want[s])) > 1e-4*(1+math.Abs(float64(want[s]))) {
					t.Fatalf("rowStrip(w %d, n %d)[%d] = %v, want %v", w, n, s, dst[s], want[s])
				}
			}
		}
	}
}

// BenchmarkConvReLUBack runs the backward pass of the default network's
// two convolutions on 28×28 inputs (conv1 without dcol, as in training)
// with a given fraction of zero gradients.
func BenchmarkConvReLUBack(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range []struct {
		np, k, f int
		dcol     bool
	}{{784, 9, 32, false}, {196, 288, 64, true}} {
		for _, zeros := range []float64{0.5, 0.9} {
			dout, out := make([]float32, sz.np*sz.f), make([]float32, sz.np*sz.f)
			for i := range dout {
				if rng.Float64() >= zeros {
					dout[i] = rng.Float32() - 0.5
				}
				out[i] = rng.Float32()
			}
			col, wt := randomMap(rng, sz.np*sz.k), randomMap(rng, sz.f*sz.k)
			dw, db := make([]float32, sz.f*sz.k), make([]float32, sz.f)
			var dcol []float32
			if sz.dcol {
				dcol = make([]float32, sz.np*sz.k)
			}
			var cb convBack
			b.Run(fmt.Sprintf("k=%d/f=%d/zeros=%.1f", sz.k, sz.f, zeros), func(b *testing.B) {
				for b.Loop() {
					convReLUBack(&cb, dw, db, dcol, dout, out, col, wt, sz.np, sz.k, sz.f)
				}
				b.ReportMetric(float64(sz.np*b.N)/b.Elapsed().Seconds(), "pixels/s")
			})
		}
	}
}
