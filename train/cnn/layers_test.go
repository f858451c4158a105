package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// This file checks the forward kernels of layers.go, and their composition
// in Net.forward, against naive nested loops written from the documented
// layouts (row-major, channels last; convolution weights filter-major in
// (ky, kx, c) order), at odd sizes so that a dropped last row or column,
// an off-by-one in the padding or a swapped h/w shows. The filter counts
// and dense lengths straddle simdMin so that both the plain-Go and the
// quant kernel paths run.

// randomMap returns n values from a normal distribution with about a
// quarter of them exactly zero (the sparse path of convReLU skips zeros).
func randomMap(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(4) == 0 {
			continue
		}
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// closeTo reports whether got is within float32 rounding of want, where
// scale is the sum of the magnitudes of the terms that made want.
func closeTo(got float32, want, scale float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*scale+1e-6
}

// sentinel fills the slack a kernel must not write past (sentinelled).
const sentinel = 12345

// sentinelled returns a buffer of n values and 8 more, all sentinel: a
// kernel writes its n outputs into buf[:n].
func sentinelled(n int) []float32 {
	buf := make([]float32, n+8)
	for i := range buf {
		buf[i] = sentinel
	}
	return buf
}

// checkRows fails t unless the first len(want) values of buf (rows of
// width row) are closeTo want and every value after them is still
// sentinel.
func checkRows(t *testing.T, name string, buf []float32, want, scale []float64, row int) {
	t.Helper()
	for i, g := range buf[:len(want)] {
		if !closeTo(g, want[i], scale[i]) {
			t.Fatalf("%s: [%d][%d] = %v, want %v", name, i/row, i%row, g, want[i])
		}
	}
	for _, v := range buf[len(want):] {
		if v != sentinel {
			t.Fatalf("%s wrote past its output", name)
		}
	}
}

// refConv is a 3x3 "same" convolution with ReLU of the h×w×c map in by f
// filters w (f rows of 9*c in (ky, kx, c) order) and biases b; it returns
// the h×w×f output and, per output, the sum of the magnitudes of its terms.
func refConv(in, w, b []float32, h, wd, c, f int) (out, scale []float64) {
	out, scale = make([]float64, h*wd*f), make([]float64, h*wd*f)
	for y := 0; y < h; y++ {
		for x := 0; x < wd; x++ {
			for j := 0; j < f; j++ {
				s, a := float64(b[j]), math.Abs(float64(b[j]))
				for ky := 0; ky < 3; ky++ {
					for kx := 0; kx < 3; kx++ {
						iy, ix := y+ky-1, x+kx-1
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							continue
						}
						for ch := 0; ch < c; ch++ {
							t := float64(w[j*9*c+(ky*3+kx)*c+ch]) * float64(in[(iy*wd+ix)*c+ch])
							s += t
							a += math.Abs(t)
						}
					}
				}
				out[(y*wd+x)*f+j], scale[(y*wd+x)*f+j] = math.Max(s, 0), a
			}
		}
	}
	return out, scale
}

// refPool is 2×2 max pooling of the h×w×c map in, dropping a last odd row
// or column; arg is the index in in of the first maximum of each block, in
// (dy, dx) scan order.
func refPool(in []float32, h, w, c int) (out []float32, arg []int32) {
	oh, ow := h/2, w/2
	out, arg = make([]float32, oh*ow*c), make([]int32, oh*ow*c)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			for ch := 0; ch < c; ch++ {
				bi := -1
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						i := ((2*y+dy)*w+2*x+dx)*c + ch
						if bi < 0 || in[i] > in[bi] {
							bi = i
						}
					}
				}
				out[(y*ow+x)*c+ch], arg[(y*ow+x)*c+ch] = in[bi], int32(bi)
			}
		}
	}
	return out, arg
}

// refDense is W·in + b for W of len(b) rows of len(in), with the sum of the
// magnitudes of each output's terms.
func refDense(in, w, b []float32) (out, scale []float64) {
	n := len(in)
	out, scale = make([]float64, len(b)), make([]float64, len(b))
	for i := range b {
		s, a := float64(b[i]), math.Abs(float64(b[i]))
		for k := 0; k < n; k++ {
			t := float64(w[i*n+k]) * float64(in[k])
			s += t
			a += math.Abs(t)
		}
		out[i], scale[i] = s, a
	}
	return out, scale
}

// TestConvReLUReference runs im2col, transpose and convReLU, as
// Net.forward chains them, against refConv.
func TestConvReLUReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sz := range []struct{ h, w, c, f int }{
		{5, 7, 3, 5}, {7, 5, 1, 1}, {5, 7, 3, 17}, {3, 3, 2, 33}, {1, 9, 5, 3}, {6, 4, 7, 16},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d/f=%d", sz.h, sz.w, sz.c, sz.f), func(t *testing.T) {
			h, w, c, f := sz.h, sz.w, sz.c, sz.f
			k := 9 * c
			in := randomMap(rng, h*w*c)
			wt := randomMap(rng, f*k)
			b := randomMap(rng, f)
			col := make([]float32, h*w*k)
			for i := range col {
				col[i] = float32(math.NaN()) // im2col must write every value
			}
			im2col(col, in, h, w, c)
			wk := make([]float32, k*f)
			transpose(wk, wt, f, k)
			out := make([]float32, h*w*f)
			convReLU(out, col, wk, b, h*w, k, f)
			want, scale := refConv(in, wt, b, h, w, c, f)
			positive := 0
			for i, g := range out {
				if !closeTo(g, want[i], scale[i]) {
					y, x, j := i/f/w, i/f%w, i%f
					t.Errorf("convReLU (y %d, x %d, filter %d) = %v, want %v", y, x, j, g, want[i])
				}
				if want[i] > 0 {
					positive++
				}
			}
			// ReLU must have clipped some outputs and passed others, or the
			// comparison says little about it.
			if len(out) > 4 && (positive == 0 || positive == len(out)) {
				t.Errorf("%d of %d reference outputs positive: the fixture does not exercise ReLU", positive, len(out))
			}
		})
	}
}

// TestMaxPool2Reference checks maxPool2's values and argmax indices
// against refPool, including ties (resolved to the first in scan order)
// and odd sides (the last row or column dropped).
func TestMaxPool2Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sz := range []struct{ h, w, c int }{{5, 7, 3}, {7, 5, 1}, {4, 6, 17}, {3, 9, 5}, {2, 2, 1}} {
		for _, ties := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%dx%d/ties=%t", sz.h, sz.w, sz.c, ties), func(t *testing.T) {
				h, w, c := sz.h, sz.w, sz.c
				in := randomMap(rng, h*w*c)
				if ties {
					for i := range in { // few distinct values: many equal maxima
						in[i] = float32(rng.IntN(3))
					}
				}
				oh, ow := h/2, w/2
				out, arg := make([]float32, oh*ow*c), make([]int32, oh*ow*c)
				maxPool2(out, arg, in, h, w, c)
				want, wantArg := refPool(in, h, w, c)
				for i := range out {
					if out[i] != want[i] || arg[i] != wantArg[i] {
						t.Errorf("maxPool2 output %d = %v at %d, want %v at %d", i, out[i], arg[i], want[i], wantArg[i])
					}
				}
			})
		}
	}
}

// TestDenseReference checks dense against refDense on lengths below, at
// and above simdMin.
func TestDenseReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, sz := range []struct{ in, out int }{{1, 1}, {7, 5}, {15, 3}, {16, 1}, {33, 7}, {127, 9}} {
		t.Run(fmt.Sprintf("%d->%d", sz.in, sz.out), func(t *testing.T) {
			in := randomMap(rng, sz.in)
			w := randomMap(rng, sz.out*sz.in)
			b := randomMap(rng, sz.out)
			out := make([]float32, sz.out)
			dense(out, in, w, b)
			want, scale := refDense(in, w, b)
			for i, g := range out {
				if !closeTo(g, want[i], scale[i]) {
					t.Errorf("dense output %d = %v, want %v", i, g, want[i])
				}
			}
		})
	}
}

// TestForwardReference composes the references from a net's Params (in
// their documented order) and compares the unnormalised and unit
// embeddings with Net.forward's, on a 5×7×3 image through odd filter
// counts.
func TestForwardReference(t *testing.T) {
	for _, cfg := range []Config{
		{Version: ConfigVersion, Shape: Shape{H: 5, W: 7, C: 3}, Conv1: 5, Conv2: 7, Dim: 3, Classes: 3, Scale: headScale},
		{Version: ConfigVersion, Shape: Shape{H: 11, W: 9, C: 1}, Conv1: 3, Conv2: 17, Dim: 5, Classes: 2, Scale: headScale},
	} {
		s := cfg.Shape
		t.Run(fmt.Sprintf("%dx%dx%d/%d-%d-%d", s.H, s.W, s.C, cfg.Conv1, cfg.Conv2, cfg.Dim), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(17, 18))
			l := cfg.layout()
			params := make([]float32, l.total)
			for i := range params {
				params[i] = float32(0.5 * rng.NormFloat64())
			}
			net, err := New(cfg, params)
			if err != nil {
				t.Fatal(err)
			}
			img := make([]float32, s.Size())
			for i := range img {
				img[i] = rng.Float32()
			}
			sc := newScratch(&net.l, false)
			net.forward(sc, img)

			// The reference, stage by stage, from Params' documented order.
			p := net.Params()
			f1, f2 := cfg.Conv1, cfg.Conv2
			next := func(n int) []float32 { v := p[:n]; p = p[n:]; return v }
			w1, b1 := next(f1*9*s.C), next(f1)
			w2, b2 := next(f2*9*f1), next(f2)
			we, be := next(cfg.Dim*(s.H/2/2)*(s.W/2/2)*f2), next(cfg.Dim)
			to32 := func(x []float64) []float32 {
				y := make([]float32, len(x))
				for i, v := range x {
					y[i] = float32(v)
				}
				return y
			}
			a1, _ := refConv(img, w1, b1, s.H, s.W, s.C, f1)
			p1, _ := refPool(to32(a1), s.H, s.W, f1)
			a2, _ := refConv(p1, w2, b2, s.H/2, s.W/2, f1, f2)
			p2, _ := refPool(to32(a2), s.H/2, s.W/2, f2)
			emb, _ := refDense(p2, we, be)
			var norm float64
			for _, v := range emb {
				norm += v * v
			}
			norm = math.Sqrt(norm)
			if norm == 0 {
				t.Fatal("the reference embedding is zero: pick another seed")
			}
			// Errors compound over three layers: compare relative to the
			// embedding's norm.
			for i, v := range emb {
				if math.Abs(float64(sc.emb[i])-v) > 1e-4*norm {
					t.Errorf("embedding %d = %v, want %v", i, sc.emb[i], v)
				}
				if math.Abs(float64(sc.unit[i])-v/norm) > 1e-4 {
					t.Errorf("unit embedding %d = %v, want %v", i, sc.unit[i], v/norm)
				}
			}
			dst := make([]float32, cfg.Dim)
			net.Embed(dst, img)
			for i := range dst {
				if dst[i] != sc.unit[i] {
					t.Errorf("Embed %d = %v, forward's unit %v", i, dst[i], sc.unit[i])
				}
			}
		})
	}
}
