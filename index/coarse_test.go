package index

import (
	"context"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// TestEstimatedCoarseStep: with enough centroid values for the coarse step
// to be estimated, the lists a search probes are the nprobe closest by
// exact distance (but for ties and the rare estimate outside its bound),
// for L2 and cosine, and a search scores codes with exact centroid
// distances (probing every list equals the exact coarse step).
func TestEstimatedCoarseStep(t *testing.T) {
	const n, dim, nlist = 4096, 256, 1024
	if testing.Short() {
		t.Skip("trains 1,024 lists of 256 dimensions (about 2 s); run without -short")
	}
	for _, metric := range []quant.Metric{quant.L2, quant.Cosine} {
		data := vectest.Clustered(9, n, dim, 64, 0.5)
		if metric == quant.Cosine {
			for _, v := range data {
				quant.Normalize(v)
			}
		}
		ivf, err := Train(context.Background(), flatten(data), dim, metric, TrainOptions{Codec: quant.KindRaBitQ, Bits: 2, NList: nlist, Seed: 1, KMeansIters: 2})
		if err != nil {
			t.Fatal(err)
		}
		if ivf.coarse() == nil {
			t.Fatal("the coarse step is not estimated")
		}
		queries := vectest.Clustered(10, 50, dim, 64, 0.5)
		wrong, total := 0, 0
		for _, q := range queries {
			if metric == quant.Cosine {
				quant.Normalize(q)
			}
			for _, nprobe := range []int{1, 8, 64} {
				got := ivf.Probe(q, nprobe, nil)
				exact := make([]float32, nlist)
				for l := range nlist {
					exact[l] = quant.Distance(metric, q, ivf.centroid(l))
				}
				want := make([]int, nlist)
				for l := range want {
					want[l] = l
				}
				slices.SortStableFunc(want, func(a, b int) int {
					switch {
					case exact[a] < exact[b]:
						return -1
					case exact[a] > exact[b]:
						return 1
					}
					return a - b
				})
				for i, l := range got {
					total++
					if l != want[i] && exact[l] != exact[want[i]] {
						wrong++
					}
				}
			}
		}
		// Every list scored: the same hits, distances included, as with
		// the exact coarse step, also for a filtered search that goes
		// past the lists it ranked exactly.
		lists := ivf.NewLists()
		enc := ivf.NewEncoder(n, 2)
		docs := make([]uint32, n)
		for i := range docs {
			docs[i] = uint32(i)
		}
		enc.EncodeToLists(flatten(data), docs, lists)
		plain := &IVF{Dim: ivf.Dim, Metric: ivf.Metric, NList: ivf.NList, Centroids: ivf.Centroids, Codec: ivf.Codec, cs: ivf.cs}
		plain.coarseOnce.Do(func() {})
		allow := roaringOf(0, n, 7)
		for _, p := range []SearchParams{{NProbe: nlist, KC: 50}, {NProbe: 4, KC: 50, Allow: allow, Budget: n / 20, MinLists: 4}} {
			for _, q := range queries[:10] {
				got, _, err1 := ivf.Search(q, lists, p)
				want, _, err2 := plain.Search(q, lists, p)
				if err1 != nil || err2 != nil || !slices.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Fatalf("%v %+v: estimated coarse step differs at hit %d of %d/%d (%v, %v)", metric, p, i, len(got), len(want), err1, err2)
				}
			}
		}
		t.Logf("%v: %d of %d probed lists out of exact order", metric, wrong, total)
		if wrong > total/100 {
			t.Errorf("%v: %d of %d probed lists out of exact order", metric, wrong, total)
		}
	}
}

// roaringOf returns the docs of [lo, hi) that are multiples of step.
func roaringOf(lo, hi, step int) *roaring.Bitmap {
	bm := roaring.New()
	for d := lo; d < hi; d += step {
		bm.Add(uint32(d))
	}
	return bm
}
