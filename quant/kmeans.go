package quant

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/cockroachdb/errors"
)

// KMeansOptions configure [KMeans]. Zero fields take the defaults documented
// on each.
type KMeansOptions struct {
	// K is the number of centroids (required, at least 1, at most the
	// number of points).
	K int
	// Iters is the maximum number of Lloyd iterations (assignment, then
	// centroid update); default 20. KMeans stops earlier when an assignment
	// equals the previous one. Coarse quantisers for IVF need about 10,
	// PQ sub-quantisers 20-25: after that the objective moves by well under
	// 1%.
	Iters int
	// Seed drives the k-means++ sampling and the choice of points for
	// empty clusters. The same Seed and data give the same centroids.
	Seed uint64
	// Threads bounds the goroutines used; 0 (or negative) means GOMAXPROCS.
	// The result does not depend on it.
	Threads int
}

const (
	// defaultKMeansIters is the default of KMeansOptions.Iters.
	defaultKMeansIters = 20
	// kmeansppSample is how many points per centroid k-means++ draws its
	// seeds from: at most kmeansppSample*K points, sampled without
	// replacement. Greedy k-means++ costs (2+ln K)*K passes over its
	// sample, so on all of a large data set it would cost more than the
	// Lloyd iterations (at K = 1024 and 100k points, 16 per centroid make
	// it about a third of a 10-iteration run); 16 points per centroid still
	// cover every region that holds more than about 1/(16K) of the data,
	// and Lloyd on all the points does the rest.
	kmeansppSample = 16
	// seedChunk is the unit of parallel work in k-means++ (rows).
	seedChunk = 1024
)

// seedBudget bounds the multiply-adds of seeding (about 2 s on 2 cores),
// since k-means++ costs O(K^2): past it, seeding drops to plain k-means++
// (one candidate per centroid), then to a smaller sample, and at
// K*K*dim > seedBudget to K distinct random points. It is a variable only
// so that tests can lower it.
var seedBudget float64 = 1 << 35

// KMeans clusters the n = len(data)/dim vectors of data (row-major,
// contiguous) under squared Euclidean distance and returns the K*dim
// centroids, row-major, in a new slice the caller owns.
//
// Initialisation is greedy k-means++ (2+ln K candidates per centroid, the
// best kept) on a sample of min(n, 16*K) points drawn with the Seed. Its
// cost grows as K^2*dim, so for large K it falls back to plain k-means++
// (from about K = 2048 at dim 128), then to a smaller sample, and from
// about K = 16384 at dim 128 to K distinct random points. Each Lloyd
// iteration assigns every point to its nearest
// centroid (see [Nearest]; all Threads share the work) and moves each
// centroid to the mean of its points, summed in float64 in point order.
// It stops after Iters iterations or as soon as no assignment changes.
//
// A cluster left empty by an assignment is repaired by splitting the
// largest cluster: its centroid moves onto a point of the cluster with the
// most points, drawn at random among the points that differ from that
// cluster's centroid (and from the points other empty clusters took in the
// same round), and the next assignment divides the cluster between the two.
// A cluster stays empty only when no cluster has two distinct points left
// to split, for instance when data has fewer than K distinct points; its
// centroid is then a copy of an existing point, never NaN.
//
// On a given machine the result depends only on data, dim, K, Iters and
// Seed: the work is split in chunks of fixed size whatever Threads is, and
// every sum is reduced in a fixed order. (The AVX2 and portable kernels
// round differently, so machines with and without AVX2 may differ.)
// Passing more than about 256*K points buys little; subsample larger data
// sets first.
//
// KMeans returns an error if dim < 1, len(data) is not a multiple of dim,
// K < 1, n < K, Iters < 0 or data holds a NaN or an infinity, and ctx's
// error (wrapped) if ctx is done at a check: between two Lloyd
// iterations, and every 64 centroids while seeding. It is goroutine-safe
// and does not modify data.
func KMeans(ctx context.Context, data []float32, dim int, opts KMeansOptions) ([]float32, error) {
	if err := checkKMeans(data, dim, opts); err != nil {
		return nil, err
	}
	km := &kmeans{
		data:    data,
		dim:     dim,
		n:       len(data) / dim,
		k:       opts.K,
		threads: opts.Threads,
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x6b6d65616e73)), // "kmeans"
	}
	iters := opts.Iters
	if iters == 0 {
		iters = defaultKMeansIters
	}
	centroids, err := km.seed(ctx)
	if err != nil {
		return nil, err
	}
	if err := km.lloyd(ctx, centroids, iters); err != nil {
		return nil, err
	}
	return centroids, nil
}

func checkKMeans(data []float32, dim int, opts KMeansOptions) error {
	switch {
	case dim < 1:
		return errors.Newf("quant: k-means: dimension %d, want at least 1", dim)
	case len(data)%dim != 0:
		return errors.Newf("quant: k-means: %d values are not a multiple of dimension %d", len(data), dim)
	case opts.K < 1:
		return errors.Newf("quant: k-means: K = %d, want at least 1", opts.K)
	case len(data)/dim < opts.K:
		return errors.Newf("quant: k-means: %d points, fewer than K = %d", len(data)/dim, opts.K)
	case opts.Iters < 0:
		return errors.Newf("quant: k-means: Iters = %d, want at least 0", opts.Iters)
	}
	for i, x := range data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.Newf("quant: k-means: point %d holds %v", i/dim, x)
		}
	}
	return nil
}

// kmeans is the state of one KMeans call.
type kmeans struct {
	data    []float32
	dim, n  int
	k       int
	threads int
	rng     *rand.Rand
}

func (km *kmeans) row(i int) []float32 { return km.data[i*km.dim : (i+1)*km.dim] }

// seed returns K initial centroids by greedy k-means++ on a sample: the
// first is a uniformly random sample point; for each next one, 2+ln(K)
// candidates are drawn among the sample points with probability
// proportional to their squared distance to the nearest centroid chosen so
// far, and the candidate that lowers the sum of those distances most is
// kept (the variant of scikit-learn; plain k-means++ often puts two seeds
// in one cluster and none in another, which Lloyd iterations cannot undo).
// When every sample point coincides with a chosen centroid (fewer distinct
// points than K), the draw is uniform.
//
// Past seedBudget it degrades as that constant's comment says.
func (km *kmeans) seed(ctx context.Context) ([]float32, error) {
	dim, k := km.dim, km.k
	s := min(km.n, kmeansppSample*k)
	trials := 2 + int(math.Log(float64(k)))
	work := func(s, trials int) float64 { return float64(k) * float64(trials) * float64(s) * float64(dim) }
	if work(s, trials) > seedBudget {
		trials = 1
	}
	if work(s, 1) > seedBudget {
		s = max(k, int(seedBudget/(float64(k)*float64(dim))))
	}
	sample := km.sample(s)
	if s == k {
		return append([]float32(nil), sample...), nil
	}
	centroids := make([]float32, k*dim)
	mind := make([]float32, s) // squared distance to the nearest chosen centroid
	for i := range mind {
		mind[i] = float32(math.Inf(1))
	}
	nchunks := (s + seedChunk - 1) / seedChunk
	part := make([]float64, nchunks) // sum of mind per chunk
	// Candidate t's squared distances to the sample and its sums per chunk
	// of min(mind, distance).
	dist := make([]float32, trials*s)
	pot := make([]float64, trials*nchunks)
	cands := make([]int, 0, trials)
	for c := range k {
		if c%64 == 63 {
			if err := ctx.Err(); err != nil {
				return nil, errors.Wrapf(err, "k-means++ seeding (%d of %d centroids)", c, k)
			}
		}
		cands = cands[:0]
		if c == 0 {
			cands = append(cands, km.rng.IntN(s))
		} else {
			for range trials {
				cands = append(cands, km.draw(mind, part))
			}
		}
		parallelChunks(km.threads, s, seedChunk, func(lo, hi int) {
			for t, p := range cands {
				d := dist[t*s : (t+1)*s]
				L2SquaredBatch(sample[p*dim:(p+1)*dim], sample[lo*dim:hi*dim], d[lo:hi])
				var sum float64
				for i := lo; i < hi; i++ {
					sum += float64(min(d[i], mind[i]))
				}
				pot[t*nchunks+lo/seedChunk] = sum
			}
		})
		best, bestPot := 0, math.Inf(1)
		for t := range cands {
			var p float64
			for _, x := range pot[t*nchunks : (t+1)*nchunks] {
				p += x
			}
			if p < bestPot {
				best, bestPot = t, p
			}
		}
		copy(centroids[c*dim:(c+1)*dim], sample[cands[best]*dim:(cands[best]+1)*dim])
		d := dist[best*s : (best+1)*s]
		for i := range mind {
			mind[i] = min(mind[i], d[i])
		}
		copy(part, pot[best*nchunks:(best+1)*nchunks])
	}
	return centroids, nil
}

// sample returns s distinct points of data, drawn without replacement, as a
// contiguous slice (data itself when s == n).
func (km *kmeans) sample(s int) []float32 {
	if s == km.n {
		return km.data
	}
	perm := make([]int32, km.n)
	for i := range perm {
		perm[i] = int32(i)
	}
	out := make([]float32, 0, s*km.dim)
	for i := range s {
		j := i + km.rng.IntN(km.n-i)
		perm[i], perm[j] = perm[j], perm[i]
		out = append(out, km.row(int(perm[i]))...)
	}
	return out
}

// draw returns a sample index drawn with probability proportional to
// mind, whose per-chunk sums are part, or a uniform index if they are all 0.
func (km *kmeans) draw(mind []float32, part []float64) int {
	var total float64
	for _, p := range part {
		total += p
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return km.rng.IntN(len(mind))
	}
	r := km.rng.Float64() * total
	ch := 0
	for ; ch < len(part)-1 && r >= part[ch]; ch++ {
		r -= part[ch]
	}
	// Rounding can leave r at or past the chunk's sum: then take the last
	// positive point of the chunk, or of the whole sample.
	last := -1
	for i := ch * seedChunk; i < min((ch+1)*seedChunk, len(mind)); i++ {
		if mind[i] > 0 {
			last = i
			if r < float64(mind[i]) {
				return i
			}
			r -= float64(mind[i])
		}
	}
	if last >= 0 {
		return last
	}
	for i := len(mind) - 1; i >= 0; i-- {
		if mind[i] > 0 {
			return i
		}
	}
	return km.rng.IntN(len(mind))
}

// lloyd runs up to iters Lloyd iterations on centroids in place.
func (km *kmeans) lloyd(ctx context.Context, centroids []float32, iters int) error {
	n, k, dim := km.n, km.k, km.dim
	assign, prev := make([]int32, n), make([]int32, n)
	for i := range prev {
		prev[i] = -1
	}
	nchunks := (n + nearestChunk - 1) / nearestChunk
	changed := make([]int, nchunks)
	sums := make([]float64, k*dim)
	counts := make([]int, k)
	var tab centroidTable
	for it := range iters {
		if err := ctx.Err(); err != nil {
			return errors.Wrapf(err, "k-means iteration %d of %d", it+1, iters)
		}
		tab.reset(centroids, dim)
		parallelChunks(km.threads, n, nearestChunk, func(lo, hi int) {
			nearestRows(&tab, km.data[lo*dim:hi*dim], dim, assign[lo:hi])
			c := 0
			for i := lo; i < hi; i++ {
				if assign[i] != prev[i] {
					c++
				}
			}
			changed[lo/nearestChunk] = c
		})
		total := 0
		for _, c := range changed {
			total += c
		}
		if total == 0 {
			// The centroids are already the means of this assignment.
			return nil
		}
		assign, prev = prev, assign
		km.update(centroids, prev, sums, counts)
		km.repair(centroids, prev, counts)
	}
	return nil
}

// update sets each centroid with points to the mean of its points, summed
// in float64 in point order, and counts the points of each cluster.
// Centroids of empty clusters keep their value.
func (km *kmeans) update(centroids []float32, assign []int32, sums []float64, counts []int) {
	dim := km.dim
	clear(sums)
	clear(counts)
	for i, c := range assign {
		counts[c]++
		s := sums[int(c)*dim : (int(c)+1)*dim]
		for d, x := range km.row(i) {
			s[d] += float64(x)
		}
	}
	for c, cnt := range counts {
		if cnt == 0 {
			continue
		}
		inv := 1 / float64(cnt)
		s := sums[c*dim : (c+1)*dim]
		for d := range s {
			centroids[c*dim+d] = float32(s[d] * inv)
		}
	}
}

// repair moves the centroid of each empty cluster (in index order) onto a
// point of the cluster with the most points left, as KMeans documents, and
// reports how many it moved.
func (km *kmeans) repair(centroids []float32, assign []int32, counts []int) int {
	dim := km.dim
	var empty []int
	for c, cnt := range counts {
		if cnt == 0 {
			empty = append(empty, c)
		}
	}
	if len(empty) == 0 {
		return 0
	}
	// members[start[c]:start[c]+left[c]] are the points of cluster c not
	// yet taken, in point order until taking swaps one to the end.
	start := make([]int, km.k+1)
	for c, cnt := range counts {
		start[c+1] = start[c] + cnt
	}
	members := make([]int32, km.n)
	left := make([]int, km.k)
	for i, c := range assign {
		members[start[c]+left[c]] = int32(i)
		left[c]++
	}
	var taken []int32
	moved := 0
	for _, c := range empty {
		for {
			big := -1 // the cluster with the most points left, at least 2
			for j, l := range left {
				if l >= 2 && (big < 0 || l > left[big]) {
					big = j
				}
			}
			if big < 0 {
				return moved
			}
			mem := members[start[big] : start[big]+left[big]]
			p := km.splitPoint(mem, centroids[big*dim:(big+1)*dim], taken)
			if p < 0 {
				left[big] = 0 // every point sits on the centroid: not splittable
				continue
			}
			i := mem[p]
			copy(centroids[c*dim:(c+1)*dim], km.row(int(i)))
			mem[p], mem[len(mem)-1] = mem[len(mem)-1], mem[p]
			left[big]--
			taken = append(taken, i)
			moved++
			break
		}
	}
	return moved
}

// splitPoint returns the position in mem of a point that differs from
// centroid and from every taken point, scanning cyclically from a random
// start, or -1 if there is none.
func (km *kmeans) splitPoint(mem []int32, centroid []float32, taken []int32) int {
	r := km.rng.IntN(len(mem))
next:
	for j := range mem {
		p := (r + j) % len(mem)
		x := km.row(int(mem[p]))
		if L2Squared(x, centroid) == 0 {
			continue
		}
		for _, t := range taken {
			if L2Squared(x, km.row(int(t))) == 0 {
				continue next
			}
		}
		return p
	}
	return -1
}
