package quant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/errors"
)

// clusterSizes returns the number of points of data nearest to each of
// the centroids.
func clusterSizes(data []float32, dim int, centroids []float32) []int {
	assign := make([]int32, len(data)/dim)
	Nearest(data, dim, centroids, assign, nil, 0)
	sizes := make([]int, len(centroids)/dim)
	for _, c := range assign {
		sizes[c]++
	}
	return sizes
}

func checkFinite(t *testing.T, what string, v []float32) {
	t.Helper()
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("%s[%d] = %v", what, i, x)
		}
	}
}

// TestKMeansRecoversClusters clusters points drawn around well-separated
// centres: every true cluster must map to exactly one centroid, and every
// centroid to one true cluster.
func TestKMeansRecoversClusters(t *testing.T) {
	for _, tc := range []struct {
		name        string
		n, dim, nc  int
		sigma       float32
		seed, kseed uint64
	}{
		{name: "dim=16/k=10", n: 2000, dim: 16, nc: 10, sigma: 0.02, seed: 1, kseed: 1},
		{name: "dim=3/k=40", n: 4000, dim: 3, nc: 40, sigma: 0.002, seed: 2, kseed: 7},
		{name: "dim=128/k=64", n: 6400, dim: 128, nc: 64, sigma: 0.05, seed: 3, kseed: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, labels := clusteredData(tc.seed, tc.n, tc.dim, tc.nc, tc.sigma)
			cents, err := KMeans(context.Background(), data, tc.dim, KMeansOptions{K: tc.nc, Seed: tc.kseed})
			if err != nil {
				t.Fatal(err)
			}
			if len(cents) != tc.nc*tc.dim {
				t.Fatalf("len(centroids) = %d, want %d", len(cents), tc.nc*tc.dim)
			}
			assign := make([]int32, tc.n)
			Nearest(data, tc.dim, cents, assign, nil, 0)
			toCentroid := make(map[int]int32)
			toLabel := make(map[int32]int)
			for i, l := range labels {
				c := assign[i]
				if prev, ok := toCentroid[l]; ok && prev != c {
					t.Fatalf("true cluster %d split between centroids %d and %d", l, prev, c)
				}
				if prev, ok := toLabel[c]; ok && prev != l {
					t.Fatalf("centroid %d holds true clusters %d and %d", c, prev, l)
				}
				toCentroid[l], toLabel[c] = c, l
			}
			if len(toLabel) != tc.nc {
				t.Errorf("%d of %d centroids used", len(toLabel), tc.nc)
			}
		})
	}
}

// TestKMeansDeterministic checks that the centroids depend on the Seed and
// not on Threads, on data large enough to be sampled for k-means++ and
// split in many chunks.
func TestKMeansDeterministic(t *testing.T) {
	const n, dim, k = 6000, 24, 60
	data, _ := clusteredData(4, n, dim, 30, 0.3)
	run := func(threads int, seed uint64) []float32 {
		c, err := KMeans(context.Background(), data, dim, KMeansOptions{K: k, Iters: 8, Seed: seed, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	one := run(1, 5)
	if two := run(2, 5); !slices.Equal(one, two) {
		t.Errorf("Threads 1 and 2 give different centroids")
	}
	if three := run(3, 5); !slices.Equal(one, three) {
		t.Errorf("Threads 1 and 3 give different centroids")
	}
	if again := run(1, 5); !slices.Equal(one, again) {
		t.Errorf("two runs with the same seed differ")
	}
	if other := run(1, 6); slices.Equal(one, other) {
		t.Errorf("seeds 5 and 6 give the same centroids")
	}
}

// TestKMeansDuplicates clusters K close to n points with duplicates: as
// long as there are K distinct points, no cluster may stay empty.
func TestKMeansDuplicates(t *testing.T) {
	for _, tc := range []struct {
		name               string
		distinct, dups, k  int
		dim                int
		wantNonEmptyAtMost int // when distinct < k, the clusters that can hold points
	}{
		{name: "k<distinct", distinct: 95, dups: 25, k: 90, dim: 4},
		{name: "k=distinct", distinct: 64, dups: 64, k: 64, dim: 2},
		{name: "k=n", distinct: 50, dups: 0, k: 50, dim: 3},
		{name: "k>distinct", distinct: 20, dups: 40, k: 30, dim: 3, wantNonEmptyAtMost: 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(8, 0))
			data := randVec(rng, tc.distinct*tc.dim, 1)
			for range tc.dups {
				j := rng.IntN(tc.distinct)
				data = append(data, data[j*tc.dim:(j+1)*tc.dim]...)
			}
			cents, err := KMeans(context.Background(), data, tc.dim, KMeansOptions{K: tc.k, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			checkFinite(t, "centroids", cents)
			sizes := clusterSizes(data, tc.dim, cents)
			empty := 0
			for _, s := range sizes {
				if s == 0 {
					empty++
				}
			}
			if tc.wantNonEmptyAtMost > 0 {
				if got := tc.k - empty; got != tc.wantNonEmptyAtMost {
					t.Errorf("%d non-empty clusters, want %d (one per distinct point)", got, tc.wantNonEmptyAtMost)
				}
				return
			}
			if empty > 0 {
				t.Errorf("%d empty clusters: sizes %v", empty, sizes)
			}
		})
	}
}

// TestKMeansRepair starts Lloyd from degenerate centroids, so that the
// repair of empty clusters has to do all the work.
func TestKMeansRepair(t *testing.T) {
	const n, dim, k = 200, 5, 12
	rng := rand.New(rand.NewPCG(10, 0))
	data := randVec(rng, n*dim, 1)
	for _, tc := range []struct {
		name string
		init func(c []float32)
	}{
		{name: "all equal", init: func(c []float32) {
			for j := range k {
				copy(c[j*dim:], data[:dim])
			}
		}},
		{name: "far away", init: func(c []float32) {
			copy(c, data[:dim])
			for i := dim; i < len(c); i++ {
				c[i] = 1000 + float32(i)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			km := &kmeans{data: data, dim: dim, n: n, k: k, threads: 1, rng: rand.New(rand.NewPCG(1, 2))}
			cents := make([]float32, k*dim)
			tc.init(cents)
			if err := km.lloyd(context.Background(), cents, 10); err != nil {
				t.Fatal(err)
			}
			checkFinite(t, "centroids", cents)
			for j, s := range clusterSizes(data, dim, cents) {
				if s == 0 {
					t.Errorf("cluster %d is empty", j)
				}
			}
		})
	}
}

// TestKMeansSeedBudget lowers the seeding budget so that the fallbacks for
// large K run: plain k-means++, a smaller sample, random points.
func TestKMeansSeedBudget(t *testing.T) {
	const n, dim, k = 4000, 16, 40
	data, _ := clusteredData(12, n, dim, k, 0.01)
	defer func(b float64) { seedBudget = b }(seedBudget)
	for _, tc := range []struct {
		name   string
		budget float64
	}{
		{"greedy", 1 << 35},
		{"plain", k * 640 * dim * 2},
		{"smaller sample", k * 100 * dim},
		{"random", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seedBudget = tc.budget
			run := func(threads int) []float32 {
				c, err := KMeans(context.Background(), data, dim, KMeansOptions{K: k, Seed: 2, Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			c := run(1)
			if !slices.Equal(c, run(2)) {
				t.Errorf("Threads 1 and 2 differ")
			}
			checkFinite(t, "centroids", c)
			for j, s := range clusterSizes(data, dim, c) {
				if s == 0 {
					t.Errorf("cluster %d is empty", j)
				}
			}
		})
	}
}

func TestKMeansOneCluster(t *testing.T) {
	const dim = 3
	data := []float32{1, 2, 3, 3, 2, 1, 2, 2, 2, 0, 0, 0}
	c, err := KMeans(context.Background(), data, dim, KMeansOptions{K: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1.5, 1.5, 1.5}; !slices.Equal(c, want) {
		t.Errorf("KMeans(K=1) = %v, want the mean %v", c, want)
	}
}

func TestKMeansErrors(t *testing.T) {
	ok := make([]float32, 40)
	nan := append([]float32(nil), ok...)
	nan[17] = float32(math.NaN())
	inf := append([]float32(nil), ok...)
	inf[3] = float32(math.Inf(-1))
	for _, tc := range []struct {
		name string
		data []float32
		dim  int
		opts KMeansOptions
	}{
		{name: "n<K", data: ok, dim: 4, opts: KMeansOptions{K: 11}},
		{name: "K=0", data: ok, dim: 4, opts: KMeansOptions{K: 0}},
		{name: "dim=0", data: ok, dim: 0, opts: KMeansOptions{K: 1}},
		{name: "ragged", data: ok, dim: 3, opts: KMeansOptions{K: 1}},
		{name: "negative iters", data: ok, dim: 4, opts: KMeansOptions{K: 2, Iters: -1}},
		{name: "NaN", data: nan, dim: 4, opts: KMeansOptions{K: 2}},
		{name: "Inf", data: inf, dim: 4, opts: KMeansOptions{K: 2}},
		{name: "empty", data: nil, dim: 4, opts: KMeansOptions{K: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := KMeans(context.Background(), tc.data, tc.dim, tc.opts)
			if err == nil {
				t.Fatalf("KMeans(%s) = %d values, want an error", tc.name, len(c))
			}
			t.Logf("%v", err)
		})
	}
}

// stopAfter is a context whose Err becomes context.Canceled after it has
// been asked n times, to cancel KMeans at a chosen point.
type stopAfter struct {
	context.Context
	n int
}

func (c *stopAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestKMeansCancel(t *testing.T) {
	const n, dim, k = 3000, 8, 200
	data, _ := clusteredData(5, n, dim, 50, 0.2)
	for _, after := range []int{0, 1, 3, 6} {
		ctx := &stopAfter{Context: context.Background(), n: after}
		_, err := KMeans(ctx, data, dim, KMeansOptions{K: k, Iters: 50, Seed: 1})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %d checks: err = %v, want context.Canceled", after, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainPQ(ctx, data, dim, 2, PQOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("TrainPQ with a cancelled context: err = %v, want context.Canceled", err)
	}
}

// TestKMeansImproves checks that Lloyd iterations lower the objective from
// the k-means++ seeds, and that it ends close to a long run's.
func TestKMeansImproves(t *testing.T) {
	const n, dim, k = 4000, 16, 64
	data, _ := clusteredData(6, n, dim, 100, 0.3)
	inertia := func(iters int) float64 {
		km := &kmeans{data: data, dim: dim, n: n, k: k, rng: rand.New(rand.NewPCG(3, 0x6b6d65616e73))}
		c, err := km.seed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if iters > 0 {
			if err := km.lloyd(context.Background(), c, iters); err != nil {
				t.Fatal(err)
			}
		}
		dists := make([]float32, n)
		Nearest(data, dim, c, make([]int32, n), dists, 0)
		var s float64
		for _, d := range dists {
			s += float64(d)
		}
		return s / n
	}
	seeded, ten, hundred := inertia(0), inertia(10), inertia(100)
	t.Logf("mean squared distance: seeds %.4f, 10 iterations %.4f, 100 iterations %.4f", seeded, ten, hundred)
	if !(ten < 0.9*seeded) {
		t.Errorf("10 iterations: %.4f, want below 0.9 * %.4f", ten, seeded)
	}
	if !(hundred <= ten && ten < 1.05*hundred) {
		t.Errorf("10 iterations: %.4f, want within 5%% of 100 iterations' %.4f", ten, hundred)
	}
}
