package wordeval

import (
	"cmp"
	"math"
	"slices"
)

// Spearman returns Spearman's rank correlation coefficient rho of x and y:
// the Pearson correlation of their ranks, where tied values all get the
// average of the ranks they span (so it is exact with ties, unlike the
// 1 - 6*sum(d^2)/(n(n^2-1)) shortcut).
//
// It returns NaN when the correlation is undefined: len(x) != len(y), fewer
// than two values, all values of x (or of y) equal, or a NaN among them. It
// does not modify x or y and is goroutine-safe.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	if slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return math.NaN()
	}
	return pearson(ranks(x), ranks(y))
}

// ranks returns the 1-based ranks of x in ascending order, ties getting the
// average of the ranks they span. x holds no NaN.
func ranks(x []float64) []float64 {
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	r := make([]float64, len(x))
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && x[order[j]] == x[order[i]] {
			j++
		}
		// Positions i..j-1 (0-based) hold equal values: ranks i+1..j.
		avg := float64(i+1+j) / 2
		for _, k := range order[i:j] {
			r[k] = avg
		}
		i = j
	}
	return r
}

// pearson returns the Pearson correlation of x and y (same length, at
// least two), or NaN when either is constant.
func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
