package recsys

import "math"

// cholSolve solves a x = b for a symmetric positive-definite n×n matrix a
// (row-major; only the lower triangle is read). It overwrites a's lower
// triangle with the Cholesky factor and b with x. It reports false, leaving
// b unspecified, when a is not numerically positive definite (or holds NaN).
func cholSolve(a, b []float64, n int) bool {
	a = a[:n*n]
	b = b[:n]
	for j := range n {
		rj := a[j*n : j*n+j+1]
		d := rj[j] - dotF64(rj[:j], rj[:j])
		if !(d > 0) || math.IsInf(d, 0) {
			return false
		}
		d = math.Sqrt(d)
		rj[j] = d
		inv := 1 / d
		for i := j + 1; i < n; i++ {
			ri := a[i*n : i*n+j+1]
			ri[j] = (ri[j] - dotF64(ri[:j], rj[:j])) * inv
		}
	}
	// Forward substitution L y = b.
	for i := range n {
		ri := a[i*n : i*n+i+1]
		b[i] = (b[i] - dotF64(ri[:i], b[:i])) / ri[i]
	}
	// Back substitution Lᵀ x = y.
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= a[k*n+i] * b[k]
		}
		b[i] = s / a[i*n+i]
	}
	return true
}

// dotF64 returns the dot product of a and b[:len(a)], with four
// accumulators so that the adds do not wait on each other.
func dotF64(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	k := 0
	for ; k+4 <= len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// gramChunk is the smallest number of rows one partial Gram matrix sums.
const gramChunk = 256

// gram returns the full f×f matrix YᵀY of the rows of y (row-major, f
// columns), in float64. Rows are summed in fixed chunks whose partial sums
// are added in chunk order, so the result does not depend on threads.
func gram(y []float32, f, threads int) []float64 {
	n := len(y) / f
	chunk := max(gramChunk, (n+63)/64)
	nChunks := (n + chunk - 1) / chunk
	parts := make([][]float64, nChunks)
	// The context is never cancelled here: gram is cheap next to the solves.
	_ = forRangeNoCtx(nChunks, threads, func(c int) {
		p := make([]float64, f*f)
		row := make([]float64, f)
		for r := c * chunk; r < min(n, (c+1)*chunk); r++ {
			for a, v := range y[r*f : (r+1)*f] {
				row[a] = float64(v)
			}
			for a, va := range row {
				pa := p[a*f : a*f+a+1]
				for b, vb := range row[:a+1] {
					pa[b] += va * vb
				}
			}
		}
		parts[c] = p
	})
	g := make([]float64, f*f)
	for _, p := range parts {
		for k, v := range p {
			g[k] += v
		}
	}
	for a := range f {
		for b := range a {
			g[b*f+a] = g[a*f+b]
		}
	}
	return g
}

// quadForm returns xᵀ G x for a full f×f matrix g.
func quadForm(g []float64, x []float32, f int) float64 {
	var s float64
	for a := range f {
		var t float64
		for b, v := range g[a*f : (a+1)*f] {
			t += v * float64(x[b])
		}
		s += float64(x[a]) * t
	}
	return s
}

// dot64 returns the dot product of a and b[:len(a)] accumulated in float64,
// for objective values that must not carry float32 rounding.
func dot64(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	k := 0
	for ; k+2 <= len(a); k += 2 {
		s0 += float64(a[k]) * float64(b[k])
		s1 += float64(a[k+1]) * float64(b[k+1])
	}
	if k < len(a) {
		s0 += float64(a[k]) * float64(b[k])
	}
	return s0 + s1
}
