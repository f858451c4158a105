package train

import (
	"context"
	stderrors "errors"
	"fmt"
	"slices"
	"testing"

	"github.com/cockroachdb/errors"

	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/train/glove"
	"github.com/vecdb/vecdb/train/recsys"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/traintest"
	"github.com/vecdb/vecdb/train/word2vec"
)

// TestWord2VecWritesCollection trains into a collection and checks the
// stored vectors, counts and ranks against the vocabulary, then retrains
// into it: the collection is replaced, and a leftover staging collection
// from a crashed run is dropped.
func TestWord2VecWritesCollection(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	in := Corpus{Text: traintest.PlantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	st, err := Word2Vec(ctx, in, traintest.W2VOptions(), Output{DB: d, Collection: "words"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Words != 16 || st.Tokens != 400*13 {
		t.Fatalf("stats: %d words, %d tokens; want 16 and 5200", st.Words, st.Tokens)
	}
	e, err := LoadWords(ctx, d, "words")
	if err != nil {
		t.Fatal(err)
	}
	// "capital" occurs 800 times; then seven words 400 times, ties going
	// to the first seen.
	if len(e.Words) != 16 || e.Words[0] != "capital" || e.Words[1] != "the" {
		t.Fatalf("words in rank order: %q", e.Words)
	}
	rec, err := d.Get("words", e.Words[0])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Meta[FieldRank] != int64(0) || rec.Meta[FieldCount].(int64) < 400 {
		t.Fatalf("metadata of %q: %v", e.Words[0], rec.Meta)
	}
	res, err := d.Search(ctx, "words", &db.SearchRequest{ID: "paris", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	capitals := []string{"rome", "madrid", "tokyo"}
	for _, r := range res {
		if !slices.Contains(capitals, r.ID) {
			t.Fatalf("neighbours of paris: %v, want the other capitals", res)
		}
	}
	// A staging collection left by a crash is in the way of nothing, and
	// a user's collections named like the old staging and n-gram
	// collections ("words.staging", "words.ngrams") are never touched.
	if err := d.CreateCollection(db.Schema{Name: stagingName("words"), Dim: 3, Metric: db.L2}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"words.staging", "words.ngrams"} {
		if err := d.CreateCollection(db.Schema{Name: name, Dim: 2, Metric: db.L2}); err != nil {
			t.Fatal(err)
		}
		if err := d.Put(name, "mine", []float32{1, 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	o := traintest.W2VOptions()
	o.Dim = 8
	if _, err := Word2Vec(ctx, in, o, Output{DB: d, Collection: "words"}); err != nil {
		t.Fatal(err)
	}
	s, err := d.Collection("words")
	if err != nil || s.Dim != 8 {
		t.Fatalf("after retraining: dim %d, %v; want 8", s.Dim, err)
	}
	cols, err := d.Collections()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 3 {
		t.Fatalf("collections after retraining: %v, want words and the user's two", cols)
	}
	for _, name := range []string{"words.staging", "words.ngrams"} {
		if r, err := d.Get(name, "mine"); err != nil || r.Vector[1] != 2 {
			t.Fatalf("the user's %q after retraining: %+v, %v", name, r, err)
		}
	}
}

// TestTrainCancelKeepsOld cancels a retraining: the old collection still
// serves and no staging collection is left.
func TestTrainCancelKeepsOld(t *testing.T) {
	d := traintest.OpenDB(t)
	in := Corpus{Text: traintest.PlantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	if _, err := Word2Vec(context.Background(), in, traintest.W2VOptions(), Output{DB: d, Collection: "words"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	out := Output{DB: d, Collection: "words", Progress: func(string, int, int) {
		if n++; n == 1 {
			cancel()
		}
	}}
	big := make([]float32, 4)
	_, err := stage(ctx, out, db.L2, 4, 5000, func(i int) (string, []float32, db.Meta) {
		big[0] = float32(i)
		return fmt.Sprint(i), big, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	s, err := d.Collection("words")
	if err != nil || s.Dim != 16 {
		t.Fatalf("old collection after a cancelled retrain: %+v, %v", s, err)
	}
	if _, err := d.Collection(stagingName("words")); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("staging collection left behind: %v", err)
	}
}

// TestFastTextWritesNgrams trains subword vectors: the n-gram buckets
// that vocabulary words use go to the n-gram collection, with the
// subword parameters (infer.WordVector reads them).
func TestFastTextWritesNgrams(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	o := traintest.W2VOptions()
	o.Subword = &word2vec.SubwordOptions{Buckets: 10000}
	in := Corpus{Text: traintest.PlantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	st, err := Word2Vec(ctx, in, o, Output{DB: d, Collection: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Buckets == 0 {
		t.Fatal("no n-gram vectors written")
	}
	// The n-grams go to the first of NgramCollections, with the params.
	ngrams := NgramCollections("sub")[0]
	if n, err := d.Count(ngrams); err != nil || n != uint64(st.Buckets)+1 {
		t.Fatalf("%s holds %d records, %v; want %d buckets and the params", ngrams, n, err, st.Buckets)
	}
	if p, err := d.Get(ngrams, NgramParamsID); err != nil || p.Meta["buckets"] != int64(10000) {
		t.Fatalf("params record: %+v, %v", p, err)
	}
}

func TestGloVeWritesCollection(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	in := Corpus{Text: traintest.PlantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	o := gloveOptions()
	st, err := GloVe(ctx, in, o, Output{DB: d, Collection: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Count("g"); err != nil || n != uint64(st.Words) {
		t.Fatalf("count %d, %v; want %d", n, err, st.Words)
	}
}

func gloveOptions() glove.Options {
	o := glove.DefaultOptions()
	o.Dim, o.Window, o.Epochs, o.Threads, o.Seed = 8, 3, 5, 1, 1
	o.TempDir = ""
	return o
}

// TestRecommendersSwapTogether retrains ALS into existing collections:
// items and users are replaced in one step, and no staging collection
// stays behind.
func TestRecommendersSwapTogether(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	b := recsys.NewBuilder(nil)
	for u := range 20 {
		for i := range 5 {
			if err := b.Add(fmt.Sprint("u", u), fmt.Sprint("i", (u+i)%12), 1, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := b.Build()
	o := recsys.DefaultALSOptions()
	o.Factors, o.Lambda, o.Iterations = 4, 0.1, 3
	out := RecOutput{DB: d, Items: "items", Users: "users"}
	if _, err := ALS(ctx, in, o, out); err != nil {
		t.Fatal(err)
	}
	o.Factors = 6
	if _, err := ALS(ctx, in, o, out); err != nil {
		t.Fatal(err)
	}
	cols, err := d.Collections()
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 {
		t.Fatalf("collections after retraining: %v", cols)
	}
	for _, c := range cols {
		if c.Dim != 6 {
			t.Errorf("%s has dim %d after retraining with 6 factors", c.Name, c.Dim)
		}
	}
	// Each user lists its items in FieldSeen, which recommendations leave
	// out.
	u, err := d.Get("users", "u3")
	if err != nil {
		t.Fatal(err)
	}
	seen := slices.Sorted(slices.Values(u.Meta[FieldSeen].([]string)))
	if want := []string{"i3", "i4", "i5", "i6", "i7"}; !slices.Equal(seen, want) {
		t.Errorf("u3's %s: %q, want %q", FieldSeen, seen, want)
	}
}

// TestRecommendersRefuseNoInteractions: training on no interactions is an
// ErrInvalid error and leaves the collections as they were (an empty
// interactions file replaced users and items with empty collections).
func TestRecommendersRefuseNoInteractions(t *testing.T) {
	d := traintest.OpenDB(t)
	ctx := context.Background()
	b := recsys.NewBuilder(nil)
	if err := b.Add("u", "i", 1, 0); err != nil {
		t.Fatal(err)
	}
	out := RecOutput{DB: d, Items: "items", Users: "users"}
	o := recsys.DefaultALSOptions()
	o.Factors, o.Iterations = 4, 2
	if _, err := ALS(ctx, b.Build(), o, out); err != nil {
		t.Fatal(err)
	}
	empty := recsys.NewBuilder(nil).Build()
	if _, err := ALS(ctx, empty, o, out); !stderrors.Is(err, db.ErrInvalid) {
		t.Fatalf("ALS on no interactions: %v, want ErrInvalid", err)
	}
	if _, err := Item2Vec(ctx, empty, recsys.Item2VecOptions{}, out); !stderrors.Is(err, db.ErrInvalid) {
		t.Fatalf("item2vec on no interactions: %v, want ErrInvalid", err)
	}
	for _, coll := range []string{"items", "users"} {
		if st, err := d.Stats(coll); err != nil || st.Count != 1 {
			t.Fatalf("%s after the refused retrain: %+v, %v", coll, st, err)
		}
	}
}
