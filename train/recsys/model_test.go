package recsys

import (
	"math"
	"testing"
)

func TestModelVectorsMatchScore(t *testing.T) {
	m := &Model{
		Dim:         2,
		UserFactors: []float32{1, 2, -1, 0.5},
		ItemFactors: []float32{3, 1, 0, -2, 1, 1},
	}
	for _, bias := range [][]float32{nil, {0.5, -1, 2}} {
		m.ItemBias = bias
		us, is, d := m.UserVectors(), m.ItemVectors(), m.VectorDim()
		if len(us) != 2*d || len(is) != 3*d {
			t.Fatalf("bias %v: %d user and %d item floats for dim %d", bias, len(us), len(is), d)
		}
		out := make([]float32, 3)
		for u := range 2 {
			m.Score(u, out)
			for i := range 3 {
				want := float32(dot64(us[u*d:(u+1)*d], is[i*d:(i+1)*d]))
				if math.Abs(float64(out[i]-want)) > 1e-6 {
					t.Fatalf("bias %v: Score(%d)[%d] = %v, exported dot = %v", bias, u, i, out[i], want)
				}
			}
		}
	}
	// Bad input gives -Inf, not a panic.
	out := make([]float32, 4)
	m.Score(5, out)
	m.Score(0, out)
	if !math.IsInf(float64(out[3]), -1) {
		t.Fatalf("Score beyond NumItems = %v, want -Inf", out[3])
	}
	m.Score(-1, out)
	if !math.IsInf(float64(out[0]), -1) {
		t.Fatalf("Score(-1) = %v, want -Inf", out)
	}
	if n := (&Model{}).NumUsers(); n != 0 {
		t.Fatalf("zero Model has %d users", n)
	}
}
