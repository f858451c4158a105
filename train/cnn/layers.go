package cnn

import "github.com/vecdb/vecdb/quant"

// This file holds the layer kernels, forward and backward, for one image at
// a time. Activations are row-major and channels last: the value of
// channel c at (y, x) of an h×w×C map is at (y*w+x)*C+c. A 3×3 convolution
// with F filters over C channels keeps its weights filter-major, F rows of
// K = 9*C in (ky, kx, c) order, so that a filter row and an im2col row are
// both contiguous: the forward pass is a dot product of the two (conv.go
// runs it in register-blocked tiles) and the backward pass sums such rows
// weighted by the gradients (convback.go).

// simdMin is the length from which quant's assembly kernels beat a plain
// loop (their call and tail handling cost about a dozen multiply-adds).
const simdMin = 16

// dot returns Σ a[i]*b[i]; len(a) must equal len(b).
func dot(a, b []float32) float32 {
	if len(a) >= simdMin {
		return quant.DotProduct(a, b)
	}
	var s float32
	b = b[:len(a)]
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// axpy adds a*x to y; len(x) must equal len(y).
func axpy(a float32, x, y []float32) {
	if len(x) >= simdMin {
		quant.Axpy(a, x, y)
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// im2col writes into col, for every pixel of the h×w×c map in, the 3×3×c
// patch centred on it (zero outside the map, i.e. "same" padding): row
// y*w+x of col holds 9*c values in (ky, kx, c) order.
func im2col(col, in []float32, h, w, c int) {
	k := 9 * c
	for y := range h {
		for x := range w {
			row := col[(y*w+x)*k : (y*w+x+1)*k]
			for ky := range 3 {
				iy := y + ky - 1
				for kx := range 3 {
					ix := x + kx - 1
					dst := row[(ky*3+kx)*c : (ky*3+kx+1)*c]
					if iy < 0 || iy >= h || ix < 0 || ix >= w {
						clear(dst)
						continue
					}
					copy(dst, in[(iy*w+ix)*c:(iy*w+ix+1)*c])
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds every patch value of dcol back
// to the pixel it came from in din (which it first clears).
func col2im(din, dcol []float32, h, w, c int) {
	clear(din)
	k := 9 * c
	for y := range h {
		for x := range w {
			row := dcol[(y*w+x)*k : (y*w+x+1)*k]
			for ky := range 3 {
				iy := y + ky - 1
				if iy < 0 || iy >= h {
					continue
				}
				for kx := range 3 {
					ix := x + kx - 1
					if ix < 0 || ix >= w {
						continue
					}
					src := row[(ky*3+kx)*c : (ky*3+kx+1)*c]
					dst := din[(iy*w+ix)*c : (iy*w+ix+1)*c]
					for i, v := range src {
						dst[i] += v
					}
				}
			}
		}
	}
}

// convReLU computes out = ReLU(col·W + b) for np pixels: col is np×k, wk
// is W transposed to k×f (input-major, see [Net.transpose]), out is np×f.
// With AVX2 and f a multiple of 8 it runs the register-blocked tiles of
// conv.go, else convReLUAxpy.
func convReLU(out, col, wk, b []float32, np, k, f int) {
	if useConvTile && f%8 == 0 && np > 0 && k > 0 {
		convReLUTiled(out, col, wk, b, np, k, f)
		return
	}
	convReLUAxpy(out, col, wk, b, np, k, f)
}

// convReLUAxpy is convReLU by one axpy of a weight row per non-zero im2col
// value: the inputs are ReLU outputs (or background pixels) and about half
// are zero.
func convReLUAxpy(out, col, wk, b []float32, np, k, f int) {
	for p := range np {
		row := col[p*k : (p+1)*k]
		o := out[p*f : (p+1)*f]
		copy(o, b)
		for i, a := range row {
			if a != 0 {
				axpy(a, wk[i*f:(i+1)*f], o)
			}
		}
		for j, v := range o {
			if v < 0 {
				o[j] = 0
			}
		}
	}
}

// transpose writes the f×k matrix w into wk as k×f.
func transpose(wk, w []float32, f, k int) {
	for j := range f {
		for i, v := range w[j*k : (j+1)*k] {
			wk[i*f+j] = v
		}
	}
}

// maxPool2 takes the maximum of every 2×2 block of the h×w×c map in
// (dropping a last odd row or column) into out, (h/2)×(w/2)×c, and records
// in arg the index in in of each maximum (the first one on ties).
func maxPool2(out []float32, arg []int32, in []float32, h, w, c int) {
	oh, ow := h/2, w/2
	for y := range oh {
		for x := range ow {
			i00 := ((2*y)*w + 2*x) * c
			i01 := i00 + c
			i10 := i00 + w*c
			i11 := i10 + c
			o := (y*ow + x) * c
			for ch := range c {
				best, bi := in[i00+ch], i00+ch
				if v := in[i01+ch]; v > best {
					best, bi = v, i01+ch
				}
				if v := in[i10+ch]; v > best {
					best, bi = v, i10+ch
				}
				if v := in[i11+ch]; v > best {
					best, bi = v, i11+ch
				}
				out[o+ch] = best
				arg[o+ch] = int32(bi)
			}
		}
	}
}

// maxPool2Back routes every gradient of dout to the input its maximum came
// from; din (the size of the pooled input) is cleared first.
func maxPool2Back(din, dout []float32, arg []int32) {
	clear(din)
	for i, g := range dout {
		din[arg[i]] += g
	}
}

// dense computes out = W·in + b for W of len(out) rows of len(in).
func dense(out, in, w, b []float32) {
	n := len(in)
	for i := range out {
		out[i] = b[i] + dot(in, w[i*n:(i+1)*n])
	}
}

// denseBack adds the gradients of dense's weights and biases to dw and db
// and, when din is not nil, writes the gradient of its input into din.
func denseBack(dw, db, din, dout, in, w []float32) {
	n := len(in)
	if din != nil {
		clear(din)
	}
	for i, g := range dout {
		if g == 0 {
			continue
		}
		db[i] += g
		axpy(g, in, dw[i*n:(i+1)*n])
		if din != nil {
			axpy(g, w[i*n:(i+1)*n], din)
		}
	}
}
