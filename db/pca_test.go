package db

import (
	"context"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/internal/vectest"
)

// TestBuildWithPCA builds an index with a PCA pre-transform on 64-d data
// near a 16-d subspace, for L2 and cosine: recall@10 >= 0.95 against exact
// search, records written after the build are found through the index,
// stats describe it, and all of it holds after a reopen. A PCA dimension
// at or above the collection's, or negative, is ErrInvalid.
func TestBuildWithPCA(t *testing.T) {
	const n, dim, pca = 4000, 64, 16
	ctx := context.Background()
	for _, metric := range []Metric{L2, Cosine} {
		t.Run(metric.String(), func(t *testing.T) {
			dir := t.TempDir()
			d := openTestDBAt(t, dir, nil)
			all := vectest.LowRank(7, n+100, dim, pca, 0.02)
			vecs, later, queries := all[:n-100], all[n-100:n], all[n:]
			mustCreate(t, d, Schema{Name: "v", Dim: dim, Metric: metric})
			put := func(first int, vs [][]float32) {
				b := d.NewBatch()
				defer b.Close()
				for i, v := range vs {
					if err := b.Put("v", strconv.Itoa(first+i), v, nil); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.Apply(b, nil); err != nil {
					t.Fatal(err)
				}
			}
			put(0, vecs)
			for _, bad := range []int{-1, dim, dim + 1} {
				if _, err := d.BuildIndex(ctx, "v", &BuildOptions{PCA: bad}); !errors.Is(err, ErrInvalid) {
					t.Errorf("BuildIndex(PCA %d) = %v, want ErrInvalid", bad, err)
				}
			}
			st, err := d.BuildIndex(ctx, "v", &BuildOptions{Seed: 1, Codec: CodecRaBitQ, PCA: pca})
			if err != nil {
				t.Fatal(err)
			}
			if st.PCA != pca || st.CodeBytes == 0 {
				t.Fatalf("build stats %+v", st)
			}
			put(len(vecs), later) // encoded through the transform as written
			req := SearchRequest{NProbe: st.Lists / 2}
			check := func(when string) {
				if r := recallVsExact(t, d, "v", queries, 10, req); r < 0.95 {
					t.Fatalf("%s: recall@10 with PCA = %.3f, want >= 0.95", when, r)
				}
				for i, v := range later[:20] {
					res, err := d.Search(ctx, "v", &SearchRequest{Vector: v, K: 1, NProbe: 4})
					if err != nil {
						t.Fatal(err)
					}
					if want := strconv.Itoa(len(vecs) + i); len(res) == 0 || res[0].ID != want {
						t.Fatalf("%s: record %s written after the build: top hit %v", when, want, res)
					}
				}
				cs, err := d.Stats("v")
				if err != nil {
					t.Fatal(err)
				}
				if cs.Index == nil || cs.Index.PCA != pca || cs.Index.Added != uint64(len(later)) {
					t.Fatalf("%s: index stats %+v", when, cs.Index)
				}
			}
			check("built")
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			d = openTestDBAt(t, dir, nil)
			check("reopened")
		})
	}
}
