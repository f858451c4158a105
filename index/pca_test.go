package index

import (
	"bytes"
	"context"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
)

// pcaFixture is 64-d data lying near a 16-d subspace (noise 0.02 in every
// dimension), with queries from the same distribution.
func pcaFixture(metric quant.Metric, n, nq int) (data, queries [][]float32) {
	all := vectest.LowRank(5, n+nq, 64, 16, 0.02)
	if metric == quant.Cosine {
		for _, v := range all {
			quant.Normalize(v)
		}
	}
	return all[:n], all[n:]
}

// pcaIndex trains an index with opts (a PCA among them) on data and fills
// its lists through the raw-vector entry points (Assign, Encode).
func pcaIndex(t testing.TB, metric quant.Metric, opts TrainOptions, data [][]float32) (*IVF, *Lists) {
	t.Helper()
	ivf, err := Train(context.Background(), flatten(data), len(data[0]), metric, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ivf.PCA == nil || ivf.Dim != len(data[0]) {
		t.Fatalf("trained IVF: PCA %v, space %d, dim %d", ivf.PCA != nil, ivf.SpaceDim(), ivf.Dim)
	}
	lists := ivf.NewLists()
	scratch := make([]float32, 2*ivf.Dim)
	for i, v := range data {
		l, _ := ivf.Assign(v)
		lists.Append(l, []uint32{uint32(i)}, ivf.Encode(nil, v, l, scratch))
	}
	return ivf, lists
}

// rerankTop re-ranks candidates with the raw vectors and the raw query, as
// query.Search does, and returns the best k docs.
func rerankTop(metric quant.Metric, data [][]float32, q []float32, cands []Hit, k int) []uint32 {
	dist := func(doc uint32) float64 { return float64(quant.Distance(metric, q, data[doc])) }
	sort.SliceStable(cands, func(i, j int) bool {
		di, dj := dist(cands[i].Doc), dist(cands[j].Doc)
		return di < dj || di == dj && cands[i].Doc < cands[j].Doc
	})
	got := make([]uint32, 0, k)
	for _, c := range cands[:min(k, len(cands))] {
		got = append(got, c.Doc)
	}
	return got
}

func pcaExactTop(metric quant.Metric, data [][]float32, q []float32, k int) []uint32 {
	dist := map[quant.Metric]func(a, b []float32) float64{quant.L2: vectest.L2, quant.Cosine: vectest.CosineDist, quant.Dot: vectest.NegDot}[metric]
	var want []uint32
	for _, nb := range vectest.BruteForce(data, q, k, dist, nil) {
		want = append(want, uint32(nb.Index))
	}
	return want
}

// TestPCARecall: on data near a 16-d subspace of 64 dimensions, an index
// with a PCA to 16 dimensions reaches recall@10 >= 0.95 against exact
// search after re-ranking 100 candidates, probing 8 of 32 lists, for L2
// cosine and dot, with pq8 and rabitq codes. The control, a PCA to 2
// dimensions (which loses most of the subspace), must fall below 0.95:
// the measure sees what the transform keeps.
func TestPCARecall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		metric  quant.Metric
		opts    TrainOptions
		control bool
	}{
		{"control/l2/rabitq4/pca2", quant.L2, TrainOptions{Codec: quant.KindRaBitQ, Bits: 4, NList: 32, PCA: 2, Seed: 1}, true},
		{"l2/pq8", quant.L2, TrainOptions{NList: 32, M: 8, PCA: 16, Seed: 1}, false},
		{"l2/rabitq4", quant.L2, TrainOptions{Codec: quant.KindRaBitQ, Bits: 4, NList: 32, PCA: 16, Seed: 1}, false},
		{"cosine/rabitq4", quant.Cosine, TrainOptions{Codec: quant.KindRaBitQ, Bits: 4, NList: 32, PCA: 16, Seed: 1}, false},
		{"dot/pq8", quant.Dot, TrainOptions{NList: 32, M: 8, PCA: 16, Seed: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, queries := pcaFixture(tc.metric, 3000, 30)
			ivf, lists := pcaIndex(t, tc.metric, tc.opts, data)
			if ivf.SpaceDim() != tc.opts.PCA {
				t.Fatalf("space %d", ivf.SpaceDim())
			}
			var sum float64
			for _, q := range queries {
				cands, _, err := ivf.Search(q, lists, SearchParams{NProbe: 8, KC: 100})
				if err != nil {
					t.Fatal(err)
				}
				sum += vectest.Recall(rerankTop(tc.metric, data, q, cands, 10), pcaExactTop(tc.metric, data, q, 10), 10)
			}
			recall := sum / float64(len(queries))
			t.Logf("recall@10 %.3f", recall)
			if tc.control {
				if recall >= 0.95 {
					t.Fatalf("control: recall@10 = %.3f with 2 of 16 dimensions, want < 0.95", recall)
				}
				return
			}
			if recall < 0.95 {
				t.Fatalf("recall@10 = %.3f, want >= 0.95", recall)
			}
		})
	}
}

// TestPCABoundsNotReported: a RaBitQ index reports error bounds for its
// candidates (which re-ranking uses to skip rows), but not with a PCA:
// the bounds hold in the reduced space, not for the raw distances.
func TestPCABoundsNotReported(t *testing.T) {
	data, queries := pcaFixture(quant.L2, 2000, 1)
	for _, pca := range []int{0, 16} {
		ivf, err := Train(context.Background(), flatten(data), 64, quant.L2, TrainOptions{Codec: quant.KindRaBitQ, Bits: 4, NList: 16, PCA: pca, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		lists := ivf.NewLists()
		scratch := make([]float32, 2*ivf.Dim)
		for i, v := range data {
			l, _ := ivf.Assign(v)
			lists.Append(l, []uint32{uint32(i)}, ivf.Encode(nil, v, l, scratch))
		}
		_, st, err := ivf.Search(queries[0], lists, SearchParams{NProbe: 4, KC: 50})
		if err != nil || st.Bounded != (pca == 0) {
			t.Fatalf("PCA %d: Bounded = %t (%v), want %t", pca, st.Bounded, err, pca == 0)
		}
	}
}

// TestPCAProbeAllIsExact: probing every list and re-ranking every
// candidate with the raw vectors gives exact search's answer.
func TestPCAProbeAllIsExact(t *testing.T) {
	data, queries := pcaFixture(quant.L2, 2000, 20)
	ivf, lists := pcaIndex(t, quant.L2, TrainOptions{Codec: quant.KindRaBitQ, Bits: 1, NList: 16, PCA: 8, Seed: 1}, data)
	for i, q := range queries {
		cands, _, err := ivf.Search(q, lists, SearchParams{NProbe: ivf.NList, KC: len(data)})
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) != len(data) {
			t.Fatalf("query %d: %d candidates, want all %d", i, len(cands), len(data))
		}
		if got, want := rerankTop(quant.L2, data, q, cands, 10), pcaExactTop(quant.L2, data, q, 10); !slices.Equal(got, want) {
			t.Fatalf("query %d: %v, want %v", i, got, want)
		}
	}
}

// TestPCAReducedDistances: codes-only distances live in the reduced space.
// With a rich enough code (pq8 on 16 dimensions, M = 16: one value a
// sub-quantiser) they are close to the distance between the projections,
// which never exceeds the raw distance (the rows are orthonormal).
func TestPCAReducedDistances(t *testing.T) {
	data, queries := pcaFixture(quant.L2, 3000, 10)
	ivf, lists := pcaIndex(t, quant.L2, TrainOptions{NList: 16, M: 16, PCA: 16, Seed: 1}, data)
	pq, pd := make([]float32, 16), make([]float32, 16)
	for _, q := range queries {
		cands, _, _ := ivf.Search(q, lists, SearchParams{NProbe: 16, KC: 20})
		ivf.PCA.Apply(pq, q)
		for _, h := range cands {
			ivf.PCA.Apply(pd, data[h.Doc])
			proj, raw := quant.L2SquaredRef(pq, pd), quant.L2SquaredRef(q, data[h.Doc])
			if proj > raw*(1+1e-4)+1e-4 {
				t.Fatalf("projected distance %g above the raw %g", proj, raw)
			}
			if math.Abs(float64(h.Distance-proj)) > 0.05*float64(raw)+0.05 {
				t.Fatalf("estimate %g, projected distance %g (raw %g)", h.Distance, proj, raw)
			}
		}
	}
}

// TestPCAEncoding: an index with a PCA round-trips through its encoding
// bit for bit (transform, centroids, codec), searches the same after
// decoding, and every truncation of its encoding is an error.
func TestPCAEncoding(t *testing.T) {
	data, queries := pcaFixture(quant.L2, 1000, 5)
	for _, opts := range []TrainOptions{
		{NList: 8, M: 4, PCA: 16, Seed: 1},
		{Codec: quant.KindRaBitQ, Bits: 4, NList: 8, PCA: 16, Seed: 1},
		{Codec: quant.KindPQ4FS, M: 8, NList: 8, PCA: 16, Seed: 1},
	} {
		ivf, lists := pcaIndex(t, quant.L2, opts, data)
		b, err := ivf.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != ivfVersionPCA {
			t.Fatalf("version %d, want %d", b[0], ivfVersionPCA)
		}
		back, err := DecodeIVF(b)
		if err != nil {
			t.Fatal(err)
		}
		bits := func(xs []float32) []uint32 {
			out := make([]uint32, len(xs))
			for i, x := range xs {
				out[i] = math.Float32bits(x)
			}
			return out
		}
		if back.PCA == nil || back.Dim != 64 || back.SpaceDim() != 16 ||
			!slices.Equal(bits(back.PCA.Mean), bits(ivf.PCA.Mean)) || !slices.Equal(bits(back.PCA.M), bits(ivf.PCA.M)) ||
			!slices.Equal(bits(back.Centroids), bits(ivf.Centroids)) {
			t.Fatalf("%v: decoded IVF differs", opts.Codec)
		}
		if again, _ := back.AppendBinary(nil); !bytes.Equal(again, b) {
			t.Fatalf("%v: encoding does not round-trip", opts.Codec)
		}
		for _, q := range queries {
			a, _, _ := ivf.Search(q, lists, SearchParams{NProbe: 4, KC: 30})
			c, _, _ := back.Search(q, lists, SearchParams{NProbe: 4, KC: 30})
			if !slices.Equal(a, c) {
				t.Fatalf("%v: decoded index searches differently", opts.Codec)
			}
		}
		for n := range len(b) {
			if _, err := DecodeIVF(b[:n]); err == nil {
				t.Fatalf("%v: truncation to %d of %d bytes decoded", opts.Codec, n, len(b))
			}
		}
	}
}

// TestGoldenIVFPCA pins the header of the PCA form of the IVF encoding
// (version 4, dimension, metric, lists, then the PCA's version and
// dimensions); quant's golden pins a whole PCA.
func TestGoldenIVFPCA(t *testing.T) {
	data := vectest.LowRank(2, 300, 4, 2, 0.01)
	ivf, err := Train(context.Background(), flatten(data), 4, quant.L2, TrainOptions{NList: 2, M: 1, PCA: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ivf.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	vectest.CheckGolden(t, "index_ivf_pca_header.golden", []byte(hex.Dump(b[:19])), *update)
}

// TestPCAWriteAfterBuild: records encoded after the build (an Encoder's
// batch, as a write or a build's catch-up does) are found by search.
func TestPCAWriteAfterBuild(t *testing.T) {
	data, extra := pcaFixture(quant.L2, 3000, 200)
	ivf, lists := pcaIndex(t, quant.L2, TrainOptions{Codec: quant.KindRaBitQ, Bits: 4, NList: 16, PCA: 16, Seed: 1}, data)
	docs := make([]uint32, len(extra))
	for i := range docs {
		docs[i] = uint32(len(data) + i)
	}
	ivf.NewEncoder(len(extra), 2).EncodeToLists(flatten(extra), docs, lists)
	all := append(slices.Clone(data), extra...)
	for i, v := range extra {
		cands, _, _ := ivf.Search(v, lists, SearchParams{NProbe: 4, KC: 20})
		if got := rerankTop(quant.L2, all, v, cands, 1); len(got) == 0 || got[0] != docs[i] {
			t.Fatalf("new record %d: top hit %v", docs[i], got)
		}
	}
}

// TestPCABadOptions: a PCA dimension at or above the data's, or negative,
// is an error from Validate and from Train, not a panic.
func TestPCABadOptions(t *testing.T) {
	data, _ := pcaFixture(quant.L2, 1000, 0)
	for _, pca := range []int{-1, 64, 65, 1000} {
		o := BuildOptions{PCA: pca}
		o.Fill(1000, 64)
		if err := o.Validate(1000, 64); err == nil || !strings.Contains(err.Error(), "PCA") {
			t.Errorf("PCA %d: Validate = %v, want a PCA error", pca, err)
		}
		if _, err := Train(context.Background(), flatten(data), 64, quant.L2, TrainOptions{NList: 8, M: 4, PCA: pca}); err == nil {
			t.Errorf("PCA %d: Train succeeded", pca)
		}
	}
	o := BuildOptions{PCA: 16}
	o.Fill(1000, 64)
	if err := o.Validate(1000, 64); err != nil || o.M != 4 {
		t.Fatalf("PCA 16: Validate = %v, M = %d (want M = 16/4)", err, o.M)
	}
	o = BuildOptions{PCA: 15, M: 4}
	o.Fill(1000, 64)
	if err := o.Validate(1000, 64); err == nil {
		t.Error("M = 4 accepted for PCA 15")
	}
}
