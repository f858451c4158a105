package wordeval

import (
	"math"
	"reflect"
	"testing"
)

func TestSpearman(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		x, y []float64
		want float64 // NaN for undefined
	}{
		// No ties: 1 - 6*sum(d^2)/(n(n^2-1)) with d = (1,1,1,1,0): 1 - 24/120.
		{"no ties", []float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}, 0.8},
		{"identical", []float64{3, 1, 2}, []float64{30, 10, 20}, 1},
		{"reversed", []float64{1, 2, 3}, []float64{0.3, 0.2, 0.1}, -1},
		// Ranks x (1, 2.5, 2.5, 4), y (1, 3, 2, 4); deviations from 2.5
		// (-1.5, 0, 0, 1.5) and (-1.5, .5, -.5, 1.5): 4.5 / sqrt(4.5 * 5).
		{"tie in x", []float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}, 3 / math.Sqrt(10)},
		// Ranks x (1, 3, 3, 3, 5), y (5, 4, 3, 2, 1); deviations from 3
		// (-2, 0, 0, 0, 2) and (2, 1, 0, -1, -2): -8 / sqrt(8 * 10).
		{"triple tie", []float64{10, 20, 20, 20, 30}, []float64{5, 4, 3, 2, 1}, -2 / math.Sqrt(5)},
		// Ranks x (1.5, 1.5, 3.5, 3.5), y (1, 2.5, 2.5, 4); deviations
		// (-1, -1, 1, 1) and (-1.5, 0, 0, 1.5): 3 / sqrt(4 * 4.5).
		{"ties in both", []float64{0, 0, 1, 1}, []float64{7, 8, 8, 9}, 3 / math.Sqrt(18)},
		{"tied pairs agree", []float64{1, 1, 2}, []float64{5, 5, 9}, 1},
		{"constant x", []float64{1, 1, 1}, []float64{1, 2, 3}, nan},
		{"one value", []float64{1}, []float64{1}, nan},
		{"empty", nil, nil, nan},
		{"length mismatch", []float64{1, 2, 3}, []float64{1, 2}, nan},
		{"NaN", []float64{1, nan, 3}, []float64{1, 2, 3}, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x0, y0 := append([]float64(nil), tc.x...), append([]float64(nil), tc.y...)
			got := Spearman(tc.x, tc.y)
			if math.IsNaN(tc.want) {
				if !math.IsNaN(got) {
					t.Errorf("Spearman(%v, %v) = %v, want NaN", tc.x, tc.y, got)
				}
			} else if math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("Spearman(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
			}
			if !sameBits(x0, tc.x) || !sameBits(y0, tc.y) {
				t.Errorf("Spearman modified its input: %v %v, was %v %v", tc.x, tc.y, x0, y0)
			}
		})
	}
}

func TestRanks(t *testing.T) {
	got := ranks([]float64{0.5, -1, 0.5, 7, 0.5, -1})
	want := []float64{4, 1.5, 4, 6, 4, 1.5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ranks = %v, want %v", got, want)
	}
}

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}
