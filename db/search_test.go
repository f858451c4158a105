package db

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/internal/vectest"
)

// TestExactSearchMatchesReference compares Search with a float64 brute force
// for every metric, across chunk boundaries, with and without a filter.
func TestExactSearchMatchesReference(t *testing.T) {
	const n, dim = 3000, 33
	base := vectest.Clustered(11, n, dim, 20, 0.3)
	queries := vectest.Clustered(12, 20, dim, 20, 0.3)
	for _, m := range []struct {
		metric Metric
		dist   func(a, b []float32) float64
	}{{L2, vectest.L2}, {Cosine, vectest.CosineDist}, {Dot, vectest.NegDot}} {
		t.Run(m.metric.String(), func(t *testing.T) {
			d := openTestDB(t, nil)
			mustCreate(t, d, Schema{Name: "v", Dim: dim, Metric: m.metric, Fields: []Field{{Name: "g", Type: Int}}})
			b := d.NewBatch()
			for i, v := range base {
				if err := b.Put("v", strconv.Itoa(i), v, Meta{"g": i % 50}); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Apply(b, nil); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				filter string
				allow  func(i int) bool
			}{
				{"", nil},
				{"g = 7", func(i int) bool { return i%50 == 7 }},     // sparse: per-doc path
				{"g < 40", func(i int) bool { return i%50 < 40 }},    // dense: chunk path
				{"g >= 49.5", func(i int) bool { return false }},     // empty
				{"NOT g = 7", func(i int) bool { return i%50 != 7 }}, // dense with holes
			} {
				res, err := d.SearchMany(context.Background(), "v", queries, &SearchRequest{K: 10, Filter: tc.filter})
				if err != nil {
					t.Fatal(err)
				}
				for qi, q := range queries {
					truth := vectest.BruteForce(base, q, 10, m.dist, tc.allow)
					if len(res[qi]) != len(truth) {
						t.Fatalf("filter %q query %d: %d results, want %d", tc.filter, qi, len(res[qi]), len(truth))
					}
					for j, h := range res[qi] {
						// Float32 kernels vs float64 truth: compare distances,
						// so near-ties may swap places but never the set's quality.
						if diff := math.Abs(float64(h.Distance) - truth[j].Distance); diff > 1e-3*math.Max(1, math.Abs(truth[j].Distance)) {
							t.Fatalf("filter %q query %d rank %d: distance %v, want %v", tc.filter, qi, j, h.Distance, truth[j].Distance)
						}
					}
				}
			}
		})
	}
}

func TestSearchByIDAndTies(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2})
	// Four equidistant points from the origin, inserted in a known order.
	for _, p := range []struct {
		id string
		v  []float32
	}{{"n", []float32{0, 1}}, {"e", []float32{1, 0}}, {"s", []float32{0, -1}}, {"w", []float32{-1, 0}}, {"o", []float32{0, 0}}} {
		if err := d.Put("v", p.id, p.v, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	res, err := d.Search(ctx, "v", &SearchRequest{ID: "o", K: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"n", "e", "s", "w"}) {
		t.Fatalf("search by id = %v, want ties in insertion order without the record itself", got)
	}
	// Re-putting "n" with a new vector moves it to the end of the tie order.
	if err := d.Put("v", "n", []float32{1e-45, 1}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = d.Search(ctx, "v", &SearchRequest{Vector: []float32{0, 0}, K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"o", "e", "s"}) {
		t.Fatalf("after upsert = %v", got)
	}
	if _, err := d.Search(ctx, "v", &SearchRequest{ID: "missing"}); err == nil {
		t.Fatal("search by a missing ID succeeded")
	}
	if _, err := d.Search(ctx, "v", &SearchRequest{Vector: []float32{1}}); err == nil {
		t.Fatal("search with a wrong-dimension vector succeeded")
	}
	if _, err := d.Search(ctx, "v", &SearchRequest{Vector: []float32{1, 1}, K: MaxK + 1}); err == nil {
		t.Fatal("search with k > MaxK succeeded")
	}
	if _, err := d.Search(ctx, "v", &SearchRequest{Vector: []float32{1, 1}, Filter: "x = 1"}); err == nil {
		t.Fatal("search with an unknown filter field succeeded")
	}
}

// TestConcurrentReadersAndWriter runs searches while a writer upserts and
// deletes; run with -race. Every search must see a consistent state: each
// result is a live record with the searched tag.
func TestConcurrentReadersAndWriter(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 8, Metric: L2, Fields: []Field{{Name: "tag", Type: Keyword}}})
	vecs := vectest.Uniform(3, 4000, 8)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tag := []string{"a", "b"}[(i+w)%2]
				res, err := d.Search(context.Background(), "v", &SearchRequest{Vector: vecs[i%len(vecs)], K: 5, Filter: `tag = "` + tag + `"`, WithMeta: true})
				if err != nil {
					errs <- err
					return
				}
				for _, r := range res {
					if r.Meta["tag"] != tag {
						errs <- errors.Newf("result %s has tag %v, want %s", r.ID, r.Meta["tag"], tag)
						return
					}
				}
			}
		})
	}
	for round := range 40 {
		b := d.NewBatch()
		for i := range 100 {
			j := (round*100 + i) % len(vecs)
			if err := b.Put("v", strconv.Itoa(j%1500), vecs[j], Meta{"tag": []string{"a", "b"}[j%2]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Delete("v", strconv.Itoa(round)); err != nil {
			t.Fatal(err)
		}
		if err := d.Apply(b, nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestBitmapCacheFollowsWrites interleaves searches (which fill the bitmap
// cache) with writes (which must invalidate it).
func TestBitmapCacheFollowsWrites(t *testing.T) {
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "v", Dim: 2, Metric: L2, Fields: []Field{{Name: "tag", Type: Keyword}, {Name: "n", Type: Int}}})
	ctx := context.Background()
	search := func(filter string) []string {
		t.Helper()
		res, err := d.Search(ctx, "v", &SearchRequest{Vector: []float32{0, 0}, K: 10, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		return ids(res)
	}
	defer func(old int) { maxRangeKeys = old }(maxRangeKeys)
	maxRangeKeys = 0 // ranges read the cached slices
	steps := []struct {
		put, del string
		want     []string
	}{
		{put: "a", want: []string{"a"}},
		{put: "b", want: []string{"a", "b"}},
		{del: "a", want: []string{"b"}},
		{put: "c", want: []string{"b", "c"}},
	}
	for i, st := range steps {
		if st.put != "" {
			if err := d.Put("v", st.put, []float32{float32(i), 0}, Meta{"tag": "x", "n": i}); err != nil {
				t.Fatal(err)
			}
		}
		if st.del != "" {
			if _, err := d.Delete("v", st.del); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"", `tag = "x"`, "n >= 0"} {
			for range 2 { // the second search is served from the cache
				if got := search(f); !slices.Equal(got, st.want) {
					t.Fatalf("step %d filter %q: %v, want %v", i, f, got, st.want)
				}
			}
		}
	}
}

// TestCodesOnly: a codes-only search reads no raw vector (its plan
// re-ranks none), returns K results ordered by the codes' estimates, and
// finds most of what the re-ranked search finds.
func TestCodesOnly(t *testing.T) {
	d := openTestDB(t, nil)
	vecs := fillCollection(t, d, "v", L2, 6000, 16, 3)
	if _, err := d.BuildIndex(context.Background(), "v", &BuildOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	overlap := 0.0
	for _, q := range vecs[:50] {
		res, plans, err := d.Explain(context.Background(), "v", [][]float32{q}, &SearchRequest{K: 10, CodesOnly: true, NProbe: 16})
		if err != nil {
			t.Fatal(err)
		}
		if plans[0].Reranked != 0 || len(res[0]) != 10 {
			t.Fatalf("codes-only: %d re-ranked, %d results", plans[0].Reranked, len(res[0]))
		}
		if !slices.IsSortedFunc(res[0], func(a, b Result) int { return cmp.Compare(a.Distance, b.Distance) }) {
			t.Fatal("codes-only results not ordered by estimate")
		}
		exact, err := d.Search(context.Background(), "v", &SearchRequest{Vector: q, K: 10, NProbe: 16})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res[0] {
			if slices.ContainsFunc(exact, func(e Result) bool { return e.ID == r.ID }) {
				overlap++
			}
		}
	}
	if overlap /= 500; overlap < 0.6 {
		t.Fatalf("codes-only results share %.2f with the re-ranked ones, want at least 0.6", overlap)
	}
	t.Logf("codes-only recall against the re-ranked search: %.3f", overlap)
}
