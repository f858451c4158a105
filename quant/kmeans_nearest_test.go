package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteNearest returns the index of the centroid nearest to x in exact
// float64 arithmetic and that squared distance.
func bruteNearest(x, centroids []float32) (int, float64) {
	dim := len(x)
	best, bestD := -1, math.Inf(1)
	for j := 0; j < len(centroids)/dim; j++ {
		var d float64
		for i, v := range x {
			e := float64(v) - float64(centroids[j*dim+i])
			d += e * e
		}
		if d < bestD {
			best, bestD = j, d
		}
	}
	return best, bestD
}

// float64L2 returns ||a-b||^2 in float64.
func float64L2(a, b []float32) float64 {
	var d float64
	for i := range a {
		e := float64(a[i]) - float64(b[i])
		d += e * e
	}
	return d
}

// checkNearest checks that assign[i] is a nearest centroid of row i up to
// float rounding of the score decomposition: its exact distance exceeds
// the minimum by at most a small multiple of 2^-24 (||x||^2 + ||c||^2).
func checkNearest(t *testing.T, name string, data []float32, dim int, centroids []float32, assign []int32) {
	t.Helper()
	for i := range assign {
		x := data[i*dim : (i+1)*dim]
		want, wantD := bruteNearest(x, centroids)
		got := int(assign[i])
		if got == want {
			continue
		}
		if got < 0 || got >= len(centroids)/dim {
			t.Fatalf("%s: row %d assigned %d, out of range", name, i, got)
		}
		c := centroids[got*dim : (got+1)*dim]
		gotD := float64L2(x, c)
		tol := 1e-5 * (float64(Norm2(x)) + float64(Norm2(c)) + float64(Norm2(centroids[want*dim:(want+1)*dim])))
		if gotD-wantD > tol {
			t.Errorf("%s: row %d assigned %d at %g, want %d at %g", name, i, got, gotD, want, wantD)
		}
	}
}

func TestNearestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 0))
	for _, k := range allNearest {
		for _, dim := range []int{1, 2, 3, 7, 8, 16, 31, 33, 128} {
			for _, nc := range []int{1, 2, 15, 16, 17, 33, 256} {
				for _, n := range []int{0, 1, 3, 4, 5, 9} {
					name := fmt.Sprintf("%s/dim=%d/k=%d/n=%d", k.name, dim, nc, n)
					data, cents := randVec(rng, n*dim, 1), randVec(rng, nc*dim, 1)
					var tab centroidTable
					tab.reset(cents, dim)
					assign := make([]int32, n+1)
					assign[n] = -7 // sentinel
					k.nearest(&tab, data, dim, assign[:n])
					if assign[n] != -7 {
						t.Fatalf("%s: wrote past assign", name)
					}
					checkNearest(t, name, data, dim, cents, assign[:n])
				}
			}
		}
	}
}

// TestNearestBlocked covers the AVX2 kernel's blocking: more rows than a
// group and more panels than a block, with a partial last group and panel.
func TestNearestBlocked(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 0))
	for _, tc := range []struct{ n, dim, k int }{{300, 128, 1000}, {131, 200, 77}, {70, 1024, 40}} {
		data, cents := randVec(rng, tc.n*tc.dim, 1), randVec(rng, tc.k*tc.dim, 1)
		var tab centroidTable
		tab.reset(cents, tc.dim)
		for _, k := range allNearest {
			assign := make([]int32, tc.n)
			k.nearest(&tab, data, tc.dim, assign)
			checkNearest(t, fmt.Sprintf("%s/n=%d/dim=%d/k=%d", k.name, tc.n, tc.dim, tc.k), data, tc.dim, cents, assign)
		}
	}
}

// TestNearestTies checks that equal distances go to the lowest index in
// every kernel, whatever lane and panel the duplicates fall in.
func TestNearestTies(t *testing.T) {
	const dim = 5
	rng := rand.New(rand.NewPCG(12, 0))
	for _, k := range allNearest {
		for _, nc := range []int{2, 9, 17, 40, 64, 256} {
			cents := randVec(rng, nc*dim, 1)
			// Centroid j0 and the later j1 are equal, and the row is exactly one
			// of them, so both score the same and beat every other centroid.
			for _, pair := range [][2]int{{0, nc - 1}, {nc / 2, nc - 1}, {0, 1}} {
				j0, j1 := pair[0], pair[1]
				if j0 == j1 {
					continue
				}
				copy(cents[j1*dim:(j1+1)*dim], cents[j0*dim:(j0+1)*dim])
				var tab centroidTable
				tab.reset(cents, dim)
				x := append([]float32(nil), cents[j0*dim:(j0+1)*dim]...)
				var assign [1]int32
				k.nearest(&tab, x, dim, assign[:])
				if assign[0] != int32(j0) {
					t.Errorf("%s: k=%d tie between %d and %d went to %d", k.name, nc, j0, j1, assign[0])
				}
			}
		}
	}
}

// TestNearestOneRow checks that a row scored alone (the AVX2 kernel's
// one-row path, taken by PQ.Encode) gets exactly the centroid it gets among
// other rows, ties and near-ties included.
func TestNearestOneRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 0))
	for _, tc := range []struct{ dim, k int }{{8, 256}, {1, 64}, {3, 128}, {40, 256}} {
		cents := randVec(rng, tc.k*tc.dim, 1)
		// Duplicated centroids make exact ties.
		for j := 0; j < tc.k/4; j++ {
			src := rng.IntN(tc.k)
			copy(cents[j*4*tc.dim:(j*4+1)*tc.dim], cents[src*tc.dim:(src+1)*tc.dim])
		}
		var tab centroidTable
		tab.reset(cents, tc.dim)
		const n = 37
		data := randVec(rng, n*tc.dim, 1)
		copy(data, cents[5*tc.dim:6*tc.dim]) // a row on a centroid
		for _, k := range allNearest {
			all := make([]int32, n)
			k.nearest(&tab, data, tc.dim, all)
			for i := range n {
				var one [1]int32
				k.nearest(&tab, data[i*tc.dim:(i+1)*tc.dim], tc.dim, one[:])
				if one[0] != all[i] {
					t.Errorf("%s: dim=%d k=%d: row %d alone -> %d, among others -> %d", k.name, tc.dim, tc.k, i, one[0], all[i])
				}
			}
		}
	}
}

func TestNearestStride(t *testing.T) {
	// Rows taken at a stride (PQ sub-vectors) match the same rows copied out.
	const dim, stride, n = 8, 24, 13
	rng := rand.New(rand.NewPCG(13, 0))
	data, cents := randVec(rng, n*stride, 1), randVec(rng, 40*dim, 1)
	var tab centroidTable
	tab.reset(cents, dim)
	for _, k := range allNearest {
		got := make([]int32, n)
		k.nearest(&tab, data[dim:], stride, got)
		packed := make([]float32, 0, n*dim)
		for i := range n {
			packed = append(packed, data[i*stride+dim:i*stride+2*dim]...)
		}
		want := make([]int32, n)
		k.nearest(&tab, packed, dim, want)
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: row %d: strided %d, packed %d", k.name, i, got[i], want[i])
			}
		}
	}
}

func TestNearest(t *testing.T) {
	const dim, n, k = 20, 1000, 37
	rng := rand.New(rand.NewPCG(14, 0))
	data, cents := randVec(rng, n*dim, 3), randVec(rng, k*dim, 3)
	var ref []int32
	for _, threads := range []int{1, 2, 3, 0} {
		assign, dists := make([]int32, n), make([]float32, n)
		Nearest(data, dim, cents, assign, dists, threads)
		checkNearest(t, "Nearest", data, dim, cents, assign)
		for i := range n {
			c := assign[i]
			if want := L2Squared(data[i*dim:(i+1)*dim], cents[int(c)*dim:(int(c)+1)*dim]); dists[i] != want {
				t.Fatalf("threads=%d: dists[%d] = %v, want %v", threads, i, dists[i], want)
			}
		}
		if ref == nil {
			ref = assign
			continue
		}
		for i := range assign {
			if assign[i] != ref[i] {
				t.Fatalf("threads=%d: row %d assigned %d, with 1 thread %d", threads, i, assign[i], ref[i])
			}
		}
	}
}

func TestNearestPanics(t *testing.T) {
	for _, tc := range []struct {
		name                string
		data, cents         []float32
		dim, nassign, ndist int
	}{
		{name: "dim0", data: nil, cents: []float32{1}, dim: 0},
		{name: "no centroids", data: []float32{1, 2}, cents: nil, dim: 2, nassign: 1},
		{name: "ragged centroids", data: []float32{1, 2}, cents: []float32{1, 2, 3}, dim: 2, nassign: 1},
		{name: "short assign", data: []float32{1, 2, 3, 4}, cents: []float32{1, 2}, dim: 2, nassign: 1},
		{name: "short dists", data: []float32{1, 2}, cents: []float32{1, 2}, dim: 2, nassign: 1, ndist: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Nearest did not panic")
				}
			}()
			var dists []float32
			if tc.ndist > 0 {
				dists = make([]float32, tc.ndist)
			}
			Nearest(tc.data, tc.dim, tc.cents, make([]int32, tc.nassign), dists, 1)
		})
	}
}

// TestCentroidSet checks that a CentroidSet assigns as Nearest does, one
// vector or many, without allocating for one.
func TestCentroidSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 0))
	for _, tc := range []struct{ dim, k int }{{8, 256}, {128, 1000}, {5, 3}} {
		const n = 70
		data, cents := randVec(rng, n*tc.dim, 1), randVec(rng, tc.k*tc.dim, 1)
		set, err := NewCentroidSet(cents, tc.dim)
		if err != nil {
			t.Fatal(err)
		}
		if set.Dim() != tc.dim || set.Len() != tc.k {
			t.Fatalf("Dim, Len = %d, %d, want %d, %d", set.Dim(), set.Len(), tc.dim, tc.k)
		}
		want, wantD := make([]int32, n), make([]float32, n)
		Nearest(data, tc.dim, cents, want, wantD, 0)
		got, gotD := make([]int32, n), make([]float32, n)
		set.Nearest(data, got, gotD, 2)
		for i := range n {
			j, d := set.NearestOne(data[i*tc.dim : (i+1)*tc.dim])
			if got[i] != want[i] || gotD[i] != wantD[i] || int32(j) != want[i] || d != wantD[i] {
				t.Errorf("dim=%d k=%d row %d: Nearest %d (%v), set %d (%v), NearestOne %d (%v)",
					tc.dim, tc.k, i, want[i], wantD[i], got[i], gotD[i], j, d)
			}
		}
		v := data[:tc.dim]
		if a := testing.AllocsPerRun(50, func() { set.NearestOne(v) }); a != 0 {
			t.Errorf("NearestOne allocates %v times per call", a)
		}
	}
	if _, err := NewCentroidSet(make([]float32, 5), 2); err == nil {
		t.Errorf("NewCentroidSet of 5 values in dimension 2 succeeded")
	}
}
