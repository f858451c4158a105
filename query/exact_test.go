package query

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/quant"
)

// reference is a plain exact search: every allowed row with a written
// vector, sorted by (distance, doc).
func reference(rows map[uint32][]float32, m quant.Metric, q []float32, k int, allow *roaring.Bitmap, skip *uint32) []Hit {
	var hits []Hit
	for doc, v := range rows {
		if !allow.Contains(doc) || (skip != nil && *skip == doc) {
			continue
		}
		hits = append(hits, Hit{Doc: doc, Distance: quant.Distance(m, q, v)})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if index.Less(a, b) {
			return -1
		}
		if index.Less(b, a) {
			return 1
		}
		return 0
	})
	return hits[:min(k, len(hits))]
}

// TestExactMatchesReference fills a Flat with gaps (whole empty chunks and
// single missing rows), then compares Exact, on both its dense and sparse
// paths, with a plain sort, including ties from duplicated vectors.
func TestExactMatchesReference(t *testing.T) {
	const dim = 7
	r := rand.New(rand.NewPCG(5, 6))
	f := NewFlat(dim)
	rows := map[uint32][]float32{}
	var doc uint32
	for range 3000 {
		doc += 1 + uint32(r.IntN(3))
		if r.IntN(500) == 0 {
			doc += 2 * FlatChunkRows // leaves whole chunks empty
		}
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.IntN(4)) // small integers: many exact ties
		}
		f.Set(doc, v)
		rows[doc] = v
	}
	f.Publish(doc + 1)
	view := f.View()
	if got, max := f.Bytes(), int64(view.numChunks())*FlatChunkRows*dim*4; got >= max {
		t.Errorf("Bytes = %d: empty chunks should hold no memory (all chunks: %d)", got, max)
	}
	all := roaring.New()
	for d := range rows {
		all.Add(d)
	}
	sparse := roaring.New()
	for d := range rows {
		if d%37 == 0 {
			sparse.Add(d)
		}
	}
	sparse.Add(doc + 5) // beyond Len: ignored
	for _, m := range []quant.Metric{quant.L2, quant.Dot} {
		for _, allow := range []*roaring.Bitmap{all, sparse, roaring.New()} {
			for _, k := range []int{1, 10, 5000} {
				q := rows[doc]
				skip := doc
				got, err := Exact(view, m, q, k, allow, &skip)
				if err != nil {
					t.Fatal(err)
				}
				want := reference(rows, m, q, k, allow, &skip)
				if !slices.Equal(got, want) {
					t.Fatalf("metric %v k %d |allow| %d: got %v..., want %v...", m, k, allow.GetCardinality(), got[:min(5, len(got))], want[:min(5, len(want))])
				}
			}
		}
	}
	res, _, err := SearchBatch(context.Background(), view, nil, quant.L2, [][]float32{rows[doc], rows[doc]}, Params{K: 3}, all, nil, 2)
	if err != nil || len(res) != 2 || !slices.Equal(res[0], res[1]) {
		t.Fatalf("SearchBatch = %v, %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := SearchBatch(ctx, view, nil, quant.L2, [][]float32{rows[doc]}, Params{K: 3}, all, nil, 1); err == nil {
		t.Fatal("SearchBatch with a cancelled context succeeded")
	}
}

// TestFlatPublish checks that rows become visible only when published and
// that earlier views keep their length.
func TestFlatPublish(t *testing.T) {
	f := NewFlat(2)
	f.Set(0, []float32{1, 2})
	v0 := f.View()
	if v0.Len() != 0 {
		t.Fatalf("unpublished row visible: Len = %d", v0.Len())
	}
	f.Publish(1)
	f.Set(1, []float32{3, 4})
	f.Publish(2)
	v2 := f.View()
	if v0.Len() != 0 || v2.Len() != 2 || !slices.Equal(v2.Row(1), []float32{3, 4}) {
		t.Fatalf("views: %d, %d, row 1 = %v", v0.Len(), v2.Len(), v2.Row(1))
	}
	f.Publish(1) // never shrinks
	if f.View().Len() != 2 {
		t.Fatal("Publish shrank the store")
	}
}

// TestExactGroupMatchesExact: a group of queries answered in one scan
// gives each query exactly what Exact gives it, with its own skip, for
// dense and sparse allow sets and both metrics; SearchBatch without an
// index answers through the groups (more queries than a group holds,
// several threads) with the same results and exact plans.
func TestExactGroupMatchesExact(t *testing.T) {
	const dim, n = 9, 5000
	r := rand.New(rand.NewPCG(7, 8))
	f := NewFlat(dim)
	for doc := range uint32(n) {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.IntN(5)) // ties
		}
		f.Set(doc, v)
	}
	f.Publish(n)
	view := f.View()
	all, sparse := roaring.New(), roaring.New()
	all.AddRange(0, n)
	for d := uint32(0); d < n; d += 7 {
		sparse.Add(d)
	}
	qs := make([][]float32, exactGroupMax+37)
	skips := make([]*uint32, len(qs))
	for i := range qs {
		qs[i] = view.Row(uint32(r.IntN(n)))
		if i%3 == 0 {
			s := uint32(r.IntN(n))
			skips[i] = &s
		}
	}
	for _, m := range []quant.Metric{quant.L2, quant.Dot} {
		for _, allow := range []*roaring.Bitmap{all, sparse} {
			got, err := ExactGroup(view, m, qs[:40], 10, allow, skips[:40])
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				want, err := Exact(view, m, qs[i], 10, allow, skips[i])
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got[i], want) {
					t.Fatalf("metric %v |allow| %d query %d: group %v, alone %v", m, allow.GetCardinality(), i, got[i], want)
				}
			}
		}
	}
	res, plans, err := SearchBatch(context.Background(), view, nil, quant.L2, qs, Params{K: 5, Total: n}, sparse, skips, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range qs {
		want, err := Exact(view, quant.L2, qs[i], 5, sparse, skips[i])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res[i], want) || plans[i].Strategy != "exact" || plans[i].Candidates != sparse.GetCardinality() {
			t.Fatalf("SearchBatch query %d: %v (plan %+v), want %v", i, res[i], plans[i], want)
		}
	}
}
