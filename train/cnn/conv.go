package cnn

// This file holds the register-blocked forward convolution: convReLU's
// output is computed in tiles of convRows pixels by a strip of 8, 16 or 24
// filters, whose sums stay in registers (twelve YMM at most) for the whole
// k loop. Each step of that loop loads one strip of a weight row once for
// the tile's pixels and broadcasts one im2col value per pixel, where the
// axpy loop reloaded and stored the output row for every non-zero input.
// The tile skips a step only when its 4 inputs are all zero: one pixel's
// zeros (about half, after ReLU) cannot be skipped without giving up the
// weight loads shared by the 4 pixels, whereas whole zero steps are common
// on background.

// convRows is the number of pixels of a tile.
const convRows = 4

// convStrip returns the width of the next strip of filters when rem (a
// multiple of 8) remain: 24 where that leaves a multiple of 8 that is not 8
// alone, else 16, else 8, so that f = 64 runs 24+24+16 and f = 32 runs
// 16+16.
func convStrip(rem int) int {
	switch {
	case rem >= 24 && rem != 32:
		return 24
	case rem >= 16:
		return 16
	}
	return 8
}

// convReLUTiled is convReLU for f a multiple of 8. A last tile of fewer
// than convRows pixels repeats its last pixel, which writes the same
// values to the same place again.
func convReLUTiled(out, col, wk, b []float32, np, k, f int) {
	if f%8 != 0 || np <= 0 || k <= 0 || len(out) < np*f || len(col) < np*k || len(wk) < k*f || len(b) < f {
		panic("cnn: convReLUTiled: bad sizes")
	}
	out, col, wk, b = out[:np*f], col[:np*k], wk[:k*f], b[:f]
	var rows [convRows]int
	for p := 0; p < np; p += convRows {
		for r := range rows {
			rows[r] = min(p+r, np-1)
		}
		for j := 0; j < f; {
			w := convStrip(f - j)
			convTile(w, k, f, col, rows, wk[j:], b[j:], out[j:])
			j += w
		}
	}
}

// convTilePortable computes, for each pixel p of rows and each filter s
// below w (8, 16 or 24),
//
//	out[p*f+s] = max(0, b[s] + Σ_i col[p*k+i]·wk[i*f+s])
//
// summing in i order, as the assembly does (which fuses each multiply-add,
// so the two may differ in the last bits). The caller guarantees that
// every index is in range.
func convTilePortable(w, k, f int, col []float32, rows [convRows]int, wk, b, out []float32) {
	var acc [convRows][24]float32
	for r := range rows {
		copy(acc[r][:w], b[:w])
	}
	for i := range k {
		wr := wk[i*f : i*f+w]
		for r, p := range rows {
			a, x := col[p*k+i], acc[r][:w]
			for s, v := range wr {
				x[s] += a * v
			}
		}
	}
	for r, p := range rows {
		o := out[p*f : p*f+w]
		for s, v := range acc[r][:w] {
			if v < 0 {
				v = 0
			}
			o[s] = v
		}
	}
}
