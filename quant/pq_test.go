package quant

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// pqTestData is 128-d clustered data shared by the PQ tests: 5000 points
// around 1024 centres (uniform in [-1, 1)) with noise of deviation 0.05.
// With more centres than a sub-quantiser has centroids, every added
// sub-quantiser visibly lowers the error.
var pqTestData = sync.OnceValue(func() []float32 {
	data, _ := clusteredData(21, 5000, 128, 1024, 0.05)
	return data
})

// trainedPQ trains (once per M) a PQ on pqTestData.
var trainedPQ = func() func(t testing.TB, m int) *PQ {
	var mu sync.Mutex
	cache := map[int]*PQ{}
	return func(t testing.TB, m int) *PQ {
		mu.Lock()
		defer mu.Unlock()
		if pq, ok := cache[m]; ok {
			return pq
		}
		pq, err := TrainPQ(context.Background(), pqTestData(), 128, m, PQOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		cache[m] = pq
		return pq
	}
}()

// reconstructionMSE returns the mean over the vectors of data of the
// squared distance to their reconstruction.
func reconstructionMSE(pq *PQ, data []float32) float64 {
	codes := pq.EncodeBatch(nil, data, 0)
	n := len(data) / pq.Dim
	var sum float64
	rec := make([]float32, 0, pq.Dim)
	for i := range n {
		rec = pq.Decode(rec[:0], codes[i*pq.M:(i+1)*pq.M])
		sum += float64L2(data[i*pq.Dim:(i+1)*pq.Dim], rec)
	}
	return sum / float64(n)
}

// TestPQReconstruction checks that the reconstruction error falls as M
// grows, on the training data and on held-out points from the same
// distribution. The bounds are about 8% above the values measured when the
// test was written (22.2, 18.2, 12.4 and 5.8 on the training set, 26.4,
// 21.8, 14.7 and 6.9 held out; the data's mean squared norm is about 43).
func TestPQReconstruction(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four quantisers (about 2 s)")
	}
	heldOut, _ := clusteredData(21, 7000, 128, 1024, 0.05) // same centres, more points
	heldOut = heldOut[5000*128:]
	for _, tc := range []struct {
		m       int
		maxMSE  float64
		maxHeld float64
	}{
		{m: 2, maxMSE: 24.0, maxHeld: 28.5},
		{m: 4, maxMSE: 19.7, maxHeld: 23.5},
		{m: 8, maxMSE: 13.4, maxHeld: 15.9},
		{m: 16, maxMSE: 6.3, maxHeld: 7.5},
	} {
		pq := trainedPQ(t, tc.m)
		mse, held := reconstructionMSE(pq, pqTestData()), reconstructionMSE(pq, heldOut)
		t.Logf("M=%d: MSE %.4f, held out %.4f", tc.m, mse, held)
		if mse > tc.maxMSE || held > tc.maxHeld {
			t.Errorf("M=%d: MSE %.4f (held out %.4f), want at most %.2f (%.2f)", tc.m, mse, held, tc.maxMSE, tc.maxHeld)
		}
		if tc.m > 2 {
			prev := trainedPQ(t, tc.m/2)
			if p := reconstructionMSE(prev, pqTestData()); !(mse < p) {
				t.Errorf("M=%d: MSE %.4f, not below M=%d's %.4f", tc.m, mse, tc.m/2, p)
			}
		}
	}
}

// smallPQ returns a PQ with random codebooks, for tests that do not need
// training.
func smallPQ(t testing.TB, seed uint64, dim, m int) *PQ {
	rng := rand.New(rand.NewPCG(seed, 5))
	pq, err := NewPQ(dim, m, randVec(rng, PQCentroids*dim, 1))
	if err != nil {
		t.Fatal(err)
	}
	return pq
}

// TestPQEncodeNearest checks that every code byte names a nearest
// sub-centroid (up to float rounding) and that Decode returns those
// sub-centroids.
func TestPQEncodeNearest(t *testing.T) {
	for _, tc := range []struct{ dim, m int }{{8, 8}, {12, 3}, {64, 8}, {33, 11}, {128, 16}, {5, 1}} {
		t.Run(fmt.Sprintf("dim=%d/M=%d", tc.dim, tc.m), func(t *testing.T) {
			pq := smallPQ(t, uint64(tc.dim), tc.dim, tc.m)
			rng := rand.New(rand.NewPCG(uint64(tc.m), 6))
			dsub := pq.SubDim()
			for range 50 {
				v := randVec(rng, tc.dim, 1.2)
				code := pq.Encode(nil, v)
				if len(code) != pq.CodeSize() {
					t.Fatalf("len(code) = %d, want %d", len(code), pq.CodeSize())
				}
				rec := pq.Decode(nil, code)
				for m := range tc.m {
					cb := pq.codebook(m)
					sub := v[m*dsub : (m+1)*dsub]
					checkNearest(t, fmt.Sprintf("sub-quantiser %d", m), sub, dsub, cb, []int32{int32(code[m])})
					if want := cb[int(code[m])*dsub : (int(code[m])+1)*dsub]; !slices.Equal(rec[m*dsub:(m+1)*dsub], want) {
						t.Fatalf("Decode sub-vector %d = %v, want centroid %d = %v", m, rec[m*dsub:(m+1)*dsub], code[m], want)
					}
				}
			}
		})
	}
}

// TestPQEncodeBatch checks that EncodeBatch equals Encode vector by vector,
// for any number of threads, and appends after what dst holds.
func TestPQEncodeBatch(t *testing.T) {
	for _, tc := range []struct{ dim, m, n int }{{16, 4, 1}, {16, 4, 7}, {40, 8, 600}, {128, 16, 1000}, {9, 3, 0}} {
		t.Run(fmt.Sprintf("dim=%d/M=%d/n=%d", tc.dim, tc.m, tc.n), func(t *testing.T) {
			pq := smallPQ(t, 7, tc.dim, tc.m)
			rng := rand.New(rand.NewPCG(8, 8))
			data := randVec(rng, tc.n*tc.dim, 1)
			want := []byte("prefix")
			for i := range tc.n {
				want = pq.Encode(want, data[i*tc.dim:(i+1)*tc.dim])
			}
			for _, threads := range []int{1, 2, 0} {
				got := pq.EncodeBatch([]byte("prefix"), data, threads)
				if !slices.Equal(got, want) {
					t.Errorf("threads=%d: EncodeBatch differs from Encode row by row", threads)
				}
			}
			// A PQ written as a literal rebuilds its layout and agrees.
			lit := &PQ{Dim: pq.Dim, M: pq.M, Codebooks: pq.Codebooks}
			if got := lit.EncodeBatch([]byte("prefix"), data, 1); !slices.Equal(got, want) {
				t.Errorf("literal PQ: EncodeBatch differs")
			}
		})
	}
}

func TestPQEncodeAllocs(t *testing.T) {
	pq := smallPQ(t, 9, 64, 8)
	v := randVec(rand.New(rand.NewPCG(9, 9)), 64, 1)
	dst := make([]byte, 0, 8)
	if a := testing.AllocsPerRun(100, func() { dst = pq.Encode(dst[:0], v) }); a != 0 {
		t.Errorf("Encode allocates %v times per call", a)
	}
	table := make([]float32, 8*PQCentroids)
	if a := testing.AllocsPerRun(100, func() { pq.L2Table(v, table) }); a != 0 {
		t.Errorf("L2Table allocates %v times per call", a)
	}
}

// TestTrainPQDeterministic checks that the codebooks depend on the Seed and
// not on Threads (sub-quantisers train in parallel or one after another).
func TestTrainPQDeterministic(t *testing.T) {
	data, _ := clusteredData(22, 800, 16, 20, 0.2)
	run := func(m, threads int) []float32 {
		pq, err := TrainPQ(context.Background(), data, 16, m, PQOptions{Iters: 6, Seed: 3, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, "codebooks", pq.Codebooks)
		return pq.Codebooks
	}
	for _, m := range []int{1, 4} {
		one := run(m, 1)
		for _, threads := range []int{2, 3, 8} {
			if !slices.Equal(one, run(m, threads)) {
				t.Errorf("M=%d: Threads 1 and %d give different codebooks", m, threads)
			}
		}
	}
}

func TestTrainPQErrors(t *testing.T) {
	ok := make([]float32, 300*8)
	nan := append([]float32(nil), ok...)
	nan[100] = float32(math.NaN())
	for _, tc := range []struct {
		name   string
		data   []float32
		dim, m int
	}{
		{name: "n<256", data: ok[:255*8], dim: 8, m: 2},
		{name: "M does not divide dim", data: ok, dim: 8, m: 3},
		{name: "M=0", data: ok, dim: 8, m: 0},
		{name: "dim=0", data: ok, dim: 0, m: 1},
		{name: "ragged", data: ok[:len(ok)-1], dim: 8, m: 2},
		{name: "NaN", data: nan, dim: 8, m: 4},
		{name: "huge dim", data: ok, dim: 1 << 20, m: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := TrainPQ(context.Background(), tc.data, tc.dim, tc.m, PQOptions{}); err == nil {
				t.Errorf("TrainPQ(%s) succeeded, want an error", tc.name)
			} else {
				t.Logf("%v", err)
			}
		})
	}
}

func TestNewPQErrors(t *testing.T) {
	cb := make([]float32, PQCentroids*8)
	bad := append([]float32(nil), cb...)
	bad[5] = float32(math.Inf(1))
	for _, tc := range []struct {
		name   string
		dim, m int
		cb     []float32
	}{
		{name: "short", dim: 8, m: 2, cb: cb[:100]},
		{name: "long", dim: 4, m: 2, cb: cb},
		{name: "M", dim: 8, m: 5, cb: cb},
		{name: "Inf", dim: 8, m: 2, cb: bad},
	} {
		if _, err := NewPQ(tc.dim, tc.m, tc.cb); err == nil {
			t.Errorf("NewPQ(%s) succeeded, want an error", tc.name)
		}
	}
}

func TestPQPanics(t *testing.T) {
	pq := smallPQ(t, 10, 8, 2)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Encode short", func() { pq.Encode(nil, make([]float32, 7)) }},
		{"EncodeBatch ragged", func() { pq.EncodeBatch(nil, make([]float32, 12), 1) }},
		{"Decode short", func() { pq.Decode(nil, []byte{1}) }},
		{"L2Table short table", func() { pq.L2Table(make([]float32, 8), make([]float32, 511)) }},
		{"DotTable short q", func() { pq.DotTable(make([]float32, 7), make([]float32, 512)) }},
		{"literal bad shape", func() { (&PQ{Dim: 8, M: 2, Codebooks: make([]float32, 10)}).Encode(nil, make([]float32, 8)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tc.name)
				}
			}()
			tc.f()
		})
	}
}
