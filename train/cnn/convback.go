package cnn

// This file holds convReLU's backward pass. For pixel p and filter j with
// a gradient g that ReLU passed, it adds g to db[j], g·col[p,:] to dw[j,:]
// and g·wt[j,:] to dcol[p,:], each a row of k values. Rather than one axpy
// per (p, j), which loads and stores the k-long destination row every
// time, it first gathers the non-zero gradients per pixel and per filter
// and then sums each destination row over its list with rowSum, which keeps
// a strip of up to 96 sums in registers and stores it once. Most gradients
// are zero (ReLU and max pooling stop them), so the lists are short and a
// dense loop over all f filters would multiply mostly zeros.

// convBack is convReLUBack's scratch: the gathered gradients, per filter
// (np slots each) and for one pixel. Its zero value is ready to use.
type convBack struct {
	fOff, pOff []int32   // row offsets, in floats, of col (per filter) and wt (per pixel)
	fG, pG     []float32 // the gradients
	fN         []int     // the length of each filter's list
}

func (c *convBack) grow(np, f int) {
	if len(c.fOff) < np*f {
		c.fOff, c.fG = make([]int32, np*f), make([]float32, np*f)
	}
	if len(c.pOff) < f {
		c.pOff, c.pG = make([]int32, f), make([]float32, f)
	}
	if len(c.fN) < f {
		c.fN = make([]int, f)
	}
}

// convReLUBack is the backward pass of convReLU given the gradient dout of
// its output and the output itself (a zero output had a negative
// pre-activation and passes no gradient). It adds to the weight and bias
// gradients dw (f×k, filter-major like wt) and db and, when dcol is not
// nil, writes the gradient of col into it. Gradients that ReLU or max
// pooling stopped are zero, usually most of them, and cost nothing.
func convReLUBack(cb *convBack, dw, db, dcol, dout, out, col, wt []float32, np, k, f int) {
	if np < 0 || k <= 0 || f <= 0 || len(dw) < f*k || len(db) < f || len(dout) < np*f ||
		len(out) < np*f || len(col) < np*k || len(wt) < f*k || (dcol != nil && len(dcol) < np*k) {
		panic("cnn: convReLUBack: bad sizes") // rowSum's assembly relies on them
	}
	cb.grow(np, f)
	fN := cb.fN[:f]
	clear(fN)
	for p := range np {
		d := dout[p*f : (p+1)*f]
		o := out[p*f : (p+1)*f]
		n := 0
		for j, g := range d {
			if g == 0 || o[j] <= 0 {
				continue
			}
			db[j] += g
			i := j*np + fN[j]
			cb.fOff[i], cb.fG[i] = int32(p*k), g
			fN[j]++
			cb.pOff[n], cb.pG[n] = int32(j*k), g
			n++
		}
		if dcol != nil {
			dst := dcol[p*k : (p+1)*k]
			clear(dst)
			rowSum(dst, wt, cb.pOff[:n], cb.pG[:n])
		}
	}
	for j, n := range fN {
		rowSum(dw[j*k:(j+1)*k], col, cb.fOff[j*np:j*np+n], cb.fG[j*np:j*np+n])
	}
}

// rowSum adds Σ_t g[t]·m[off[t]+s] to dst[s] for every s below len(dst),
// in t order. The caller guarantees off[t]+len(dst) <= len(m).
func rowSum(dst, m []float32, off []int32, g []float32) {
	if len(off) == 0 {
		return
	}
	g = g[:len(off)]
	s := 0
	for s+8 <= len(dst) {
		w := rowStripWidth(len(dst) - s)
		rowStrip(w, dst[s:], m[s:], off, g)
		s += w
	}
	for ; s < len(dst); s++ {
		sum := dst[s]
		for t, o := range off {
			sum += g[t] * m[int(o)+s]
		}
		dst[s] = sum
	}
}

// rowStripWidth returns the width of rowStrip's next strip when rem >= 8
// values remain: 96, 32 or 8.
func rowStripWidth(rem int) int {
	switch {
	case rem >= 96:
		return 96
	case rem >= 32:
		return 32
	}
	return 8
}

// rowStripPortable is rowStrip in Go: for s below w (8, 32 or 96),
//
//	dst[s] += Σ_t g[t]·m[off[t]+s]
//
// summing in t order, as the assembly does (which fuses each multiply-add,
// so the two may differ in the last bits). The caller guarantees that
// every index is in range.
func rowStripPortable(w int, dst, m []float32, off []int32, g []float32) {
	var acc [96]float32
	a := acc[:w]
	copy(a, dst[:w])
	for t, o := range off {
		x, r := g[t], m[o:int(o)+w]
		for s, v := range r {
			a[s] += x * v
		}
	}
	copy(dst[:w], a)
}
