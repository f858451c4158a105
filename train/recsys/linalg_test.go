package recsys

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCholSolve(t *testing.T) {
	// A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -2, 3]: b = A x.
	a := []float64{4, 2, 0, 2, 5, 1, 0, 1, 3}
	x := []float64{1, -2, 3}
	b := []float64{4*1 + 2*-2, 2*1 + 5*-2 + 1*3, 1*-2 + 3*3}
	if !cholSolve(slices.Clone(a), b, 3) {
		t.Fatal("cholSolve reported not positive definite")
	}
	for k := range x {
		if d := b[k] - x[k]; d > 1e-12 || d < -1e-12 {
			t.Fatalf("cholSolve = %v, want %v", b, x)
		}
	}
	if cholSolve([]float64{1, 2, 2, 1}, []float64{1, 1}, 2) {
		t.Fatal("cholSolve accepted an indefinite matrix")
	}
	if cholSolve([]float64{nan()}, []float64{1}, 1) {
		t.Fatal("cholSolve accepted NaN")
	}
}

func TestGram(t *testing.T) {
	seed := uint64(42)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, n := range []int{0, 1, 7, gramChunk + 3, 3*gramChunk + 1} {
		const f = 5
		y := make([]float32, n*f)
		for k := range y {
			y[k] = float32(rng.NormFloat64())
		}
		g1 := gram(y, f, 1)
		for _, threads := range []int{2, 5} {
			if g := gram(y, f, threads); !slices.Equal(g, g1) {
				t.Fatalf("n=%d: gram with %d threads differs from 1 thread", n, threads)
			}
		}
		for a := range f {
			for b := range f {
				var want float64
				for r := range n {
					want += float64(y[r*f+a]) * float64(y[r*f+b])
				}
				if math.Abs(g1[a*f+b]-want) > 1e-9*(1+math.Abs(want)) {
					t.Fatalf("n=%d: gram[%d][%d] = %v, want %v", n, a, b, g1[a*f+b], want)
				}
			}
		}
	}
}

func TestDots(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 31, 33, 127} {
		a := make([]float64, n)
		b := make([]float64, n)
		a32 := make([]float32, n)
		b32 := make([]float32, n)
		var want, want32 float64
		for k := range n {
			a[k], b[k] = float64(k)+0.5, 2-float64(k)/3
			a32[k], b32[k] = float32(a[k]), float32(b[k])
			want += a[k] * b[k]
			want32 += float64(a32[k]) * float64(b32[k])
		}
		if got := dotF64(a, b); math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
			t.Errorf("dotF64 length %d = %v, want %v", n, got, want)
		}
		if got := dot64(a32, b32); math.Abs(got-want32) > 1e-12*(1+math.Abs(want32)) {
			t.Errorf("dot64 length %d = %v, want %v", n, got, want32)
		}
	}
}

func TestQuadForm(t *testing.T) {
	// G = [[2, 1], [1, 3]], x = [1, -1]: xᵀGx = 2 - 1 - 1 + 3 = 3.
	if got := quadForm([]float64{2, 1, 1, 3}, []float32{1, -1}, 2); got != 3 {
		t.Fatalf("quadForm = %v, want 3", got)
	}
}
