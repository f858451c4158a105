package db

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/cockroachdb/errors"
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
	set := vectest.LoadSiftSmall(t)
	d := openTestDB(t, nil)
	if n := importFile(t, d, "sift", set.BasePath(), L2); n != 10000 {
		t.Fatalf("imported %d vectors, want 10000", n)
	}
	queries, truth, base := set.Queries, set.Truth, set.Base
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

// TestIndexDefaultsOnRealData checks the claim that BuildIndex's default
// parameters give recall@10 >= 0.95: on sift-small (l2) against its
// ground-truth file, and on GloVe 100k (cosine) against exact search.
func TestIndexDefaultsOnRealData(t *testing.T) {
	t.Run("sift-small", func(t *testing.T) {
		set := vectest.LoadSiftSmall(t)
		d := openTestDB(t, nil)
		importFile(t, d, "sift", set.BasePath(), L2)
		if _, err := d.BuildIndex(context.Background(), "sift", nil); err != nil {
			t.Fatal(err)
		}
		queries, truth := set.Queries, set.Truth
		res, err := d.SearchMany(context.Background(), "sift", queries, &SearchRequest{K: 10})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for i, rs := range res {
			want := make([]string, 10)
			for j := range want {
				want[j] = strconv.Itoa(int(truth[i][j]))
			}
			sum += vectest.Recall(ids(rs), want, 10)
		}
		if r := sum / float64(len(res)); r < 0.95 {
			t.Fatalf("recall@10 with the default index parameters = %.3f, want >= 0.95", r)
		} else {
			t.Logf("sift-small recall@10 with defaults: %.3f", r)
		}
	})
	t.Run("glove-100k", func(t *testing.T) {
		if testing.Short() {
			t.Skip("imports 100k vectors; runs without -short")
		}
		dir := vectest.DataDir(t, "glove-6b-100d-100k")
		d := openTestDB(t, nil)
		importFile(t, d, "glove", filepath.Join(dir, "glove.6B.100d.base100k.txt.gz"), Cosine)
		if _, err := d.BuildIndex(context.Background(), "glove", nil); err != nil {
			t.Fatal(err)
		}
		r, err := vecio.OpenReader(filepath.Join(dir, "glove.6B.100d.query1k.txt.gz"), "")
		if err != nil {
			t.Fatal(err)
		}
		var queries [][]float32
		for r.Next() && len(queries) < 300 {
			queries = append(queries, slices.Clone(r.Record().Vector))
		}
		if err := errors.CombineErrors(r.Err(), r.Close()); err != nil {
			t.Fatal(err)
		}
		rec := recallVsExact(t, d, "glove", queries, 10, SearchRequest{})
		t.Logf("glove-100k recall@10 with defaults: %.3f", rec)
		if rec < 0.95 {
			t.Fatalf("recall@10 with the default index parameters = %.3f, want >= 0.95", rec)
		}
	})
}

// TestFashionMNISTFiltered imports fashion-mnist with its label as a
// keyword field, builds the index with each codec, and filters each query
// to its own label (truth: the samelabel file) and to a different label
// (truth: exact filtered search): recall@10 must be >= 0.999 for the own
// label (the README says 1.000) and >= 0.99 for another.
func TestFashionMNISTFiltered(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and indexes 60k x 784; runs without -short")
	}
	dir := vectest.DataDir(t, "fashion-mnist")
	d := openTestDB(t, nil)
	mustCreate(t, d, Schema{Name: "fm", Dim: 784, Metric: L2, Fields: []Field{{Name: "label", Type: Keyword}, {Name: "name", Type: Keyword}}})
	loadWithMeta := func(vecs, meta string, put func(rec *vecio.Record, m map[string]any)) {
		r, err := vecio.OpenReader(filepath.Join(dir, vecs), "")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		mf, err := vecio.Open(filepath.Join(dir, meta))
		if err != nil {
			t.Fatal(err)
		}
		defer mf.Close()
		mr := vecio.NewMetaReader(mf)
		for r.Next() {
			m, err := mr.Next()
			if err != nil {
				t.Fatal(err)
			}
			put(r.Record(), m)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
	}
	b := d.NewBatch()
	loadWithMeta("fashion-mnist_train.bvecs.gz", "fashion-mnist_train_meta.jsonl.gz", func(rec *vecio.Record, m map[string]any) {
		if err := b.Put("fm", rec.ID, rec.Vector, m); err != nil {
			t.Fatal(err)
		}
		if b.Len() == 5000 {
			if err := d.Apply(b, nil); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	})
	if err := d.Apply(b, nil); err != nil {
		t.Fatal(err)
	}
	var queries [][]float32
	var labels []string
	loadWithMeta("fashion-mnist_test.bvecs.gz", "fashion-mnist_test_meta.jsonl.gz", func(rec *vecio.Record, m map[string]any) {
		if len(queries) < 300 {
			queries = append(queries, slices.Clone(rec.Vector))
			labels = append(labels, m["label"].(string))
		}
	})
	ctx := context.Background()
	truth, err := vecio.ReadIvecs(filepath.Join(dir, "fashion-mnist_test_groundtruth_l2_top100_samelabel.ivecs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, codec := range []Codec{CodecPQ8, CodecPQ4FS, CodecRaBitQ} {
		if _, err := d.BuildIndex(ctx, "fm", &BuildOptions{Codec: codec}); err != nil {
			t.Fatal(err)
		}
		var same, other float64
		for i, q := range queries {
			res, err := d.Search(ctx, "fm", &SearchRequest{Vector: q, K: 10, Filter: `label = "` + labels[i] + `"`})
			if err != nil {
				t.Fatal(err)
			}
			want := make([]string, 10)
			for j := range want {
				want[j] = strconv.Itoa(int(truth[i][j]))
			}
			same += vectest.Recall(ids(res), want, 10)
			otherLabel := `label = "` + strconv.Itoa((i%9+1+mustAtoi(labels[i]))%10) + `"`
			got, err := d.Search(ctx, "fm", &SearchRequest{Vector: q, K: 10, Filter: otherLabel})
			if err != nil {
				t.Fatal(err)
			}
			exact, err := d.Search(ctx, "fm", &SearchRequest{Vector: q, K: 10, Filter: otherLabel, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 10 {
				t.Fatalf("%v, query %d, %s: %d results", codec, i, otherLabel, len(got))
			}
			other += vectest.Recall(ids(got), ids(exact), 10)
		}
		same /= float64(len(queries))
		other /= float64(len(queries))
		t.Logf("%v: recall@10 filtered to the query's label %.4f, to another label %.4f", codec, same, other)
		if same < 0.999 || other < 0.99 {
			t.Fatalf("%v: recall@10: own label %.4f, other label %.4f; want >= 0.999 and 0.99", codec, same, other)
		}
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
