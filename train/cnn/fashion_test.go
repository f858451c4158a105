package cnn

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// loadFashion reads a Fashion-MNIST split: pixels scaled to [0, 1] and the
// labels.
func loadFashion(t *testing.T, dir, split string) ([]float32, []int32) {
	t.Helper()
	r, err := vecio.OpenReader(filepath.Join(dir, "fashion-mnist_"+split+".bvecs.gz"), vecio.Bvecs)
	if err != nil {
		t.Fatal(err)
	}
	var pixels []float32
	for r.Next() {
		for _, v := range r.Record().Vector {
			pixels = append(pixels, v/255)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := vecio.Open(filepath.Join(dir, "fashion-mnist_"+split+"_meta.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	var labels []int32
	for m := vecio.NewMetaReader(f); ; {
		obj, err := m.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		s, _ := obj["label"].(string)
		c, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s meta line %d: label %v: %v", split, m.Line(), obj["label"], err)
		}
		labels = append(labels, int32(c))
	}
	if len(pixels) != len(labels)*784 {
		t.Fatalf("%s: %d pixels for %d labels", split, len(pixels), len(labels))
	}
	return pixels, labels
}

// knnVote returns, for queries against base (unit vectors, so cosine is
// the dot product), the share of queries whose 10 nearest neighbours' most
// frequent label (ties to the label of the nearest of the tied) is the
// query's, and the share of neighbours with the query's label.
func knnVote(base []float32, baseLabels []int32, queries []float32, queryLabels []int32, dim, classes int) (vote, same float64) {
	const k = 10
	var mu sync.Mutex
	var votes, sames int
	var wg sync.WaitGroup
	nq, threads := len(queryLabels), 2
	for w := range threads {
		wg.Go(func() {
			sims := make([]float32, len(baseLabels))
			v, s := 0, 0
			for q := nq * w / threads; q < nq*(w+1)/threads; q++ {
				qv := queries[q*dim : (q+1)*dim]
				for b := range sims {
					sims[b] = dot(qv, base[b*dim:(b+1)*dim])
				}
				var top [k]int // indices, best first
				n := 0
				for b, x := range sims {
					if n == k && x <= sims[top[k-1]] {
						continue
					}
					i := min(n, k-1)
					for i > 0 && sims[top[i-1]] < x {
						top[i] = top[i-1]
						i--
					}
					top[i] = b
					n = min(n+1, k)
				}
				count := make([]int, classes)
				for _, b := range top {
					count[baseLabels[b]]++
				}
				best := baseLabels[top[0]]
				for _, b := range top { // nearest first: ties go to the nearest
					if count[baseLabels[b]] > count[best] {
						best = baseLabels[b]
					}
				}
				if best == queryLabels[q] {
					v++
				}
				s += count[queryLabels[q]]
			}
			mu.Lock()
			votes, sames = votes+v, sames+s
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(votes) / float64(nq), float64(sames) / float64(nq*k)
}

// TestFashionMNIST trains on Fashion-MNIST and measures 10-NN retrieval of
// 2,000 test images among the 60,000 training images' embeddings. By
// default it trains on the first 10,000 images for 2 epochs; with
// VECDB_LONG=1 on all of them with the default options. Raw pixels give
// 0.854 vote accuracy and 0.804 same-label neighbours.
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for minutes")
	}
	dir := vectest.DataDir(t, "fashion-mnist")
	trainX, trainY := loadFashion(t, dir, "train")
	testX, testY := loadFashion(t, dir, "test")
	const queries = 2000
	testX, testY = testX[:queries*784], testY[:queries]
	n, o, want := 10000, Options{Epochs: 2}, 0.85
	if vectest.Long() {
		n, o, want = len(trainY), Options{}, 0.90
	}
	o.Progress = func(p Progress) {
		t.Logf("epoch %d/%d batch %d/%d: loss %.4f accuracy %.4f, %.0f images/s",
			p.Epoch, p.Epochs, p.Batch, p.Batches, p.Loss, p.Accuracy, p.ImagesPerSec)
	}
	net, st, err := Train(context.Background(), trainX[:n*784], trainY[:n], 10, Shape{H: 28, W: 28, C: 1}, o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	base := make([]float32, len(trainY)*net.OutDim())
	net.EmbedBatch(base, trainX, 0)
	q := make([]float32, queries*net.OutDim())
	net.EmbedBatch(q, testX, 0)
	embedSecs := time.Since(start).Seconds()
	vote, same := knnVote(base, trainY, q, testY, net.OutDim(), 10)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	t.Logf("trained on %d images, %d epochs in %.1fs (%.0f images/s), loss %.4f, train accuracy %.4f",
		n, st.Epochs, st.Seconds, float64(n*st.Epochs)/st.Seconds, st.Loss, st.TrainAccuracy)
	t.Logf("embedded %d images in %.1fs (%.0f images/s); peak RSS %d MiB",
		len(trainY)+queries, embedSecs, float64(len(trainY)+queries)/embedSecs, ru.Maxrss/1024)
	t.Logf("10-NN over 60,000 training embeddings: vote accuracy %.4f, same-label neighbours %.4f (raw pixels: 0.854, 0.804)",
		vote, same)
	if vote < want {
		t.Errorf("10-NN vote accuracy %.4f, want ≥ %.2f", vote, want)
	}
}
