package train

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/vecdb/vecdb/db"
	"github.com/vecdb/vecdb/internal/vecio"
	"github.com/vecdb/vecdb/internal/vectest"
	"github.com/vecdb/vecdb/quant"
	"github.com/vecdb/vecdb/train/glove"
	"github.com/vecdb/vecdb/train/recsys"
	"github.com/vecdb/vecdb/train/text"
	"github.com/vecdb/vecdb/train/word2vec"
	"golang.org/x/sync/errgroup"
)

func openDB(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(t.TempDir(), &db.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Check(); err != nil {
			t.Error(err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// plantedCorpus has countries and their capitals sharing contexts.
func plantedCorpus() *text.Corpus {
	var b strings.Builder
	pairs := [][2]string{{"france", "paris"}, {"italy", "rome"}, {"spain", "madrid"}, {"japan", "tokyo"}}
	for i := range 400 {
		p := pairs[i%len(pairs)]
		fmt.Fprintf(&b, "the capital of %s is %s\n%s has %s as its capital city\n", p[0], p[1], p[0], p[1])
	}
	s := b.String()
	return &text.Corpus{Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }, Tokenizer: text.DefaultTokenizer()}
}

func w2vOptions() word2vec.Options {
	o := word2vec.DefaultOptions()
	o.Dim, o.Window, o.Epochs, o.Threads, o.Seed, o.Sample = 16, 3, 20, 1, 1, 0
	return o
}

// TestWord2VecWritesCollection trains into a collection and checks the
// stored vectors, counts and ranks against the vocabulary, then retrains
// into it: the collection is replaced, and a leftover staging collection
// from a crashed run is dropped.
func TestWord2VecWritesCollection(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	in := Corpus{Text: plantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	st, err := Word2Vec(ctx, in, w2vOptions(), Output{DB: d, Collection: "words"})
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
	o := w2vOptions()
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
	d := openDB(t)
	in := Corpus{Text: plantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	if _, err := Word2Vec(context.Background(), in, w2vOptions(), Output{DB: d, Collection: "words"}); err != nil {
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

// TestFastTextUnseenWords trains subword vectors: a word outside the
// vocabulary gets a vector from the stored n-grams, equal to the model's.
func TestFastTextUnseenWords(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	o := w2vOptions()
	o.Subword = &word2vec.SubwordOptions{Buckets: 10000}
	in := Corpus{Text: plantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
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
	v, err := WordVector(ctx, d, "sub", "parisian")
	if err != nil {
		t.Fatal(err)
	}
	paris, err := WordVector(ctx, d, "sub", "paris")
	if err != nil {
		t.Fatal(err)
	}
	rome, err := WordVector(ctx, d, "sub", "rome")
	if err != nil {
		t.Fatal(err)
	}
	cos := func(a, b []float32) float32 {
		return quant.DotProduct(a, b) / float32(math.Sqrt(float64(quant.Norm2(a)*quant.Norm2(b))))
	}
	if cos(v, paris) <= cos(v, rome) {
		t.Errorf("parisian: cos to paris %.3f, to rome %.3f", cos(v, paris), cos(v, rome))
	}
	if _, err := WordVector(ctx, d, "sub", "xq"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a word sharing no n-gram: %v", err)
	}
	res, err := Analogy(ctx, d, "sub", "france", "paris", "italy", 3)
	if err != nil || len(res) != 3 || slices.ContainsFunc(res, func(r db.Result) bool { return r.ID == "paris" || r.ID == "italy" || r.ID == "france" }) {
		t.Fatalf("analogy: %v, %v (question words must be left out)", res, err)
	}
}

func TestGloVeWritesCollection(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	in := Corpus{Text: plantedCorpus(), Vocab: text.VocabOptions{MinCount: 1}}
	o := gloveOptions()
	st, err := GloVe(ctx, in, o, Output{DB: d, Collection: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Count("g"); err != nil || n != uint64(st.Words) {
		t.Fatalf("count %d, %v; want %d", n, err, st.Words)
	}
}

// movieLens reads u.data and the items' metadata.
func movieLens(t *testing.T) (*recsys.Interactions, []db.Field, map[string]db.Meta) {
	dir := vectest.DataDir(t, "movielens-100k")
	f, err := vecio.Open(filepath.Join(dir, "u.data"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := recsys.ReadInteractions(f, recsys.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mf, err := vecio.Open(filepath.Join(dir, "items_meta.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	mr := vecio.NewMetaReader(mf)
	metas := map[string]db.Meta{}
	for {
		obj, err := mr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := obj["meta"].(map[string]any)
		metas[obj["id"].(string)] = db.Meta{"genres": m["genres"], "year": m["year"]}
	}
	return in, []db.Field{{Name: "genres", Type: db.Keywords}, {Name: "year", Type: db.Int}}, metas
}

// TestRecommendMovieLens trains ALS into collections, then: recommend
// with a genre filter returns k items of that genre, none seen; fold-in of
// a training user reproduces its stored vector.
func TestRecommendMovieLens(t *testing.T) {
	in, fields, metas := movieLens(t)
	d := openDB(t)
	ctx := context.Background()
	o := recsys.DefaultALSOptions()
	if testing.Short() {
		o.Iterations = 3
	}
	if _, err := ALS(ctx, in, o, RecOutput{DB: d, Items: "movies", Users: "users", ItemFields: fields, ItemMeta: metas}); err != nil {
		t.Fatal(err)
	}
	user := "196"
	u, err := d.Get("users", user)
	if err != nil {
		t.Fatal(err)
	}
	seen := u.Meta[FieldSeen].([]string)
	res, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "movies", User: user, K: 10, Filter: `genres IN ("Comedy")`})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 10 {
		t.Fatalf("%d recommendations, want 10", len(res))
	}
	for _, r := range res {
		rec, err := d.Get("movies", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rec.Meta["genres"].([]string), "Comedy") {
			t.Errorf("recommended %s with genres %v", r.ID, rec.Meta["genres"])
		}
		if slices.Contains(seen, r.ID) {
			t.Errorf("recommended %s, which user %s has seen", r.ID, user)
		}
	}
	withSeen, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "movies", User: user, K: 50, IncludeSeen: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(withSeen, func(r db.Result) bool { return slices.Contains(seen, r.ID) }) {
		t.Error("--include-seen results hold none of the user's items")
	}
	// Fold-in of the user from its own interactions reproduces its vector.
	row, weights := in.UserRow(int(in.UserIndex[user]))
	inter := map[string]float32{}
	for i, it := range row {
		inter[in.Items[it]] = weights[i]
	}
	got, err := FoldIn(ctx, d, "users", "movies", "folded", inter, o)
	if err != nil {
		t.Fatal(err)
	}
	var diff, norm float64
	for i := range got {
		diff += float64((got[i] - u.Vector[i]) * (got[i] - u.Vector[i]))
		norm += float64(u.Vector[i] * u.Vector[i])
	}
	if rel := math.Sqrt(diff / norm); rel > 1e-3 {
		t.Errorf("fold-in of user %s differs from its trained vector by %.2g (relative)", user, rel)
	}
	if _, err := d.Get("users", "folded"); err != nil {
		t.Errorf("folded-in user not written: %v", err)
	}
	if _, err := FoldIn(ctx, d, "users", "movies", "x", map[string]float32{"no-such-movie": 1}, o); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("fold-in with an unknown item: %v", err)
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
	d := openDB(t)
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
	// A Folder made now serves several users, from several goroutines.
	folder, err := NewFolder(ctx, d, "users", "items", o)
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	for u := range 4 {
		g.Go(func() error {
			vec, err := folder.FoldIn(ctx, fmt.Sprint("new", u), map[string]float32{"i1": 1, fmt.Sprint("i", 2+u): 2})
			if err == nil && len(vec) != 4 {
				err = errors.Newf("folded-in vector of %d values, want 4", len(vec))
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	o.Factors = 6
	if _, err := ALS(ctx, in, o, out); err != nil {
		t.Fatal(err)
	}
	// After the retrain the same Folder reads the new items first.
	if vec, err := folder.FoldIn(ctx, "new9", map[string]float32{"i1": 1}); err != nil || len(vec) != 6 {
		t.Fatalf("fold-in after a retrain: %d values, %v; want 6", len(vec), err)
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
}

// TestRecommendAcrossSwap: a retrain that swaps the users and items in
// between Recommend's read of the user and its search of the items must
// not pair one model's user with the other's items. Two hand-made models
// disagree on purpose: in model A the user points at "A-good", in model B
// at "B-good", and a user of one model scores the other model's "-bad"
// item highest. The hook starts a swap right after the user is read; the
// read view holds it off until the recommendation is answered, and it
// lands after.
func TestRecommendAcrossSwap(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	write := func(suffix, model string) {
		t.Helper()
		users, items := "users"+suffix, "items"+suffix
		for _, name := range []string{users, items} {
			if err := d.CreateCollection(db.Schema{Name: name, Dim: 2, Metric: db.Dot}); err != nil {
				t.Fatal(err)
			}
		}
		x, y := []float32{1, 0}, []float32{0, 1}
		if model == "B" {
			x, y = y, x
		}
		for _, put := range []struct {
			coll, id string
			v        []float32
		}{{users, "u", x}, {items, model + "-good", x}, {items, model + "-bad", y}} {
			if err := d.Put(put.coll, put.id, put.v, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("", "A")
	model := "A"
	swap := func() {
		model = map[string]string{"A": "B", "B": "A"}[model]
		write(".staging", model)
		if err := d.ReplaceCollections([]db.Replacement{{Dst: "users", Src: "users.staging"}, {Dst: "items", Src: "items.staging"}}); err != nil {
			t.Fatal(err)
		}
	}
	swapped := make(chan struct{})
	recommendHook = func() {
		recommendHook = nil
		go func() { swap(); close(swapped) }()
		select {
		case <-swapped:
			t.Error("a swap completed inside Recommend's read view")
		case <-time.After(50 * time.Millisecond): // the swap is waiting
		}
	}
	defer func() { recommendHook = nil }()
	for _, want := range []string{"A", "B"} {
		res, err := Recommend(ctx, d, RecommendRequest{Users: "users", Items: "items", User: "u", K: 1, IncludeSeen: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].ID != want+"-good" {
			t.Fatalf("recommended %v, want %s-good: a user and items of different models", res, want)
		}
		<-swapped // the swap lands once the view is closed
	}
	if model != "B" {
		t.Fatalf("the swap never landed: model %s", model)
	}
}

// TestRecommendersRefuseNoInteractions: training on no interactions is an
// ErrInvalid error and leaves the collections as they were (an empty
// interactions file replaced users and items with empty collections).
func TestRecommendersRefuseNoInteractions(t *testing.T) {
	d := openDB(t)
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
