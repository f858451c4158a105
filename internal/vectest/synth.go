package vectest

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// Clustered returns n dim-dimensional vectors drawn around nclusters random
// centres (Gaussian noise of standard deviation spread), from a fixed seed.
// Clustered data resembles real embeddings more than uniform noise does.
func Clustered(seed uint64, n, dim, nclusters int, spread float32) [][]float32 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	centres := make([][]float32, nclusters)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[r.IntN(nclusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + spread*float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// LowRank returns n dim-dimensional vectors of low intrinsic dimension:
// Clustered points of rank dimensions (20 clusters, spread 0.4) mapped into
// dim dimensions by a fixed random linear map, moved off the origin by a
// random offset, plus Gaussian noise of standard deviation noise in every
// dimension. A PCA to rank dimensions keeps nearly all of their variance.
func LowRank(seed uint64, n, dim, rank int, noise float32) [][]float32 {
	latent := Clustered(seed, n, rank, 20, 0.4)
	r := rand.New(rand.NewPCG(seed^0x10f7, seed))
	basis := make([]float32, rank*dim)
	for i := range basis {
		basis[i] = float32(r.NormFloat64() / math.Sqrt(float64(rank)))
	}
	offset := make([]float32, dim)
	for j := range offset {
		offset[j] = float32(r.NormFloat64())
	}
	out := make([][]float32, n)
	for i, z := range latent {
		v := slices.Clone(offset)
		for k, zk := range z {
			for j, b := range basis[k*dim : (k+1)*dim] {
				v[j] += zk * b
			}
		}
		for j := range v {
			v[j] += noise * float32(r.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// Uniform returns n vectors with coordinates uniform in [-1, 1).
func Uniform(seed uint64, n, dim int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = 2*r.Float32() - 1
		}
		out[i] = v
	}
	return out
}

// Neighbor is a ground-truth neighbour: an index into the base set and its
// distance.
type Neighbor struct {
	Index    int
	Distance float64
}

// BruteForce returns the k nearest base vectors of q under dist (smaller is
// closer), computed in float64, ties broken by lower index. allow, when not
// nil, restricts the candidates.
func BruteForce(base [][]float32, q []float32, k int, dist func(a, b []float32) float64, allow func(i int) bool) []Neighbor {
	all := make([]Neighbor, 0, len(base))
	for i, v := range base {
		if allow != nil && !allow(i) {
			continue
		}
		all = append(all, Neighbor{i, dist(q, v)})
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Distance < all[b].Distance })
	if len(all) > k {
		all = all[:k]
	}
	return slices.Clip(all)
}

// L2 is the squared Euclidean distance in float64.
func L2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

// NegDot is minus the inner product in float64.
func NegDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return -s
}

// CosineDist is 1 - cosine similarity in float64.
func CosineDist(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return 1 - ab/math.Sqrt(aa*bb)
}

// Recall returns |got ∩ truth[:k]| / min(k, len(truth)).
func Recall[T comparable](got, truth []T, k int) float64 {
	if len(truth) > k {
		truth = truth[:k]
	}
	if len(truth) == 0 {
		return 1
	}
	want := make(map[T]bool, len(truth))
	for _, t := range truth {
		want[t] = true
	}
	hit := 0
	for i, g := range got {
		if i >= k {
			break
		}
		if want[g] {
			hit++
		}
	}
	return float64(hit) / float64(len(truth))
}

// CheckTruth fails t unless got (one list of result IDs per query, IDs
// being decimal row numbers of base) has recall@k = 1.0 against a TEXMEX
// ground-truth file, where a result that differs from the file must tie
// with the file's k-th neighbour under dist (truth files order ties
// arbitrarily). It returns how many lists equal the file's as sets.
func CheckTruth(tb testing.TB, got [][]string, truth [][]int32, queries, base [][]float32, k int, dist func(a, b []float32) float64) int {
	tb.Helper()
	if len(got) != len(truth) {
		tb.Fatalf("%d result lists for %d queries", len(got), len(truth))
	}
	identical := 0
	for qi, ids := range got {
		want := make([]string, k)
		for i := range want {
			want[i] = strconv.Itoa(int(truth[qi][i]))
		}
		if len(ids) != k {
			tb.Fatalf("query %d: %d results, want %d", qi, len(ids), k)
		}
		if Recall(ids, want, k) == 1 {
			identical++
			continue
		}
		kth := dist(queries[qi], base[truth[qi][k-1]])
		for _, id := range ids {
			i, err := strconv.Atoi(id)
			if err != nil || i < 0 || i >= len(base) {
				tb.Fatalf("query %d: result ID %q is not a row of the base set", qi, id)
			}
			if d := dist(queries[qi], base[i]); d > kth {
				tb.Fatalf("query %d: %s at distance %v is beyond the truth's %d-th neighbour (%v)", qi, id, d, k, kth)
			}
		}
	}
	return identical
}
