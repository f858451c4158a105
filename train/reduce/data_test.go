package reduce

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// readLabelled reads up to limit rows (all when limit is 0) of a bvecs file
// and the "label" of each from its JSON-lines side file.
func readLabelled(t *testing.T, vecs, meta string, limit int) (data []float32, labels []string, dim int) {
	t.Helper()
	r, err := vecio.OpenReader(vecs, vecio.Bvecs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mf, err := vecio.Open(meta)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	mr := vecio.NewMetaReader(mf)
	for (limit == 0 || len(labels) < limit) && r.Next() {
		m, err := mr.Next()
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, r.Record().Vector...)
		labels = append(labels, m["label"].(string))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := mr.Next(); limit == 0 && err != io.EOF {
		t.Fatalf("meta file %s: %v after the last vector, want EOF", meta, err)
	}
	return data, labels, r.Dim()
}

// knnScores returns the vote accuracy and label agreement of the 10
// nearest neighbours (exact squared L2 among base) of each query.
func knnScores(base []float32, baseLabels []string, queries []float32, queryLabels []string, dim int) (vote, agree float64) {
	const k = 10
	nq := len(queryLabels)
	nbrs := make([][]int, nq)
	var wg sync.WaitGroup
	threads := runtime.GOMAXPROCS(0)
	for t := range threads {
		wg.Go(func() {
			dists := make([]float32, len(baseLabels))
			for q := t; q < nq; q += threads {
				quant.L2SquaredBatch(queries[q*dim:(q+1)*dim], base, dists)
				nbrs[q] = topK(dists, k)
			}
		})
	}
	wg.Wait()
	return scoreNeighbours(nbrs, baseLabels, queryLabels)
}

// topK returns the indices of the k smallest distances, nearest first,
// ties by lower index.
func topK(dists []float32, k int) []int {
	top := make([]int, 0, k+1)
	for i, d := range dists {
		if len(top) == k && d >= dists[top[k-1]] {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, d, func(j int, d float32) int {
			if dists[j] <= d {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, i)
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// scoreNeighbours votes like train.EvalKNN: the most frequent label, ties
// to the nearest of the tied.
func scoreNeighbours(nbrs [][]int, baseLabels, queryLabels []string) (vote, agree float64) {
	var correct, same, total int
	for q, ns := range nbrs {
		counts := map[string]int{}
		for _, n := range ns {
			counts[baseLabels[n]]++
			if baseLabels[n] == queryLabels[q] {
				same++
			}
			total++
		}
		best := ""
		for _, n := range ns { // nearest first: the first label reaching the top count wins
			if l := baseLabels[n]; best == "" || counts[l] > counts[best] {
				best = l
			}
		}
		if best == queryLabels[q] {
			correct++
		}
	}
	return float64(correct) / float64(len(nbrs)), float64(same) / float64(total)
}

// TestFashionMNISTKNN fits PCA (on a third of the training images) and a
// random projection to 64 dimensions on fashion-mnist and scores the exact
// 10-NN among the 60k projected training images of the first 2,000 test
// images: vote accuracy and label agreement, next to the raw 784-d
// figures from the data set's ground truth.
func TestFashionMNISTKNN(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 70k x 784 images and runs 2,000 x 60k exact searches twice; runs without -short")
	}
	dir := vectest.DataDir(t, "fashion-mnist")
	const nq, out = 2000, 64
	train, trainLabels, dim := readLabelled(t, filepath.Join(dir, "fashion-mnist_train.bvecs.gz"), filepath.Join(dir, "fashion-mnist_train_meta.jsonl.gz"), 0)
	test, testLabels, _ := readLabelled(t, filepath.Join(dir, "fashion-mnist_test.bvecs.gz"), filepath.Join(dir, "fashion-mnist_test_meta.jsonl.gz"), nq)
	n := len(trainLabels)
	truth, err := vecio.ReadIvecs(filepath.Join(dir, "fashion-mnist_test_groundtruth_l2_top100.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	raw := make([][]int, nq)
	for q := range raw {
		for _, id := range truth[q][:10] {
			raw[q] = append(raw[q], int(id))
		}
	}
	rawVote, rawAgree := scoreNeighbours(raw, trainLabels, testLabels)
	t.Logf("raw %d-d: vote accuracy %.3f, label agreement %.3f", dim, rawVote, rawAgree)

	sample := make([]float32, 0, n/3*dim)
	for r := 0; r < n; r += 3 {
		sample = append(sample, train[r*dim:(r+1)*dim]...)
	}
	start := time.Now()
	pca, err := FitPCA(context.Background(), sample, len(sample)/dim, dim, out, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PCA-%d fitted on %d images in %v; explained variance %.3f", out, len(sample)/dim, time.Since(start), pca.ExplainedVariance())
	rp, err := RandomProjection(dim, out, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		p       *Projection
		minVote float64
	}{{"PCA-64", pca, 0.84}, {"rp-64", rp, 0.80}} {
		start := time.Now()
		pbase, pq := make([]float32, n*out), make([]float32, nq*out)
		tc.p.ApplyBatch(pbase, train, 0)
		tc.p.ApplyBatch(pq, test, 0)
		took := time.Since(start)
		vote, agree := knnScores(pbase, trainLabels, pq, testLabels, out)
		t.Logf("%s: vote accuracy %.3f, label agreement %.3f (projected %d images in %v)", tc.name, vote, agree, n+nq, took)
		if vote < tc.minVote || agree < tc.minVote-0.06 {
			t.Errorf("%s: vote accuracy %.3f, agreement %.3f; want >= %.2f and >= %.2f", tc.name, vote, agree, tc.minVote, tc.minVote-0.06)
		}
	}
}

// BenchmarkApply measures ApplyBatch throughput for fashion-mnist's shape
// (784 -> 64) on synthetic rows.
func BenchmarkApply(b *testing.B) {
	const n, in, out = 4096, 784, 64
	data := gaussian(10, n, in, func(int) float64 { return 1 })
	p, err := RandomProjection(in, out, 1)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, n*out)
	for _, threads := range []int{1, 0} {
		b.Run("784to64/threads="+map[int]string{1: "1", 0: "all"}[threads], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.ApplyBatch(dst, data, threads)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "vectors/s")
		})
	}
}

// BenchmarkFitPCA measures a 784 -> 64 PCA fit on 20,000 synthetic rows
// (the covariance accumulation and the eigen-decomposition).
func BenchmarkFitPCA(b *testing.B) {
	const n, in, out = 20000, 784, 64
	data := gaussian(11, n, in, func(i int) float64 { return float64(1 + i%7) })
	for b.Loop() {
		if _, err := FitPCA(context.Background(), data, n, in, out, false); err != nil {
			b.Fatal(err)
		}
	}
}
