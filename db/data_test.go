package db

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
)

// importFile loads a vector file into a new collection through the public
// API, in batches of 1000, the way `vecdb import` does.
func importFile(t testing.TB, d *DB, coll, path string, metric Metric) int {
	t.Helper()
	r, err := vecio.OpenReader(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := d.NewBatch()
	defer b.Close()
	n := 0
	for r.Next() {
		rec := r.Record()
		if n == 0 {
			mustCreate(t, d, Schema{Name: coll, Dim: len(rec.Vector), Metric: metric})
		}
		if err := b.Put(coll, rec.ID, rec.Vector, nil); err != nil {
			t.Fatal(err)
		}
		n++
		if b.Len() == 1000 {
			if err := d.Apply(b, nil); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSiftSmallExact reproduces the sift-small ground truth with exact
// search through the Go API: recall@10 must be 1.0 (ties in the truth file
// are accepted in either order).
func TestSiftSmallExact(t *testing.T) {
	dir := vectest.DataDir(t, "sift-small")
	d := openTestDB(t, nil)
	if n := importFile(t, d, "sift", filepath.Join(dir, "siftsmall_base.fvecs"), L2); n != 10000 {
		t.Fatalf("imported %d vectors, want 10000", n)
	}
	queries, err := vecio.ReadFvecsAll(filepath.Join(dir, "siftsmall_query.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := vecio.ReadIvecs(filepath.Join(dir, "siftsmall_groundtruth.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := vecio.ReadFvecsAll(filepath.Join(dir, "siftsmall_base.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.SearchMany(context.Background(), "sift", queries, &SearchRequest{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]string, len(res))
	for i, rs := range res {
		got[i] = ids(rs)
	}
	exact := vectest.CheckTruth(t, got, truth, queries, base, 10, vectest.L2)
	t.Logf("recall@10 = 1.0 on %d queries (%d identical sets, the rest differ only in ties)", len(res), exact)
}
